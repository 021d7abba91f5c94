"""Linear-probe accuracy against the number of labels, one line per representation."""

from __future__ import annotations

__all__ = ["save_probe_accuracy"]

import math
import os
from collections.abc import Mapping
from pathlib import Path

from matplotlib.figure import Figure

from inference.plots.png_path import check_png_path


def save_probe_accuracy(accuracy: Mapping[str, Mapping[int, float]], path: str | os.PathLike,
                        *, chance: float | None = None, title: str | None = None) -> Path:
    """Test accuracy of each representation's probe at each number of labels (log x-axis).

    :param accuracy: ``{representation: {number of labels: accuracy in [0, 1]}}``.
    :param path: destination PNG; its directory must exist.
    :param chance: optional chance accuracy, drawn as a horizontal line.
    :param title: optional title.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(accuracy, Mapping) or not accuracy:
        raise ValueError("accuracy must be a non-empty dict {name: {labels: accuracy}}")
    for name, points in accuracy.items():
        if not isinstance(points, Mapping) or not points or any(
                not (isinstance(n, int) and n > 0 and isinstance(a, int | float)
                     and math.isfinite(a)) for n, a in points.items()):
            raise ValueError(f"accuracy[{name!r}] must map positive ints to finite numbers")
    path = check_png_path(path)
    fig = Figure(figsize=(5.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    for k, (name, points) in enumerate(accuracy.items()):
        n = sorted(points)
        ax.plot(n, [100 * points[i] for i in n], marker="o", ms=3, color=f"C{k % 10}",
                label=name)
    if chance is not None:
        ax.axhline(100 * chance, color="0.6", ls=":", lw=0.8, label="chance")
    ax.set_xscale("log")
    ax.set_xlabel("labelled training examples")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=100)
    return path
