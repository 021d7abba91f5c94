"""Fitting a model: from counts (closed form), or by the Trainer (maximum likelihood for a
density network, SVI for a model/guide pair). The families (:mod:`inference.cli.families`)
choose which."""

from __future__ import annotations

__all__ = ["LR_SCHEDULE", "LR_SCHEDULES", "PARTICLE_DRAWS", "PSEUDO_COUNT", "FitResult",
           "fit_background",
           "fit_network", "fit_table_background", "fit_table_model", "fit_vae"]

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from inference.training import History, MLEStep, ModelLossStep, Placement, SVIStep, Trainer
from ppl_models.abilities import DataInitialised, StartsFrom
from ppl_models.data import perturb_binary
from ppl_models.distributions.lazy import TrainingLoss
from ppl_models.registry import Option

_OBJECTIVE_NAMES = {
    "trace": "Trace_ELBO (Monte Carlo KL)",
    "meanfield": "TraceMeanField_ELBO (analytic KL)",
    "renyi": "RenyiELBO alpha=0 (the IWAE bound)",
}
#: Beta(1, 1) pseudo-counts (Laplace smoothing): with pure counts a parent configuration
#: seen only with x_i = 0 gets p = 0, and one test image showing x_i = 1 makes the test NLL
#: infinite.
PSEUDO_COUNT = 1.0
#: How a fit by gradients sets Adam's rate: ``constant``, or ``cosine``: decayed to zero over
#: the whole budget (``epochs`` x batches), stepped every update, so that the last epochs
#: average out Adam's noise (about a nat on NADE over a constant rate at equal epochs).
LR_SCHEDULES = ("constant", "cosine")
#: The option of the families fitted by gradients (exact and latent) that chooses it.
LR_SCHEDULE = Option("lr_schedule", "constant", "Adam's rate: constant, or cosine decay to 0 "
                     "over the whole --epochs, stepped every update", type=str,
                     choices=LR_SCHEDULES)
#: How an SVI fit draws its ``particles``: ``vectorized``, all in one pass of the model and
#: guide under a particle plate left of the model's plates (Pyro's ``vectorize_particles``;
#: the model must broadcast over that leading dimension, as the VAE does), or
#: ``sequential``, one pass per particle (any model; 5.8x slower an update on the IWAE
#: recipe's 50 particles, ``benchmarks/results/iwae_epoch_speed.jsonl``).
PARTICLE_DRAWS = ("vectorized", "sequential")


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
    lr_schedule: str = "constant",
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
    :param str lr_schedule: one of :data:`LR_SCHEDULES`.
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
    step = (ModelLossStep if own else MLEStep)(
        model, **_adam(model, lr, lr_schedule, epochs * math.ceil(len(train) / batch_size)))
    history, seconds = _train(step, train, valid, epochs=epochs,
                              batch_size=batch_size, patience=patience,
                              max_seconds=max_seconds, seed=seed,
                              checkpoint_dir=checkpoint_dir, resume=resume, log_fn=log_fn,
                              placement=placement)
    objective = model.loss_name if own else "maximum likelihood"
    method = (f"{objective}: Adam lr={lr:g}{_SCHEDULE_NAMES[lr_schedule]}, batch {batch_size}, "
              f"parameters of the best validation epoch ({history.best_epoch})")
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
    train, valid = _perturbed(rate, seed, train, valid)
    result = fit_network(model, train, valid, seed=seed, **options)
    result.method = f"{result.method}; {_background(rate)}"
    return result


_SCHEDULE_NAMES = {"constant": "", "cosine": " with cosine decay to 0"}


def _adam(model: nn.Module, lr: float, lr_schedule: str, updates: int,
          own_rate: tuple[list[nn.Parameter], float] | None = None) -> dict[str, Any]:
    """A step's optimiser keywords: its own Adam at ``lr`` for a constant rate; for
    ``cosine``, Adam with the rate decayed to zero over ``updates``. ``own_rate``: some
    parameters (those started from another model) and their own rate."""
    if lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"--lr-schedule must be one of {LR_SCHEDULES}, got {lr_schedule!r}")
    if lr_schedule == "constant" and own_rate is None:
        return {"lr": lr}
    apart = {id(p) for p in own_rate[0]} if own_rate else set()
    groups = [{"params": [p for p in model.parameters() if id(p) not in apart], "lr": lr}]
    if own_rate:
        groups.append({"params": list(own_rate[0]), "lr": own_rate[1]})
    optimizer = torch.optim.Adam(groups)
    if lr_schedule == "constant":
        return {"optimizer": optimizer}
    return {"optimizer": optimizer, "scheduler": torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=max(updates, 1))}


def fit_table_background(model: nn.Module, train: torch.Tensor, rate: float, *,
                         seed: int = 0, pseudo_count: float = PSEUDO_COUNT) -> FitResult:
    """:func:`fit_background` for a table model: its counts of the training data perturbed
    at ``rate`` (the same draws as :func:`fit_background`'s of the same ``train`` and
    ``seed``), with Beta(a, a) pseudo-counts as in :func:`fit_table_model`."""
    result = fit_table_model(model, _perturbed(rate, seed, train)[0], pseudo_count)
    result.method = f"{result.method}; {_background(rate)}"
    return result


def _background(rate: float) -> str:
    return f"on inputs perturbed at rate {rate:g} (background)"


def _perturbed(rate: float, seed: int, *splits: torch.Tensor) -> list[torch.Tensor]:
    """``splits`` perturbed in turn by one generator seeded with ``seed``; drawn on the CPU
    (the same numbers whatever the device), returned on each split's device."""
    gen = torch.Generator().manual_seed(seed)
    return [perturb_binary(x.cpu(), rate, generator=gen).to(x.device) for x in splits]


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
    particle_draws: str = "vectorized",
    kl_warmup: int = 0,
    batch_size: int = 100,
    lr: float = 1e-3,
    lr_schedule: str = "constant",
    start_from: nn.Module | None = None,
    start_lr: float | None = None,
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
    :param str particle_draws: one of :data:`PARTICLE_DRAWS`: the particles in one
        vectorised pass, or one pass each.
    :param int kl_warmup: updates over which the KL weight rises from 0 to 1.
    :param str lr_schedule: one of :data:`LR_SCHEDULES`.
    :param start_from: a fitted model that part of ``vae`` starts from
        (:class:`~ppl_models.abilities.StartsFrom`; on ``resume`` the checkpoint wins).
    :param start_lr: the rate of the parameters taken from ``start_from`` (default ``lr``).
    :param patience: stop after this many epochs without validation improvement.
    :param max_seconds: stop after the first epoch that ends past this time.
    :param checkpoint_dir: where the trainer keeps ``last.pt`` and ``best.pt``.
    :param bool resume: continue from ``checkpoint_dir/last.pt`` if present.
    :param log_fn: called with each epoch's record.
    :param placement: the device and precision of the updates (the model is there already).
    :raises ValueError: for a ``start_from`` that ``vae`` cannot start from.
    """
    if particle_draws not in PARTICLE_DRAWS:
        raise ValueError(f"particle_draws must be one of {PARTICLE_DRAWS}, got "
                         f"{particle_draws!r}")
    own_rate, started = None, ""
    if start_from is not None:
        if not isinstance(vae, StartsFrom):
            raise ValueError(f"{type(vae).__name__} declares no start from another model")
        own_rate = (vae.start_from(start_from), lr if start_lr is None else start_lr)
        started = f"; started from a fitted {type(start_from).__name__} (rate {own_rate[1]:g})"
    vectorize = particles > 1 and particle_draws == "vectorized"
    step = SVIStep(vae, objective=objective, num_particles=particles,
                   vectorize_particles=vectorize, kl_warmup_steps=kl_warmup,
                   **_adam(vae, lr, lr_schedule, epochs * math.ceil(len(train) / batch_size),
                           own_rate))
    history, seconds = _train(step, train, valid, epochs=epochs, batch_size=batch_size,
                              patience=patience, max_seconds=max_seconds, seed=seed,
                              checkpoint_dir=checkpoint_dir, resume=resume, log_fn=log_fn,
                              placement=placement)
    warmup = f", KL warm-up over {kl_warmup} updates" if kl_warmup else ""
    drawn = f" ({particle_draws})" if particles > 1 else ""
    # The kept epoch is the best on the bound trained (SVIStep.eval_step's loss).
    kept = f"IWAE-{particles} bound" if objective == "renyi" else "ELBO"
    method = (f"SVI: {_OBJECTIVE_NAMES[objective]}, {particles} particle(s){drawn}{warmup}, Adam "
              f"lr={lr:g}{_SCHEDULE_NAMES[lr_schedule]}, batch {batch_size}, parameters of the "
              f"best validation-{kept} epoch ({history.best_epoch}){started}")
    return FitResult(vae, history, seconds, method)
