"""Samples of a 2-D sampler over the true modes of a toy mixture, one panel per snapshot."""

from __future__ import annotations

__all__ = ["save_mode_scatter"]

import os
from collections.abc import Mapping
from pathlib import Path

import torch
from matplotlib.figure import Figure

from inference.plots.png_path import check_png_path


def save_mode_scatter(samples: Mapping[str, torch.Tensor], means: torch.Tensor,
                      path: str | os.PathLike, *, title: str = "") -> Path:
    """One panel per entry of ``samples`` (e.g. per epoch): points ``(N, 2)`` drawn over the
    true means (open red circles, beneath the points: samples within a few sigma of a mode sit
    inside its circle instead of hiding under a marker).

    :param samples: ``{panel title: (N, 2) samples}``, at least one.
    :param Tensor means: ``(K, 2)``.
    """
    if not isinstance(samples, Mapping) or not samples:
        raise ValueError("samples must be a non-empty dict {title: (N, 2) tensor}")
    path = check_png_path(path)
    fig = Figure(figsize=(2.6 * len(samples), 2.8), layout="constrained")
    axes = fig.subplots(1, len(samples), squeeze=False)[0]
    lim = float(means.abs().max()) * 1.4
    for ax, (name, x) in zip(axes, samples.items(), strict=True):
        x = x.detach().cpu()
        if x.dim() != 2 or x.shape[1] != 2:
            raise ValueError(f"samples[{name!r}] must be (N, 2), got {tuple(x.shape)}")
        ax.scatter(means[:, 0], means[:, 1], marker="o", facecolors="none", edgecolors="red",
                   s=60, linewidths=1, zorder=1)
        # Few points are drawn large enough to see; many, small and faint, so density shows.
        few = len(x) <= 500
        ax.scatter(x[:, 0], x[:, 1], s=8 if few else 1, alpha=0.8 if few else 0.3, zorder=2)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_title(name, fontsize=9)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=100)
    return path
