"""Stacked MNIST (Metz et al. 2017; Karras et al. 2018, App. D): three MNIST digits drawn at
random become the R, G and B channels of one image, so there are 10^3 = 1000 modes, a mode being
the triple of digit labels (read per channel by a classifier when the images are generated).

References

1. Metz, Poole, Pfau & Sohl-Dickstein, "Unrolled Generative Adversarial Networks", ICLR 2017.
2. Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs", ICLR 2018, App. D.
"""

from __future__ import annotations

__all__ = ["STACKED_MODES", "stack_digits", "stacked_mode"]

import torch
from torch import Tensor

#: 10 labels per channel, three channels.
STACKED_MODES = 1000


def stacked_mode(labels: Tensor) -> Tensor:
    """Mode index ``100 * r + 10 * g + b`` of labels ``(N, 3)`` in 0..9; ``(N,)``."""
    if labels.dim() != 2 or labels.shape[1] != 3:
        raise ValueError(f"labels must be (N, 3), got {tuple(labels.shape)}")
    if labels.numel() and (labels.min() < 0 or labels.max() > 9):
        raise ValueError("labels must be digits in 0..9")
    return labels[:, 0] * 100 + labels[:, 1] * 10 + labels[:, 2]


def stack_digits(images: Tensor, labels: Tensor, n: int, *, seed: int = 0
                 ) -> tuple[Tensor, Tensor]:
    """``n`` stacks of three digits drawn uniformly with replacement.

    :param Tensor images: grey digits ``(M, 1, H, W)`` in [0, 1].
    :param Tensor labels: their labels ``(M,)``.
    :param int n: number of stacks.
    :param int seed: seeds the draw.
    :return: ``(stacks (n, 3, H, W), modes (n,))``, modes in 0..999 (:func:`stacked_mode`).
    """
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"images must be (M, 1, H, W), got {tuple(images.shape)}")
    if labels.shape != images.shape[:1]:
        raise ValueError(f"labels must be ({images.shape[0]},), got {tuple(labels.shape)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    gen = torch.Generator().manual_seed(seed)
    index = torch.randint(len(images), (n, 3), generator=gen)
    stacks = images[index.flatten(), 0].view(n, 3, *images.shape[2:])
    return stacks, stacked_mode(labels[index])
