"""Data above their reconstructions, as one image grid."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from inference.plots.decoded_images import decode_images
from inference.plots.png_path import check_png_path
from inference.plots.sample_grid import save_sample_grid

__all__ = ["save_reconstructions"]


def save_reconstructions(x: Tensor, reconstruct: Callable[[Tensor], Tensor],
                         path: str | os.PathLike, *, num: int = 8,
                         image_shape: tuple[int, int, int] | None = None,
                         title: str | None = None) -> Path:
    """The first ``num`` data points in the top row, ``reconstruct`` of them below.

    :param Tensor x: ``(N, C, H, W)`` or flat ``(N, P)`` data in [0, 1].
    :param callable reconstruct: data to reconstructions of the same shape, e.g.
        ``lambda x: decode(encode(x))`` with the guide's mean code.
    :param path: destination PNG; its directory must exist.
    :param int num: how many data points to show.
    :param image_shape: ``(C, H, W)`` for flat data.
    :param title: optional caption.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(x, Tensor) or x.dim() not in (2, 4) or len(x) == 0:
        raise ValueError("x must be a non-empty (N, C, H, W) or (N, P) tensor")
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ValueError(f"num must be a positive int, got {num!r}")
    path = check_png_path(path)
    x = x[:num]
    recon = decode_images(reconstruct, x)
    if recon.shape != x.shape:
        raise ValueError(f"reconstruct must return x's shape {tuple(x.shape)}, got "
                         f"{tuple(recon.shape)}")
    images = torch.cat([x.detach().cpu().float(), recon])
    return save_sample_grid(images, path, nrow=len(x), image_shape=image_shape, title=title)
