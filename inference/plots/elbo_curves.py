"""ELBO, rate and distortion per epoch, train and validation, one panel each, as a PNG."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from inference.plots.history_epochs import as_history
from inference.plots.png_path import check_png_path

__all__ = ["save_elbo_curves"]

METRICS = ("elbo", "rate", "distortion")


def save_elbo_curves(history: Any, path: str | os.PathLike, *,
                     metrics: Sequence[str] = METRICS) -> Path:
    """Plot ``train_<metric>`` (dashed) and ``valid_<metric>`` (solid) against the epoch.

    One panel per metric that any epoch reports; missing or ``None`` values are skipped.

    :param history: a :class:`~inference.training.History`, its ``to_dict()``, or a list of
        per-epoch dicts with keys such as ``epoch``, ``train_elbo``, ``valid_rate``
        (``epoch`` defaults to the 1-based position).
    :param path: destination PNG; its directory must exist.
    :param metrics: the metric names to look for, in panel order.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    epochs = as_history(history).epochs
    path = check_png_path(path)
    if isinstance(metrics, str) or not metrics:
        raise ValueError(f"metrics must be a non-empty list of names, got {metrics!r}")
    shown = [m for m in metrics
             if any(e.get(f"{s}_{m}") is not None for e in epochs for s in ("train", "valid"))]
    if not shown:
        raise ValueError(f"history has no train_/valid_ values for any of {list(metrics)}")
    fig = Figure(figsize=(3.2 * len(shown), 3.0), layout="constrained")
    for ax, metric in zip(fig.subplots(1, len(shown), squeeze=False)[0], shown, strict=True):
        for split, style in (("train", "--"), ("valid", "-")):
            points = [(e["epoch"], e[f"{split}_{metric}"])
                      for e in epochs if e.get(f"{split}_{metric}") is not None]
            if points:
                ax.plot(*zip(*points, strict=True), style, marker=".", label=split)
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats / datum")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=100)
    return path

