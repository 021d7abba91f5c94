"""Decoded draws from the prior, as one image grid."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from torch import Tensor

from inference.plots.decoded_images import decode_images
from inference.plots.png_path import check_png_path
from inference.plots.sample_grid import save_sample_grid

__all__ = ["save_prior_samples"]


def save_prior_samples(decode: Callable[[Tensor], Tensor], z: Tensor,
                       path: str | os.PathLike, *, nrow: int = 8,
                       image_shape: tuple[int, int, int] | None = None,
                       title: str | None = None) -> Path:
    r"""``decode(z)`` tiled ``nrow`` a row.

    :param callable decode: ``(M, D)`` codes to ``(M, C, H, W)`` or flat ``(M, P)`` images,
        e.g. the likelihood's mean.
    :param Tensor z: ``(M, D)`` draws from the prior, e.g. ``torch.randn(64, D)`` for
        :math:`\mathcal{N}(0, I)`.
    :param path: destination PNG; its directory must exist.
    :param int nrow: images per row.
    :param image_shape: ``(C, H, W)`` for flat images.
    :param title: optional caption.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(z, Tensor) or z.dim() != 2 or len(z) == 0:
        raise ValueError("z must be a non-empty (M, D) tensor of latent codes")
    path = check_png_path(path)
    return save_sample_grid(decode_images(decode, z), path, nrow=nrow,
                            image_shape=image_shape, title=title)
