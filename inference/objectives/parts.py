r"""Puzzle-GAN's reconstruction terms (Lee et al. 2018, eqs. 2-3), as plain functions.

- :func:`mask_loss`: :math:`\|\hat M - M\|_1`, the predicted mask against the real object's;
- :func:`appearance_loss`: :math:`\|\hat y \odot \hat M - y \odot M\|_1`, each image compared
  *under its own mask*, as the reference code does (a version with :math:`M` on both sides
  leaves every pixel outside the true object free, and a white canvas meets it).

Both are means over pixels (``nn.L1Loss``).

References

1. Lee, Kim, Cho, Hwang & Yang, "Unsupervised Holistic Image Generation from Key Local
   Patches", ECCV 2018; code ``hellbell/KeyPatchGan``.
"""

from __future__ import annotations

__all__ = ["appearance_loss", "mask_loss"]

from torch import Tensor


def mask_loss(mask: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error between a predicted ``mask`` ``(N, 1, H, W)`` in [0, 1] and the
    real ``target`` mask of the same shape; a scalar."""
    if mask.shape != target.shape:
        raise ValueError(f"mask and target must have one shape, got {tuple(mask.shape)} and "
                         f"{tuple(target.shape)}")
    return (mask - target).abs().mean()


def appearance_loss(fake: Tensor, mask: Tensor, real: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error between ``fake * mask`` and ``real * target``: images
    ``(N, C, H, W)`` under masks ``(N, 1, H, W)``; a scalar."""
    if fake.shape != real.shape or mask.shape != target.shape:
        raise ValueError(f"fake and real (and their masks) must have one shape, got "
                         f"{tuple(fake.shape)} / {tuple(real.shape)} and {tuple(mask.shape)} / "
                         f"{tuple(target.shape)}")
    return (fake * mask - real * target).abs().mean()
