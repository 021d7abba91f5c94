"""Histograms of one score (e.g. bits/dim) over several data sets, in and out of
distribution, on shared bins."""

from __future__ import annotations

__all__ = ["save_score_histograms"]

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from inference.plots.png_path import check_png_path


def save_score_histograms(scores: Mapping[str, object], path: str | os.PathLike, *,
                          xlabel: str = "bits/dim", bins: int = 40,
                          title: str | None = None) -> Path:
    """Overlaid density histograms, one per data set, on the same bins.

    :param scores: ``{data set name: (N,) scores}`` (tensors or arrays), e.g. the
        in-distribution test set first and each out-of-distribution set after it.
    :param path: destination PNG; its directory must exist.
    :param str xlabel: the score and its unit.
    :param int bins: number of shared bins.
    :param title: optional title.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(scores, Mapping) or not scores:
        raise ValueError("scores must be a non-empty dict {name: 1-D scores}")
    arrays = {}
    for name, s in scores.items():
        a = (s.detach().cpu().double().numpy() if isinstance(s, torch.Tensor)
             else np.asarray(s, dtype=np.float64))
        if a.ndim != 1 or a.size == 0 or not np.isfinite(a).all():
            raise ValueError(f"scores[{name!r}] must be a non-empty 1-D array of finite numbers")
        arrays[name] = a
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive int, got {bins!r}")
    path = check_png_path(path)
    lo = min(a.min() for a in arrays.values())
    hi = max(a.max() for a in arrays.values())
    edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
    fig = Figure(figsize=(5.0, 3.4), layout="constrained")
    ax = fig.add_subplot()
    for k, (name, a) in enumerate(arrays.items()):
        ax.hist(a, bins=edges, density=True, alpha=0.45, color=f"C{k % 10}",
                label=f"{name} (n={a.size})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=100)
    return path
