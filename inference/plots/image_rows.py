"""Rows of images, each row under a title of its own: the figure of a controlled generator
(one row per code value, label or prompt)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import torch
from matplotlib.figure import Figure
from torch import Tensor

from inference.plots.png_path import check_png_path
from inference.plots.sample_grid import image_grid

__all__ = ["generated_row", "image_rows_figure", "save_image_rows"]

# Screen inches per image pixel for small (8x8 digits) and larger (28x28 MNIST) images.
_INCHES_PER_PIXEL = {True: 0.08, False: 0.03}


def image_rows_figure(rows: Tensor, row_titles: Sequence[str], *,
                      column_titles: Sequence[str] | None = None,
                      title: str | None = None) -> Figure:
    """A figure with one axes per row of ``rows``, ``row_titles[r]`` to its left.

    :param Tensor rows: ``(R, K, C, H, W)`` images in [0, 1] (``C`` = 1 or 3): ``K`` a row.
    :param row_titles: ``R`` strings, e.g. ``"c = 3"``, ``"label 7"`` or a prompt.
    :param column_titles: optional ``K`` strings above the first row (e.g. a code's values).
    :param title: optional caption above the figure.
    :return: the :class:`~matplotlib.figure.Figure`, its axes ``fig.axes`` in row order.
    """
    if not isinstance(rows, Tensor) or rows.dim() != 5 or 0 in rows.shape[:2]:
        got = tuple(rows.shape) if isinstance(rows, Tensor) else type(rows).__name__
        raise ValueError(f"rows must be a non-empty (R, K, C, H, W) tensor, got {got}")
    n_rows, n_cols, _, h, w = rows.shape
    row_titles = [str(t) for t in row_titles]
    if len(row_titles) != n_rows:
        raise ValueError(f"row_titles must hold {n_rows} titles, got {len(row_titles)}")
    if column_titles is not None:
        column_titles = [str(t) for t in column_titles]
        if len(column_titles) != n_cols:
            raise ValueError(f"column_titles must hold {n_cols} titles, got "
                             f"{len(column_titles)}")
    strips = [image_grid(row, nrow=n_cols) for row in rows]  # checks values and channels
    _, strip_h, strip_w = strips[0].shape
    scale = _INCHES_PER_PIXEL[max(h, w) <= 16]
    label_width = 0.09 * max(len(t) for t in row_titles) + 0.2
    width, height = max(strip_w * scale, 1.5), max(strip_h * scale, 0.3)
    top = 0.3 * bool(column_titles) + 0.35 * bool(title)
    total_w, total_h = label_width + width, n_rows * height + top + 0.05
    fig = Figure(figsize=(total_w, total_h))
    for r, strip in enumerate(strips):
        bottom = (n_rows - 1 - r) * height + 0.05
        ax = fig.add_axes((label_width / total_w, bottom / total_h, width / total_w,
                           height / total_h))
        picture = strip[0] if strip.shape[0] == 1 else strip.permute(1, 2, 0)
        ax.imshow(picture.numpy(), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest",
                  aspect="auto")
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_ylabel(row_titles[r], rotation=0, ha="right", va="center", fontsize=8)
        if r == 0 and column_titles:
            centres = [1 + k * (w + 1) + (w - 1) / 2 for k in range(n_cols)]
            ax.xaxis.set_label_position("top")
            ax.xaxis.tick_top()
            ax.set_xticks(centres, column_titles, fontsize=7)
            ax.tick_params(axis="x", length=0, pad=1)
    if title:
        fig.suptitle(title, fontsize=9, y=1 - 0.05 / total_h)
    return fig


def save_image_rows(rows: Tensor, path: str | os.PathLike, row_titles: Sequence[str], *,
                    column_titles: Sequence[str] | None = None,
                    title: str | None = None) -> Path:
    """Write :func:`image_rows_figure` to the PNG file ``path``.

    :param path: destination; its directory must exist.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    path = check_png_path(path)
    rows = rows.detach().to("cpu", torch.float32) if isinstance(rows, Tensor) else rows
    image_rows_figure(rows, row_titles, column_titles=column_titles,
                      title=title).savefig(path, dpi=100)
    return path


def generated_row(generate, *args, n: int) -> Tensor:
    """``generate(*args)`` without gradients, on the CPU, checked to be ``n`` images
    ``(n, C, H, W)`` and clipped to [0, 1]: one row of a controlled generator's figure."""
    if not callable(generate):
        raise ValueError(f"generate must be callable, got {type(generate).__name__}")
    with torch.no_grad():
        images = generate(*args)
    if not isinstance(images, Tensor) or images.dim() != 4 or len(images) != n:
        got = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"generate must return {n} images (n, C, H, W), got {got}")
    return images.detach().cpu().float().clamp(0.0, 1.0)
