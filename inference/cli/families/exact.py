"""The exact family on the command line: fitted by maximum likelihood (or in closed form),
scored by its exact log-likelihood."""

from __future__ import annotations

__all__ = ["ORDERS", "ExactCLI", "variable_order"]

import inspect
import math
import sys
from pathlib import Path
from typing import Any

import torch
from torch import nn

from inference.cli.families.family import FamilyCLI, RunSettings, model_data
from inference.cli.fitting import (
    LR_SCHEDULE,
    PSEUDO_COUNT,
    FitResult,
    fit_background,
    fit_network,
    fit_table_background,
    fit_table_model,
)
from inference.metrics import evaluate_nll
from inference.plots import save_training_curves
from ppl_models import registry
from ppl_models.abilities import ClosedForm
from ppl_models.data import DataSplits, discrete_nll_bound
from ppl_models.registry import Option, num_parameters

ORDERS = ("raster", "random")


def variable_order(order: str, dim: int, seed: int) -> torch.Tensor | None:
    """``None`` (raster order) or a permutation of ``range(dim)`` drawn from ``seed``.

    :param str order: one of :data:`ORDERS`.
    :param int dim: number of variables.
    :param int seed: seed of the permutation (its own generator: the global RNG is untouched).
    """
    if order == "raster":
        return None
    if order == "random":
        return torch.randperm(dim, generator=torch.Generator().manual_seed(seed))
    raise ValueError(f"--order must be one of {ORDERS}, got {order!r}")


def _base(constraint):
    # independent(c, n) wraps the per-variable constraint that decides the comparison.
    while hasattr(constraint, "base_constraint"):
        constraint = constraint.base_constraint
    return constraint


def _vectors(image_shape) -> bool:
    # (D, 1, 1) with D not an image channel count: rows of D variables, not pictures.
    return tuple(image_shape)[1:] == (1, 1) and image_shape[0] not in (1, 3)


def check_support(model: nn.Module, splits: DataSplits) -> None:
    """Refuse a model whose distribution's support is not of the data's kind: a density over
    reals scored on discrete values (or a probability mass on real values) is no likelihood.

    :raises ValueError: naming the data set, its support and the model's.
    """
    data, dist = _base(splits.support), _base(model().support)
    if data.is_discrete != dist.is_discrete:
        raise ValueError(f"--dataset {splits.name} has support {data} but --model "
                         f"{registry.kind_of(model)} has support {dist}: the model's "
                         "log-likelihood would not be one of this data")


def _closed_form(model: nn.Module | type) -> bool:
    # A kind fitted from counts declares ClosedForm (its class answers before anything is
    # built); the rest take gradients.
    cls = model if isinstance(model, type) else type(model)
    return issubclass(cls, ClosedForm)


class ExactCLI(FamilyCLI):
    """Exact densities: ``m()`` is a normalised distribution."""

    name = "exact"
    options = (
        Option("order", "raster", "variable order: raster, or a random permutation drawn "
               "from --seed", type=str, choices=ORDERS),
        Option("order_seed", None, "draw --order random's permutation from this seed instead "
               "of --seed (which also splits the data): an ensemble's members over orders",
               type=int),
        Option("pseudo_count", PSEUDO_COUNT, "Beta(a, a) pseudo-counts of a closed-form "
               "(table) fit: 1 keeps the test NLL finite, 0 is maximum likelihood",
               type=float),
        LR_SCHEDULE,
        Option("perturb", None, "fit to the binary training and validation images with each "
               "pixel replaced by a fair coin with probability RATE in [0, 1]: the background "
               "model of a likelihood ratio (Ren et al. 2019); scored on the clean test "
               "images", type=float),
    )
    best_key = "best_valid_nll_nats"
    scored_as = "has an exact NLL"

    def check(self, settings: dict[str, Any]) -> None:
        a = settings.get("pseudo_count", 0.0)
        if not (a >= 0 and math.isfinite(a)):  # NaN would give every table entry 0.5
            raise ValueError(f"--pseudo-count must be a finite number >= 0, got {a}")
        if settings.get("order_seed") is not None and settings.get("order") != "random":
            raise ValueError("--order-seed draws the permutation of --order random; give both")
        rate = settings.get("perturb")
        if rate is not None and not 0 <= rate <= 1:  # NaN included
            raise ValueError(f"--perturb must be a rate in [0, 1], got {rate}")

    def check_data(self, model, splits, settings=None) -> None:
        check_support(model, splits)

    def takes(self, kind: str, option: str) -> bool:
        # Pseudo-counts smooth a table fitted from counts; a network fitted by gradients
        # has none, and a --pseudo-count given to it would be silently ignored.
        # A learning-rate schedule likewise applies only to a fit by gradients.
        if option == "pseudo_count":
            return _closed_form(registry.entry(kind).cls)
        if option == "lr_schedule":
            return not _closed_form(registry.entry(kind).cls)
        return True

    def constructor_arguments(self, kind, settings, splits, seed) -> dict[str, Any]:
        if settings.get("perturb") is not None and not _base(splits.support).is_discrete:
            # Checked here, with the data, before the run directory is written.
            raise ValueError(f"--perturb replaces binary pixels by coin flips, but --dataset "
                             f"{splits.name} has support {_base(splits.support)}")
        if "order" in inspect.signature(registry.entry(kind).cls).parameters:
            own = settings.get("order_seed")
            return {"order": variable_order(settings["order"], splits.dim,
                                            seed if own is None else own)}
        if settings["order"] != "raster":
            raise ValueError(f"--order: --model {kind} has no variable order to choose")
        return {}

    def run_config(self, model, settings) -> dict[str, Any]:
        return {"order": settings["order"], "order_seed": settings["order_seed"],
                "pseudo_count": settings["pseudo_count"] if _closed_form(model) else None,
                "lr_schedule": None if _closed_form(model) else settings["lr_schedule"],
                "perturb": settings["perturb"]}

    def resumable(self, model) -> bool:
        return not _closed_form(model)

    def fit(self, model, splits, settings, run: RunSettings, *, log=False) -> FitResult:
        check_support(model, splits)
        train, rate = model_data(model, splits, "train"), settings.get("perturb")
        if _closed_form(model):
            if rate is None:
                return fit_table_model(model, train, settings["pseudo_count"])
            return fit_table_background(model, train, rate, seed=run.seed,
                                        pseudo_count=settings["pseudo_count"])
        valid = model_data(model, splits, "valid")
        options = dict(epochs=run.epochs, batch_size=run.batch_size, lr=run.lr,
                       lr_schedule=settings["lr_schedule"], patience=run.patience,
                       max_seconds=run.max_seconds, seed=run.seed,
                       checkpoint_dir=run.checkpoint_dir, resume=run.resume,
                       log_fn=_log_epoch if log else None, placement=run.placement)
        if rate is None:
            return fit_network(model, train, valid, **options)
        # A likelihood ratio's background: train and validation images perturbed alike.
        return fit_background(model, train, valid, rate, **options)

    def evaluate(self, model, splits, split, settings, seed) -> dict[str, Any]:
        check_support(model, splits)
        result = {"estimator": "exact", **evaluate_nll(model, model_data(model, splits, split))}
        if splits.levels is not None:
            # Dequantised grey levels: the density of y = (k + u) / K bounds the discrete
            # data's -log P(k) after the change of variables (ppl_models.data.dequantize).
            dim = math.prod(splits.image_shape)
            nll = torch.tensor(result["nll_nats"], dtype=torch.float64)
            bound = float(discrete_nll_bound(-nll, dim, splits.levels))
            result.update(discrete_nll_bound_nats=bound,
                          discrete_bits_per_dim=bound / (dim * math.log(2)),
                          levels=splits.levels)
        return result

    def sample(self, model, num: int, condition=None) -> torch.Tensor:
        return model().sample((num,))

    def train_figures(self, out: Path, fit: FitResult, splits, seed) -> None:
        if fit.history is not None and fit.history.epochs:
            save_training_curves({registry.kind_of(fit.model): fit.history},
                                 out / "training_curves.png")
        if _vectors(splits.image_shape) and not _base(splits.support).is_discrete:
            from inference.plots import save_pair_scatter

            with torch.no_grad():
                samples = self.sample(fit.model, splits.test.shape[0])
            save_pair_scatter(samples, out / "pair_scatter.png", data=splits.flat("test"),
                              title=f"{registry.kind_of(fit.model)} samples (blue) against "
                                    f"{splits.name} test rows (grey)")

    def save_samples(self, samples, path, *, dataset, image_shape, title, nrow=8) -> None:
        if _vectors(image_shape):
            # Rows of real vectors have no picture: pairs of their variables do.
            from inference.plots import save_pair_scatter

            save_pair_scatter(samples.reshape(len(samples), -1), path, title=title)
            return
        if not samples.dtype == torch.bool:
            # A density over R^D (dequantised grey levels in [0, 1)) puts some mass outside
            # the unit interval; the grid shows intensities, so clip for display only.
            samples = samples.clamp(0, 1)
        super().save_samples(samples, path, dataset=dataset, image_shape=image_shape,
                             title=title, nrow=nrow)

    def report_entry(self, fit: FitResult, splits: DataSplits, settings, seed) -> dict[str, Any]:
        test = self.evaluate(fit.model, splits, "test", settings, seed)
        history = fit.history
        return {
            "status": "fitted",
            "estimator": "exact",
            "nll_nats": test["nll_nats"],
            "stderr_nats": test["stderr_nats"],
            "bits_per_dim": test["bits_per_dim"],
            "n_test": test["n"],
            "num_parameters": num_parameters(fit.model),
            "epochs": fit.epochs,
            "best_epoch": None if history is None else history.best_epoch,
            "seconds": fit.seconds,
            "fit": fit.method,
        }

    def report_estimators(self, settings) -> dict[str, str]:
        return {"exact": "log-likelihood in closed form (the exact family)"}


def _log_epoch(record: dict[str, Any]) -> None:
    print(f"epoch {record['epoch']}: train {record['train_loss']:.3f}, "
          f"valid {record['valid_loss']:.3f} nats ({record['seconds']:.1f} s)",
          file=sys.stderr, flush=True)
