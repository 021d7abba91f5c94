"""Training and validation NLL per epoch, one colour per model, saved as one PNG."""

from __future__ import annotations

__all__ = ["save_training_curves"]

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from inference.plots.history_epochs import as_history
from inference.plots.png_path import check_png_path
from inference.training import History


def save_training_curves(histories: Mapping[str, History | dict[str, Any] | list[dict]],
                         path: str | os.PathLike, *,
                         ylabel: str = "NLL (nats / image)") -> Path:
    """Plot each run's ``train_loss`` (dashed) and ``valid_loss`` (solid) against the epoch.

    The best validation epoch, where a run's reported parameters come from, is marked when
    the history records one (a plain list of epochs does not).

    :param histories: ``{name: history}``, at least one, each a
        :class:`~inference.training.History`, its ``to_dict()``, or a list of per-epoch dicts;
        missing or ``None`` losses are skipped.
    :param path: destination PNG; its directory must exist.
    :param str ylabel: what the losses measure.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError("histories must be a non-empty dict {name: History}")
    path = check_png_path(path)
    runs = {name: _as_history(history, name) for name, history in histories.items()}
    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for k, (name, history) in enumerate(runs.items()):
        _plot_one(ax, name, history, f"C{k}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=100)
    return path


def _plot_one(ax, name: str, history: History, colour: str) -> None:
    for key, style, split in (("train_loss", "--", "train"), ("valid_loss", "-", "valid")):
        points = [(e["epoch"], e[key]) for e in history.epochs if e.get(key) is not None]
        if points:
            ax.plot(*zip(*points, strict=True), style, color=colour, label=f"{name} {split}")
    if history.best_epoch is not None:
        ax.plot([history.best_epoch], [history.best_valid_loss], "o", color=colour)


def _as_history(history, name: str) -> History:
    try:
        return as_history(history)
    except ValueError as e:
        # Name the run, so one bad entry among many is easy to find.
        raise ValueError(f"histories[{name!r}] must be a History, History.to_dict() or a "
                         f"non-empty list of per-epoch dicts") from e
