"""Test NLL of several models side by side, as a bar chart saved to PNG."""

from __future__ import annotations

__all__ = ["save_nll_bars"]

import math
import os
from collections.abc import Mapping
from pathlib import Path

from matplotlib.figure import Figure

from inference.plots.png_path import check_png_path


def save_nll_bars(nll: Mapping[str, float], path: str | os.PathLike, *,
                  stderr: Mapping[str, float] | None = None,
                  ylabel: str = "test NLL (nats / image)", title: str | None = None) -> Path:
    """One bar per model, labelled with its value; lower is better.

    :param nll: ``{model name: NLL}``, finite numbers, at least one.
    :param path: destination PNG; its directory must exist.
    :param stderr: optional ``{model name: standard error}`` drawn as error bars.
    :param str ylabel: axis label (state the unit).
    :param title: optional title, e.g. the dataset and binarisation.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(nll, Mapping) or not nll:
        raise ValueError("nll must be a non-empty dict {model name: value}")
    bad = [k for k, v in nll.items() if not isinstance(v, int | float) or not math.isfinite(v)]
    if bad:
        raise ValueError(f"nll must hold finite numbers; not finite: {bad}")
    path = check_png_path(path)
    names, values = list(nll), list(nll.values())
    errors = None
    if stderr is not None:
        errors = [s if math.isfinite(s := stderr.get(k, 0.0)) else 0.0 for k in names]
    fig = Figure(figsize=(1.2 * len(names) + 2.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.bar(names, values, yerr=errors, capsize=4, color=[f"C{k}" for k in range(len(names))])
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], fontsize=8, padding=2)
    ax.set_ylabel(ylabel)
    ax.margins(y=0.12)
    if title:
        ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=100)
    return path
