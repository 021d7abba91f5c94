"""Images from a decoder callable, made safe to draw."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["decode_images"]


def decode_images(decode: Callable[[Tensor], Tensor], z: Tensor) -> Tensor:
    """``decode(z)`` without gradients, on the CPU, clipped to [0, 1].

    :param callable decode: latent codes ``(M, D)`` to images ``(M, C, H, W)`` or flat
        ``(M, P)``, e.g. Bernoulli probabilities or Gaussian means.
    :param Tensor z: ``(M, D)`` latent codes.
    """
    if not callable(decode):
        raise ValueError(f"decode must be callable, got {type(decode).__name__}")
    with torch.no_grad():
        images = decode(z)
    if not isinstance(images, Tensor) or len(images) != len(z):
        raise ValueError(f"decode must return a tensor with one image per code ({len(z)})")
    # A Gaussian decoder's means may stray slightly outside [0, 1]; show them clipped.
    return images.detach().cpu().float().clamp(0.0, 1.0)
