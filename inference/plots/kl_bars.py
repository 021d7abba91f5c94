"""KL divergence of each latent dimension as a bar chart: which units the model uses."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from inference.plots.png_path import check_png_path

__all__ = ["save_kl_per_dimension"]


def save_kl_per_dimension(kl_per_dim, path: str | os.PathLike, *,
                          threshold: float | None = None, title: str | None = None) -> Path:
    """One bar per latent dimension: its KL averaged over the data, in nats.

    Collapsed dimensions (posterior equal to the prior) show as bars near zero.

    :param kl_per_dim: ``(N, D)`` per-datum values (averaged here) or ``(D,)`` averages, a
        tensor or array, e.g. :attr:`ELBODecomposition.kl_per_dim`.
    :param path: destination PNG; its directory must exist.
    :param threshold: optional horizontal line, e.g. a collapse threshold.
    :param title: optional title.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    values = _averages(kl_per_dim)
    path = check_png_path(path)
    fig = Figure(figsize=(max(3.0, 0.25 * len(values) + 1.5), 3.0), layout="constrained")
    ax = fig.add_subplot()
    ax.bar(np.arange(len(values)), values, color="C0")
    if threshold is not None:
        ax.axhline(threshold, color="C3", linestyle="--", linewidth=1,
                   label=f"threshold {threshold:g}")
        ax.legend(fontsize=8)
    ax.set_xlabel("latent dimension")
    ax.set_ylabel("KL (nats)")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    fig.savefig(path, dpi=100)
    return path


def _averages(kl_per_dim) -> np.ndarray:
    if isinstance(kl_per_dim, torch.Tensor):
        kl_per_dim = kl_per_dim.detach().cpu().double().numpy()
    values = np.asarray(kl_per_dim, dtype=np.float64) if isinstance(
        kl_per_dim, np.ndarray | list | tuple) else None
    if values is None or values.ndim not in (1, 2) or values.size == 0 \
            or not np.isfinite(values).all():
        raise ValueError("kl_per_dim must be a non-empty finite (N, D) or (D,) tensor or array")
    return values.mean(0) if values.ndim == 2 else values
