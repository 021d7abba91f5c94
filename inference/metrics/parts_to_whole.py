r"""Numbers about parts-to-whole generation (Puzzle-GAN, Lee et al. 2018).

- :func:`mask_iou`: intersection over union of a predicted mask (thresholded at 0.5) and
  the true object mask, per image, averaged;
- :func:`patch_l1`: how well a completed image reproduces the key patches it was given, at
  the places they were cut from (the appearance term of their eq. 3 restricted to the
  patches): per-pixel mean absolute error;
- label preservation is :func:`inference.metrics.translation.label_kept` on the completed
  images with the source images' labels.

References

1. Lee, Kim, Cho, Hwang & Yang, "Unsupervised Holistic Image Generation from Key Local
   Patches", ECCV 2018.
"""

from __future__ import annotations

__all__ = ["mask_iou", "patch_l1"]

import torch
from torch import Tensor

from ppl_models.gan.puzzle_gan import crop_patches


def mask_iou(predicted: Tensor, target: Tensor, threshold: float = 0.5) -> float:
    """Mean IoU of ``predicted > threshold`` and ``target > 0.5``, both ``(N, 1, H, W)``;
    an image whose masks are both empty counts as IoU 1."""
    if predicted.shape != target.shape or predicted.dim() != 4:
        raise ValueError(f"predicted and target must be equal (N, 1, H, W) shapes, got "
                         f"{tuple(predicted.shape)} and {tuple(target.shape)}")
    p, t = predicted > threshold, target > 0.5
    inter = (p & t).flatten(1).sum(1).float()
    union = (p | t).flatten(1).sum(1).float()
    return float(torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))
                 .mean())


def patch_l1(completed: Tensor, patches: Tensor, boxes: Tensor) -> float:
    """Mean absolute error between ``patches`` ``(N, K, C, P, P)`` and the same boxes
    ``(N, K, 2)`` cut from ``completed`` ``(N, C, H, W)``."""
    if patches.dim() != 5 or boxes.shape != (*patches.shape[:2], 2):
        raise ValueError("patches must be (N, K, C, P, P) with boxes (N, K, 2)")
    return float((crop_patches(completed, boxes, patches.shape[-1]) - patches).abs().mean())
