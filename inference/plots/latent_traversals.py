"""Latent traversals: one dimension swept at a time through the decoder."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from inference.plots.decoded_images import decode_images
from inference.plots.png_path import check_png_path
from inference.plots.sample_grid import save_sample_grid

__all__ = ["save_latent_traversals"]


def save_latent_traversals(decode: Callable[[Tensor], Tensor], z0: Tensor,
                           path: str | os.PathLike, *, dims: Sequence[int] | None = None,
                           span: float = 3.0, steps: int = 9,
                           image_shape: tuple[int, int, int] | None = None,
                           title: str | None = None) -> Path:
    r"""Row ``r`` decodes ``z0`` with coordinate ``dims[r]`` set to each of ``steps`` values
    evenly spaced in ``[-span, span]``; the other coordinates stay at ``z0``.

    A dimension the decoder ignores (a collapsed unit) gives a row of identical images.

    :param callable decode: ``(M, D)`` codes to ``(M, C, H, W)`` or flat ``(M, P)`` images.
    :param Tensor z0: ``(D,)`` base code, e.g. the guide's mean for one datum, or zeros.
    :param path: destination PNG; its directory must exist.
    :param dims: dimensions to sweep (default all).
    :param float span: half-width of the sweep, in prior standard deviations for
        :math:`\mathcal{N}(0, I)`.
    :param int steps: values per dimension (columns).
    :param image_shape: ``(C, H, W)`` for flat images.
    :param title: optional caption.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(z0, Tensor) or z0.dim() != 1 or len(z0) == 0:
        raise ValueError("z0 must be a non-empty (D,) tensor")
    dims = list(range(len(z0))) if dims is None else list(dims)
    if not dims or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d < len(z0)
                       for d in dims):
        raise ValueError(f"dims must be a non-empty list of ints in [0, {len(z0)}), "
                         f"got {dims!r}")
    if isinstance(span, bool) or not isinstance(span, int | float) or not span > 0:
        raise ValueError(f"span must be a positive number, got {span!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    path = check_png_path(path)
    values = torch.linspace(-span, span, steps, dtype=z0.dtype, device=z0.device)
    z = z0.detach().repeat(len(dims), steps, 1)
    for row, d in enumerate(dims):
        z[row, :, d] = values
    images = decode_images(decode, z.reshape(len(dims) * steps, len(z0)))
    return save_sample_grid(images, path, nrow=steps, image_shape=image_shape, title=title)
