"""Fitting a model: from counts (closed form), or by the Trainer (maximum likelihood for a
density network, SVI for a model/guide pair). The families (:mod:`inference.cli.families`)
choose which."""

from __future__ import annotations

__all__ = ["PSEUDO_COUNT", "FitResult", "fit_background", "fit_network", "fit_table_model",
           "fit_vae"]

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from inference.training import History, MLEStep, ModelLossStep, Placement, SVIStep, Trainer
from ppl_models.abilities import DataInitialised
from ppl_models.data import perturb_binary
from ppl_models.distributions.lazy import TrainingLoss

_OBJECTIVE_NAMES = {
    "trace": "Trace_ELBO (Monte Carlo KL)",
    "meanfield": "TraceMeanField_ELBO (analytic KL)",
    "renyi": "RenyiELBO alpha=0 (the IWAE bound)",
}
#: Beta(1, 1) pseudo-counts (Laplace smoothing): with pure counts a parent configuration
#: seen only with x_i = 0 gets p = 0, and one test image showing x_i = 1 makes the test NLL
#: infinite.
PSEUDO_COUNT = 1.0


@dataclass
class FitResult:
    """A fitted model and how it got there.

    :param model: the fitted model (a new object for a table model).
    :param history: per-epoch record of a network's training; None for a table model.
    :param float seconds: wall time of the fit.
    :param str method: one line saying how it was fitted, for reports.
    """

    model: Any
    history: History | None
    seconds: float
    method: str

    @property
    def epochs(self) -> int:
        """Epochs trained (0 for a closed-form fit)."""
        return 0 if self.history is None else len(self.history.epochs)


def fit_table_model(model: nn.Module, train: torch.Tensor,
                    pseudo_count: float = PSEUDO_COUNT) -> FitResult:
    """Fit every CPT entry in closed form from counts with Beta(a, a) pseudo-counts.

    :param model: an unfitted table model, with ``fit(x, alpha, beta)`` (e.g.
        :class:`~ppl_models.distributions.ChainRuleBernoulli`).
    :param train: ``(N, D)`` binary training data.
    :param float pseudo_count: ``a``; 0 gives the maximum-likelihood frequencies.
    """
    if not pseudo_count >= 0:
        raise ValueError(f"pseudo_count must be >= 0, got {pseudo_count}")
    start = time.perf_counter()
    fitted = model.fit(train, alpha=pseudo_count, beta=pseudo_count)
    method = (f"closed form: CPT counts with Beta({pseudo_count:g}, {pseudo_count:g}) "
              "pseudo-counts")
    return FitResult(fitted, None, time.perf_counter() - start, method)


def fit_network(
    model: torch.nn.Module,
    train: torch.Tensor,
    valid: torch.Tensor,
    *,
    epochs: int,
    batch_size: int = 100,
    lr: float = 1e-3,
    patience: int | None = None,
    max_seconds: float | None = None,
    seed: int = 0,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
    log_fn: Callable[[dict[str, Any]], None] | None = None,
    placement: Placement | None = None,
) -> FitResult:
    """Maximum likelihood with Adam; the parameters of the best validation epoch are kept.

    A model that declares a training loss of its own
    (:class:`~ppl_models.distributions.lazy.TrainingLoss`, e.g. an order-agnostic DeepNADE)
    minimises that instead (:class:`~inference.training.ModelLossStep`); validation is the
    exact NLL of ``model()`` either way.

    A model that declares :class:`~ppl_models.abilities.DataInitialised` (FVSBN, NADE)
    starts its output biases at the log-odds of the training marginals (the independent
    model), which saves the first epochs. On ``resume`` that start is overwritten by the
    checkpoint, so a resumed run still matches an uninterrupted one.

    :param model: an exact density module (``model()`` is the distribution).
    :param train: ``(N, D)`` binary training data.
    :param valid: ``(M, D)`` binary validation data (early stopping, best epoch).
    :param int epochs: most epochs to train.
    :param patience: stop after this many epochs without validation improvement.
    :param max_seconds: stop after the first epoch that ends past this time.
    :param checkpoint_dir: where the trainer keeps ``last.pt`` and ``best.pt``.
    :param bool resume: continue from ``checkpoint_dir/last.pt`` if present.
    :param log_fn: called with each epoch's record.
    :param placement: the device and precision of the updates (the model is there already).
    """
    if isinstance(model, DataInitialised):
        model.init_bias_from_data(train)
    # A model that declares its own training loss (an order-agnostic DeepNADE) trains on it;
    # validation is the exact NLL either way.
    own = isinstance(model, TrainingLoss)
    step = (ModelLossStep if own else MLEStep)(model, lr=lr)
    history, seconds = _train(step, train, valid, epochs=epochs,
                              batch_size=batch_size, patience=patience,
                              max_seconds=max_seconds, seed=seed,
                              checkpoint_dir=checkpoint_dir, resume=resume, log_fn=log_fn,
                              placement=placement)
    objective = model.loss_name if own else "maximum likelihood"
    method = (f"{objective}: Adam lr={lr:g}, batch {batch_size}, parameters of the best "
              f"validation epoch ({history.best_epoch})")
    return FitResult(model, history, seconds, method)


def fit_background(model: nn.Module, train: torch.Tensor, valid: torch.Tensor, rate: float,
                   *, seed: int = 0, **options) -> FitResult:
    """Fit a density network to perturbed data: the background of a likelihood ratio.

    Ren et al. (2019) flip each input dimension to a uniform draw with probability ``rate``
    (:func:`~ppl_models.data.perturb_binary`): the digit's shape is destroyed, the
    population statistics (how many pixels are on, where the background is) survive, and the
    ratio against this model divides them out. The validation rows are perturbed too, so
    that early stopping selects the epoch that best fits the *perturbed* distribution, not
    the one that creeps back towards the clean digits.

    :param model: an unfitted exact density network (a small NADE, say).
    :param train: ``(N, D)`` binary training data (clean; perturbed here).
    :param valid: ``(M, D)`` binary validation data (clean; perturbed here).
    :param float rate: the perturbation rate :math:`\\mu` in [0, 1].
    :param int seed: seeds the perturbation and the training.
    :param options: passed to :func:`fit_network` (``epochs`` is required).
    """
    gen = torch.Generator().manual_seed(seed)
    train, valid = (perturb_binary(x, rate, generator=gen) for x in (train, valid))
    result = fit_network(model, train, valid, seed=seed, **options)
    result.method = f"{result.method}; on inputs perturbed at rate {rate:g} (background)"
    return result


def _train(step, train, valid, *, epochs, batch_size, patience, max_seconds, seed,
           checkpoint_dir, resume, log_fn, placement=None):
    """Run the one training loop; return its history and wall seconds."""
    trainer = Trainer(step, train, valid, batch_size=batch_size, max_epochs=epochs,
                      patience=patience, max_seconds=max_seconds, seed=seed,
                      checkpoint_dir=checkpoint_dir, log_fn=log_fn, placement=placement)
    start = time.perf_counter()
    history = trainer.fit(resume=resume)
    return history, time.perf_counter() - start


def fit_vae(
    vae: nn.Module,
    train: torch.Tensor,
    valid: torch.Tensor,
    *,
    epochs: int,
    objective: str = "trace",
    particles: int = 1,
    kl_warmup: int = 0,
    batch_size: int = 100,
    lr: float = 1e-3,
    patience: int | None = None,
    max_seconds: float | None = None,
    seed: int = 0,
    checkpoint_dir: str | os.PathLike | None = None,
    resume: bool = False,
    log_fn: Callable[[dict[str, Any]], None] | None = None,
    placement: Placement | None = None,
) -> FitResult:
    """Stochastic variational inference with Adam; the parameters of the epoch with the best
    validation ELBO (single-sample, unscaled, whatever the objective) are kept.

    :param vae: the model/guide pair to fit.
    :param train: ``(N, C, H, W)`` binary training images.
    :param valid: ``(M, C, H, W)`` binary validation images.
    :param int epochs: most epochs to train.
    :param str objective: ``"trace"``, ``"meanfield"`` or ``"renyi"`` (see
        :class:`~inference.training.SVIStep`).
    :param int particles: samples per datum in the objective.
    :param int kl_warmup: updates over which the KL weight rises from 0 to 1.
    :param patience: stop after this many epochs without validation improvement.
    :param max_seconds: stop after the first epoch that ends past this time.
    :param checkpoint_dir: where the trainer keeps ``last.pt`` and ``best.pt``.
    :param bool resume: continue from ``checkpoint_dir/last.pt`` if present.
    :param log_fn: called with each epoch's record.
    :param placement: the device and precision of the updates (the model is there already).
    """
    step = SVIStep(vae, objective=objective, num_particles=particles, lr=lr,
                   kl_warmup_steps=kl_warmup)
    history, seconds = _train(step, train, valid, epochs=epochs, batch_size=batch_size,
                              patience=patience, max_seconds=max_seconds, seed=seed,
                              checkpoint_dir=checkpoint_dir, resume=resume, log_fn=log_fn,
                              placement=placement)
    warmup = f", KL warm-up over {kl_warmup} updates" if kl_warmup else ""
    method = (f"SVI: {_OBJECTIVE_NAMES[objective]}, {particles} particle(s){warmup}, Adam "
              f"lr={lr:g}, batch {batch_size}, parameters of the best validation-ELBO epoch "
              f"({history.best_epoch})")
    return FitResult(vae, history, seconds, method)
