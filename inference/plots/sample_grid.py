"""A grid of images (samples or data) saved as one PNG."""

from __future__ import annotations

__all__ = ["image_grid", "save_sample_grid"]

import math
import os
from pathlib import Path

import torch
from matplotlib.figure import Figure

from inference.plots.png_path import check_png_path

# Pixels of background between tiles, in units of image pixels.
_PAD = 1
# Screen inches per image pixel: an 8x8 digit and a 28x28 MNIST grid both come out legible.
_INCHES_PER_PIXEL = {True: 0.12, False: 0.04}


def image_grid(images: torch.Tensor, *, nrow: int = 8,
               image_shape: tuple[int, int, int] | None = None) -> torch.Tensor:
    """Tile ``N`` images into one ``(C, H', W')`` picture, ``nrow`` images a row.

    :param images: ``(N, C, H, W)`` in [0, 1], or ``(N, D)`` with ``image_shape``.
    :param int nrow: images per row.
    :param image_shape: ``(C, H, W)`` with ``C*H*W = D``, needed for flat input.
    :return: ``(C, rows*(H+1)+1, nrow*(W+1)+1)`` float tensor, background 0.5.
    """
    images = _as_images(images, image_shape)
    if isinstance(nrow, bool) or not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow must be a positive int, got {nrow!r}")
    n, c, h, w = images.shape
    ncol = min(nrow, n)
    rows = math.ceil(n / ncol)
    grid = torch.full((c, rows * (h + _PAD) + _PAD, ncol * (w + _PAD) + _PAD), 0.5)
    for k, image in enumerate(images):
        top = _PAD + (k // ncol) * (h + _PAD)
        left = _PAD + (k % ncol) * (w + _PAD)
        grid[:, top:top + h, left:left + w] = image
    return grid


def save_sample_grid(images: torch.Tensor, path: str | os.PathLike, *, nrow: int = 8,
                     image_shape: tuple[int, int, int] | None = None,
                     title: str | None = None) -> Path:
    """Write ``images`` as a grid to the PNG file ``path``.

    :param images: ``(N, C, H, W)`` in [0, 1] (``C`` = 1 grey, 3 RGB), or ``(N, D)`` with
        ``image_shape``.
    :param path: destination; its directory must exist.
    :param int nrow: images per row.
    :param image_shape: ``(C, H, W)`` for flat input.
    :param title: optional caption above the grid.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    path = check_png_path(path)
    grid = image_grid(images, nrow=nrow, image_shape=image_shape)
    c, height, width = grid.shape
    small = max(height, width) < 200
    scale = _INCHES_PER_PIXEL[small]
    fig = Figure(figsize=(max(width * scale, 2.0), max(height * scale, 2.0) + 0.4 * bool(title)))
    ax = fig.add_axes((0, 0, 1, 0.92 if title else 1))
    picture = grid[0] if c == 1 else grid.permute(1, 2, 0)
    ax.imshow(picture.numpy(), cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9)
    fig.savefig(path, dpi=100)
    return path


def _as_images(images, image_shape) -> torch.Tensor:
    if not isinstance(images, torch.Tensor) or images.dim() not in (2, 4) or len(images) == 0:
        got = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a non-empty (N, C, H, W) or (N, D) tensor, got {got}")
    images = images.detach().to("cpu", torch.float32)
    if images.dim() == 2:
        if image_shape is None or len(image_shape) != 3:
            raise ValueError(f"image_shape (C, H, W) is needed for flat (N, D) images, "
                             f"got {image_shape!r}")
        if math.prod(image_shape) != images.shape[1]:
            raise ValueError(f"image_shape {tuple(image_shape)} does not hold "
                             f"D={images.shape[1]} values")
        images = images.reshape(len(images), *image_shape)
    if images.shape[1] not in (1, 3):
        raise ValueError(f"images must have 1 or 3 channels, got {images.shape[1]}")
    if torch.isnan(images).any() or images.min() < 0 or images.max() > 1:
        raise ValueError("images must have values in [0, 1]")
    return images
