"""Model samples against data for a few pairs of variables of real vectors (tabular data),
one panel per pair: where a sample grid has no meaning, the joint of two columns does."""

from __future__ import annotations

__all__ = ["save_pair_scatter"]

import os
from collections.abc import Sequence
from pathlib import Path

import torch
from matplotlib.figure import Figure

from inference.plots.png_path import check_png_path


def _check_vectors(name: str, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] < 2:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a (N, D) tensor with D >= 2, got {got}")
    return x.detach().cpu().float()


def save_pair_scatter(samples: torch.Tensor, path: str | os.PathLike, *,
                      data: torch.Tensor | None = None,
                      pairs: Sequence[tuple[int, int]] | None = None,
                      columns: Sequence[str] | None = None, title: str = "") -> Path:
    """Scatter ``samples`` (blue) over ``data`` (grey) for each pair of variables.

    :param Tensor samples: ``(N, D)`` model draws.
    :param path: destination PNG.
    :param data: ``(M, D)`` reference rows (e.g. the test split), or None.
    :param pairs: variable index pairs; default the first three of (0,1), (0,2), (1,2), ...
    :param columns: ``D`` variable names for the axis labels (default ``x0 .. x{D-1}``).
    :raises ValueError: for shapes that are not ``(N, D)`` with one ``D``, or bad pairs.
    """
    samples = _check_vectors("samples", samples)
    d = samples.shape[1]
    if data is not None:
        data = _check_vectors("data", data)
        if data.shape[1] != d:
            raise ValueError(f"data must have {d} columns like samples, got {data.shape[1]}")
    if pairs is None:
        pairs = [(i, j) for i in range(d) for j in range(i + 1, d)][:3]
    if not pairs or any(not (0 <= i < d and 0 <= j < d and i != j) for i, j in pairs):
        raise ValueError(f"pairs must be distinct indices in 0..{d - 1}, got {pairs}")
    names = list(columns) if columns is not None else [f"x{i}" for i in range(d)]
    path = check_png_path(path)
    fig = Figure(figsize=(2.8 * len(pairs), 2.9), layout="constrained")
    axes = fig.subplots(1, len(pairs), squeeze=False)[0]
    for ax, (i, j) in zip(axes, pairs, strict=True):
        if data is not None:
            ax.scatter(data[:, i], data[:, j], s=4, c="0.5", alpha=0.6, label="data")
        ax.scatter(samples[:, i], samples[:, j], s=4, alpha=0.6, label="samples")
        ax.set_xlabel(names[i], fontsize=8)
        ax.set_ylabel(names[j], fontsize=8)
    if data is not None:
        axes[0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=100)
    return path
