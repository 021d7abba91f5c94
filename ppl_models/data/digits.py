"""The UCI optical handwritten digits shipped with scikit-learn (no download needed).

1,797 images of 8 x 8 pixels with integer intensities 0..16: small enough for exact
computations over all variables in tests and quick examples.

References:

1. E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI Machine Learning
   Repository, 1998.
"""

from __future__ import annotations

__all__ = ["DIGITS_SHAPE", "load_digits_images"]

import numpy as np
import torch

DIGITS_SHAPE = (1, 8, 8)
_MAX_INTENSITY = 16.0


def load_digits_images() -> tuple[torch.Tensor, torch.Tensor]:
    """Load scikit-learn's ``load_digits`` as image tensors.

    :returns: ``(images, labels)``: images float32 ``(1797, 1, 8, 8)`` in [0, 1] (intensity / 16),
        labels int64 ``(1797,)`` in 0..9, in scikit-learn's order.
    """
    # Imported here so that importing ppl_models.data does not pay for scikit-learn.
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images.astype(np.float32) / _MAX_INTENSITY)[:, None, :, :]
    labels = bunch.target.astype(np.int64)
    return torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels)
