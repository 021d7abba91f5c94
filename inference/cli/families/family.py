"""What the command line does differently for each model family, as one interface.

``train``, ``evaluate``, ``sample`` and ``report`` never ask which kind a model is: they ask
the registry for its family and call that family's :class:`FamilyCLI`. A new kind in an
existing family needs nothing here; a new family is one module beside this one.
"""

from __future__ import annotations

__all__ = ["FamilyCLI", "RunSettings", "model_data", "selected_by"]

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from inference.cli.fitting import FitResult
from inference.training import Placement
from ppl_models import registry
from ppl_models.data import DataSplits
from ppl_models.registry import Option


@dataclass(frozen=True)
class RunSettings:
    """The training options every family shares."""

    epochs: int
    batch_size: int
    lr: float
    patience: int | None
    max_seconds: float | None
    seed: int
    checkpoint_dir: Path | None = None
    resume: bool = False
    #: Where the updates run and in what precision (the model is there already).
    placement: Placement = field(default_factory=Placement)


def model_data(model: nn.Module, splits: DataSplits, split: str) -> torch.Tensor:
    """A split as ``model`` sees it: images ``(N, C, H, W)`` for a kind built from
    ``input_shape``, flat vectors ``(N, D)`` for one built from ``dim``."""
    if registry.shape_keyword(registry.kind_of(model)) == "input_shape":
        return splits.images(split)
    return splits.flat(split)


def selected_by(history) -> dict[str, Any]:
    """``{"selected_by": {"monitor", "mode", "value"}}`` when something other than the
    validation loss (e.g. a sample metric) chose the kept epoch; else ``{}`` (the loss is
    reported under the family's ``best_key``)."""
    if history is None or history.best_epoch is None or history.monitor == "loss":
        return {}
    return {"selected_by": {"monitor": f"valid_{history.monitor}", "mode": history.mode,
                            "value": history.best_value}}


class FamilyCLI:
    """The per-family behaviour of the command line; see the subclasses.

    :cvar options: the family's own training options (flags), with their defaults.
    :cvar report_defaults: the report's values for some of them.
    :cvar evaluate_options: options of ``ppl-models evaluate`` for this family only.
    :cvar best_key: the metrics key of the best validation loss (named for what it is);
        ``None`` for a family without a validation loss.
    :cvar scored_as: how the family's likelihood is known, for messages.
    """

    name: str = ""
    options: tuple[Option, ...] = ()
    report_defaults: dict[str, Any] = {}
    evaluate_options: tuple[Option, ...] = ()
    best_key: str | None = "best_valid_loss"
    scored_as: str = ""

    def check(self, settings: dict[str, Any]) -> None:
        """Refuse out-of-range option values, naming the flag."""

    def best_figures(self, history, config: dict[str, Any]) -> dict[str, Any]:
        """The kept epoch's validation figures for ``metrics.json``: the validation loss
        under :attr:`best_key` (nothing for a family without one)."""
        if self.best_key is None:
            return {}
        return {self.best_key: None if history is None else history.best_valid_loss}

    def check_data(self, model: nn.Module, splits: DataSplits,
                   settings: dict[str, Any] | None = None) -> None:
        """Refuse data ``model`` cannot be fitted to or scored on (or, given the family's
        ``settings``, fitted with them), before anything is trained or written (``fit``
        and ``evaluate`` check it too).

        :raises ValueError: naming the kind and the data set.
        """

    def takes(self, kind: str, option: str) -> bool:
        """Whether ``kind`` uses the family option named ``option``: a flag given to a kind
        that ignores it is refused, and ``--help`` lists only the kinds that take it."""
        return True

    def constructor_arguments(self, kind: str, settings: dict[str, Any], splits: DataSplits,
                              seed: int) -> dict[str, Any]:
        """Constructor keywords the family derives from its options (e.g. a variable order)."""
        return {}

    def run_config(self, model: nn.Module, settings: dict[str, Any]) -> dict[str, Any]:
        """The settings a run records in ``config.json`` (what a resume must not change)."""
        return dict(settings)

    def resumable(self, model: nn.Module) -> bool:
        """Whether ``--resume`` continues a checkpointed fit (else it refits)."""
        return True

    def fit(self, model: nn.Module, splits: DataSplits, settings: dict[str, Any],
            run: RunSettings, *, log: bool = False) -> FitResult:
        raise NotImplementedError

    def evaluate(self, model: nn.Module, splits: DataSplits, split: str,
                 settings: dict[str, Any], seed: int) -> dict[str, Any]:
        """Score ``split``: a dict with ``estimator``, ``nll_nats``, ``stderr_nats``,
        ``bits_per_dim`` and ``n`` at least."""
        raise NotImplementedError

    def sample(self, model: nn.Module, num: int, condition: Any = None) -> torch.Tensor:
        """``num`` draws from ``model`` (global RNG), flat or as images; ``condition`` as
        :meth:`sample_condition` gives it."""
        raise NotImplementedError

    def sample_condition(self, model: nn.Module, splits: DataSplits, num: int,
                         values: list[str] | None = None) -> Any:
        """What ``num`` samples of ``model`` are drawn with: ``None`` for a kind that takes
        no condition (every kind outside the implicit family).

        :param values: the ``sample`` command's ``--condition`` words, if given.
        :raises ValueError: for ``values`` given to a kind that takes none.
        """
        if values:
            raise ValueError(f"--condition: {registry.kind_of(model)} is not conditioned "
                             "on anything")
        return None

    def save_samples(self, samples: torch.Tensor, path: Path, *, dataset: str,
                     image_shape: tuple[int, ...], title: str, nrow: int = 8) -> None:
        """Write ``samples`` as a figure: an image grid unless the family draws them
        otherwise (e.g. points over a toy mixture's modes)."""
        from inference.plots import save_sample_grid

        save_sample_grid(samples, path, nrow=nrow, image_shape=tuple(image_shape), title=title)

    def train_figures(self, out: Path, fit: FitResult, splits: DataSplits, seed: int) -> None:
        """The family's figures in a ``train`` run directory (samples are drawn elsewhere)."""

    def report_entry(self, fit: FitResult, splits: DataSplits, settings: dict[str, Any],
                     seed: int) -> dict[str, Any]:
        """A fitted model's row of the report's ``metrics.json``."""
        raise NotImplementedError

    def summary(self, kind: str, entry: dict[str, Any]) -> str:
        """One line for the report's log about a fitted ``kind``'s ``entry``."""
        return (f"{kind}: test {entry['estimator']} NLL {entry['nll_nats']:.3f} nats after "
                f"{entry['epochs']} epochs ({entry['seconds']:.1f} s)")

    def report_estimators(self, settings: dict[str, Any]) -> dict[str, str]:
        """``{estimator name: what it is}`` for the report's legend."""
        return {}

    def report_figures(self, out: Path, fits: dict[str, FitResult],
                       entries: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
        """Write the family's report figures for its ``fits``; ``[(file, caption)]``."""
        return []
