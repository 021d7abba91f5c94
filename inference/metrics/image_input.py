"""Checks shared by the metrics that read image sets through a classifier (FID, KID, class
histograms).

A bad set does not fail inside torchmetrics or torch: images in 0..255 make the features
huge and the FID's matrix square root lose all precision (a negative FID was returned), a NaN
image is classified as some class, and two sets of different sizes are compared in a feature
space that means nothing for one of them. Each check names the argument and what was
expected.
"""

from __future__ import annotations

__all__ = ["check_images", "refuse_classifier_pair"]

import math

from torch import Tensor


def refuse_classifier_pair(classifier, name: str) -> None:
    """Refuse the ``(classifier, info)`` pair that ``feature_classifier()`` returns, which is
    easily passed whole where the classifier alone is meant."""
    if isinstance(classifier, tuple):
        raise ValueError(f"{name} must be the classifier itself, got a tuple of "
                         f"{len(classifier)}: feature_classifier() returns (classifier, info); "
                         "pass its first item")


def check_images(x, name: str, *, at_least: int = 1, why: str = "") -> Tensor:
    """``x`` as float32 images, or a ``ValueError`` naming ``name``.

    :param x: must be a floating ``(N, C, H, W)`` tensor of finite values in [0, 1] with
        ``N >= at_least``.
    :param str why: appended to the message when there are too few images.
    """
    if not isinstance(x, Tensor) or x.dim() != 4:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be images (N, C, H, W), got {got}")
    if len(x) < at_least:
        raise ValueError(f"{name} must hold at least {at_least} images{why}, got {len(x)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be floating images with values in [0, 1], got dtype "
                         f"{x.dtype} (divide 8-bit images by 255)")
    if x.numel() == 0:
        return x.float()
    low, high = float(x.min()), float(x.max())  # NaN propagates through min and max
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name} contains NaN or infinite values; expected values in [0, 1]")
    if low < 0 or high > 1:
        raise ValueError(f"{name} must hold values in [0, 1], found values in [{low:g}, "
                         f"{high:g}]" + (" (divide 0..255 images by 255)" if high > 1 else ""))
    return x.float()
