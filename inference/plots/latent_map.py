"""Two latent coordinates of every datum as a scatter plot, coloured by class label."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch
from matplotlib.figure import Figure
from torch import Tensor

from inference.plots.png_path import check_png_path

__all__ = ["save_latent_map"]


def save_latent_map(z: Tensor, path: str | os.PathLike, *, labels: Tensor | None = None,
                    dims: Sequence[int] = (0, 1), title: str | None = None,
                    axis_labels: Sequence[str] | None = None) -> Path:
    """Scatter ``z[:, dims[0]]`` against ``z[:, dims[1]]``, one colour per label.

    :param Tensor z: ``(N, D)`` latent codes with ``D >= 2``, e.g. the guide's means
        (``encode(x)``) or :attr:`ELBODecomposition.guide_means`.
    :param path: destination PNG; its directory must exist.
    :param labels: optional ``(N,)`` integer class labels.
    :param dims: the two latent dimensions to show.
    :param title: optional title.
    :param axis_labels: the two axes' labels (default ``z[i]``, ``z[j]``); e.g.
        ``("PC 1", "PC 2")`` when ``z`` holds projections rather than latent coordinates.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(z, Tensor) or z.dim() != 2 or len(z) == 0 or z.shape[1] < 2:
        got = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
        raise ValueError(f"z must be a non-empty (N, D) tensor with D >= 2, got {got}")
    if (len(dims) != 2 or dims[0] == dims[1]
            or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d < z.shape[1]
                   for d in dims)):
        raise ValueError(f"dims must be two distinct ints in [0, {z.shape[1]}), got {dims!r}")
    if labels is not None and (not isinstance(labels, Tensor) or labels.shape != z.shape[:1]
                               or labels.is_floating_point()):
        raise ValueError(f"labels must be an integer tensor of shape ({len(z)},)")
    if axis_labels is None:
        axis_labels = (f"z[{dims[0]}]", f"z[{dims[1]}]")
    if isinstance(axis_labels, str) or len(axis_labels) != 2:
        raise ValueError(f"axis_labels must be two strings, got {axis_labels!r}")
    path = check_png_path(path)
    points = z.detach().cpu().double()[:, list(dims)].numpy()
    fig = Figure(figsize=(4.5, 4.0), layout="constrained")
    ax = fig.add_subplot()
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=6, alpha=0.6)
    else:
        labels = labels.cpu()
        for k, label in enumerate(torch.unique(labels).tolist()):
            chosen = (labels == label).numpy()
            ax.scatter(points[chosen, 0], points[chosen, 1], s=6, alpha=0.6,
                       color=f"C{k % 10}", label=str(label))
        ax.legend(fontsize=7, markerscale=2, loc="best")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    if title:
        ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=100)
    return path
