"""Training and validation NLL per epoch, one colour per model, saved as one PNG."""

from __future__ import annotations

__all__ = ["save_training_curves"]

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from inference.training import History


def save_training_curves(histories: Mapping[str, History | dict[str, Any]],
                         path: str | os.PathLike, *,
                         ylabel: str = "NLL (nats / image)") -> Path:
    """Plot each run's ``train_loss`` (dashed) and ``valid_loss`` (solid) against the epoch.

    The best validation epoch, where a run's reported parameters come from, is marked.

    :param histories: ``{name: History}`` or ``{name: History.to_dict()}``; at least one.
    :param path: destination PNG; its directory must exist.
    :param str ylabel: what the losses measure.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(histories, Mapping) or not histories:
        raise ValueError("histories must be a non-empty dict {name: History}")
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"path's directory {str(path.parent)!r} does not exist")
    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for k, (name, history) in enumerate(histories.items()):
        _plot_one(ax, name, _as_history(history, name), f"C{k}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=100)
    return path


def _plot_one(ax, name: str, history: History, colour: str) -> None:
    epochs = [e["epoch"] for e in history.epochs]
    ax.plot(epochs, history.train_loss, "--", color=colour, label=f"{name} train")
    valid = [(e, v) for e, v in zip(epochs, history.valid_loss, strict=True) if v is not None]
    if valid:
        ax.plot(*zip(*valid, strict=True), "-", color=colour, label=f"{name} valid")
    if history.best_epoch is not None:
        ax.plot([history.best_epoch], [history.best_valid_loss], "o", color=colour)


def _as_history(history, name: str) -> History:
    if isinstance(history, History):
        return history
    try:
        return History.from_dict(history)
    except ValueError as e:
        raise ValueError(f"histories[{name!r}] must be a History or History.to_dict()") from e
