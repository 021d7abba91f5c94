r"""The rate-distortion plane of a VAE's training run, as a PNG.

Alemi et al. [1] read a VAE off the plane of rate :math:`R = \mathrm{KL}(q(z \mid x) \,\|\,
p(z))` against distortion :math:`D = -\mathbb{E}_q \log p(x \mid z)`: a point on a line
:math:`R + D = c` has :math:`-\mathrm{ELBO} = c`, so lines of slope :math:`-1` are lines of
equal bound; collapse (the decoder ignoring :math:`z`) sits at :math:`R \approx 0`, an
autoencoder that copies :math:`x` into :math:`z` at :math:`D \approx 0`.

References

1. Alemi, Poole, Fischer, Dillon, Saurous, Murphy (2018). Fixing a Broken ELBO. ICML.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from inference.plots.history_epochs import as_history
from inference.plots.png_path import check_png_path

__all__ = ["save_rate_distortion"]


def save_rate_distortion(history: Any, path: str | os.PathLike, *,
                         points: Mapping[str, tuple[float, float]] | None = None,
                         levels: Mapping[str, float] | None = None,
                         split: str = "valid", title: str | None = None) -> Path:
    """Plot each epoch's ``(<split>_rate, <split>_distortion)`` as a path in the plane.

    :param history: a :class:`~inference.training.History`, its ``to_dict()``, or a list of
        per-epoch dicts with ``<split>_rate`` and ``<split>_distortion``.
    :param path: destination PNG; its directory must exist.
    :param points: extra labelled ``(rate, distortion)`` points, e.g. the test split's.
    :param levels: labelled values ``c`` drawn as lines ``R + D = c`` (nats), e.g. the test
        -ELBO and an importance-weighted NLL.
    :param str split: ``"valid"`` or ``"train"``: which records make the path.
    :param title: optional title.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if split not in ("train", "valid"):
        raise ValueError(f"split must be 'train' or 'valid', got {split!r}")
    path_points = [(e[f"{split}_rate"], e[f"{split}_distortion"])
                   for e in as_history(history).epochs
                   if e.get(f"{split}_rate") is not None
                   and e.get(f"{split}_distortion") is not None]
    if not path_points:
        raise ValueError(f"history has no epoch with {split}_rate and {split}_distortion")
    points, levels = _finite_pairs(points, "points"), _finite_values(levels, "levels")
    path = check_png_path(path)
    fig = Figure(figsize=(5.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    rate, distortion = np.asarray(path_points, dtype=np.float64).T
    ax.plot(rate, distortion, "-", color="0.6", linewidth=1)
    shown = ax.scatter(rate, distortion, c=np.arange(1, len(rate) + 1), cmap="viridis", s=12,
                       zorder=3)
    fig.colorbar(shown, ax=ax, label="epoch")
    for k, (label, (r, d)) in enumerate(points.items()):
        ax.plot([r], [d], marker="*", markersize=12, linestyle="", color=f"C{k + 1}",
                label=f"{label} (R={r:.2f}, D={d:.2f})", zorder=4)
    all_r = np.concatenate([rate, [r for r, _ in points.values()]])
    all_d = np.concatenate([distortion, [d for _, d in points.values()]])
    span = np.array([0.0, max(all_r.max(), 1e-9) * 1.1])
    for k, (label, c) in enumerate(levels.items()):
        ax.plot(span, c - span, linestyle="--", linewidth=1, color=f"C{k + 4}",
                label=f"R + D = {c:.2f} ({label})")
    ax.set_xlim(left=0.0, right=span[1])
    ax.set_ylim(bottom=max(0.0, all_d.min() * 0.9), top=all_d.max() * 1.05 + 1e-9)
    ax.set_xlabel("rate R (nats)")
    ax.set_ylabel("distortion D (nats)")
    ax.grid(alpha=0.3)
    if points or levels:  # the epoch path is read off the colour bar, not a legend
        ax.legend(fontsize=7, loc="upper right")
    ax.set_title(title or f"rate-distortion plane, {split} split per epoch", fontsize=9)
    fig.savefig(path, dpi=100)
    return path


def _finite_pairs(points, name: str) -> dict[str, tuple[float, float]]:
    points = {} if points is None else points
    if not isinstance(points, Mapping) or not all(
            isinstance(v, tuple | list) and len(v) == 2
            and all(isinstance(c, int | float) and math.isfinite(c) for c in v)
            for v in points.values()):
        raise ValueError(f"{name} must map labels to finite (rate, distortion) pairs")
    return {str(k): (float(v[0]), float(v[1])) for k, v in points.items()}


def _finite_values(levels, name: str) -> dict[str, float]:
    levels = {} if levels is None else levels
    if not isinstance(levels, Mapping) or not all(
            isinstance(v, int | float) and math.isfinite(v) for v in levels.values()):
        raise ValueError(f"{name} must map labels to finite numbers")
    return {str(k): float(v) for k, v in levels.items()}
