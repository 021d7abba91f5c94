"""RGB patches cut from the two photographs scikit-learn ships (``load_sample_images``:
``china.jpg`` and ``flower.jpg``, 427 x 640), quantised to a few levels per channel: a small
offline colour data set for colour PixelRNNs.

A patch is ``size x size`` pixels at a random position (``seed``); each channel value
``v`` in 0..255 becomes level ``floor(v * levels / 256)``, stored as ``k / (levels - 1)``
like every image in the library. Patches are split 80/10/10 after drawing, so no two splits
share a patch (they may overlap in the photographs).
"""

from __future__ import annotations

__all__ = ["load_sample_patches"]

import numpy as np
import torch

from .splits import DataSplits


def load_sample_patches(*, size: int = 8, levels: int = 4, n: int = 5000,
                        seed: int = 0) -> DataSplits:
    """``n`` random ``(3, size, size)`` patches quantised to ``levels`` per channel.

    :param int size: patch side in pixels.
    :param int levels: values per channel, ``>= 2``.
    :param int n: patches drawn (half from each photograph).
    :param int seed: seed of the positions and the split.
    :return: :class:`DataSplits` of float32 images with values ``k / (levels - 1)``.
    :raises ValueError: for a size, ``levels`` or ``n`` out of range.
    """
    from sklearn.datasets import load_sample_images

    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 427:
        raise ValueError(f"size must be an integer in 1..427, got {size!r}")
    if isinstance(levels, bool) or not isinstance(levels, int) or not 2 <= levels <= 256:
        raise ValueError(f"levels must be an integer in 2..256, got {levels!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 10:
        raise ValueError(f"n must be an integer >= 10, got {n!r}")
    photos = load_sample_images().images
    rng = np.random.default_rng(seed)
    patches = []
    for i in range(n):
        photo = photos[i % len(photos)]
        top = rng.integers(0, photo.shape[0] - size + 1)
        left = rng.integers(0, photo.shape[1] - size + 1)
        patches.append(photo[top: top + size, left: left + size])
    k = (np.stack(patches).astype(np.int64) * levels) // 256
    images = torch.from_numpy((k / (levels - 1)).astype(np.float32)).permute(0, 3, 1, 2)
    images = images[torch.from_numpy(rng.permutation(n))].contiguous()
    n_train, n_valid = int(0.8 * n), int(0.1 * n)
    return DataSplits(train=images[:n_train], valid=images[n_train: n_train + n_valid],
                      test=images[n_train + n_valid:], name=f"sample_patches_{size}x{size}")
