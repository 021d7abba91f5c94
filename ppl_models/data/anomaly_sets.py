"""Out-of-distribution sets built offline from real data, for anomaly detection.

Each function takes tensors and returns tensors (images ``(N, C, H, W)`` in [0, 1], or in
{0, 1} where the input is binary); nothing is downloaded. The sets follow Nalisnick et al.
(2019) and Ren et al. (2019):

- :func:`held_out_classes`: train on every class but some, score the held-out ones (the
  "train on 0-8, score 9" protocol, one split per class);
- :func:`inverted`: ``1 - x``, the same digits with foreground and background swapped;
- :func:`resized`: images resampled to another size (scikit-learn's 8x8 digits upsampled to
  28x28 against MNIST);
- :func:`uniform_noise` and :func:`constant_images`: inputs with no digit at all.

References

1. Nalisnick, Matsukawa, Teh, Gorur, Lakshminarayanan (2019). Do Deep Generative Models Know
   What They Don't Know? ICLR.
2. Ren et al. (2019). Likelihood Ratios for Out-of-Distribution Detection. NeurIPS.
"""

from __future__ import annotations

__all__ = ["constant_images", "held_out_classes", "inverted", "resized", "uniform_noise"]

from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_images(x, name: str = "images") -> Tensor:
    if not isinstance(x, Tensor) or x.dim() != 4 or len(x) == 0 or not x.is_floating_point():
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a non-empty floating (N, C, H, W) tensor, got {got}")
    return x


def _check_shape(shape) -> tuple[int, int, int]:
    shape = tuple(shape)
    if len(shape) != 3 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                              for s in shape):
        raise ValueError(f"image_shape must be three positive ints (C, H, W), got {shape!r}")
    return shape


def _check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    return n


def held_out_classes(images: Tensor, labels: Tensor, held_out: int | Iterable[int]
                     ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Split a labelled set into the kept classes and the held-out ones.

    :param Tensor images: ``(N, C, H, W)``.
    :param Tensor labels: ``(N,)`` integer labels.
    :param held_out: one class or several.
    :return: ``(in_images, in_labels, out_images, out_labels)``, each in the input's order.
    :raises ValueError: for mismatched lengths, a class that is absent, or holding out every
        class.
    """
    images = _check_images(images)
    if (not isinstance(labels, Tensor) or labels.shape != images.shape[:1]
            or labels.is_floating_point()):
        raise ValueError(f"labels must be an integer tensor of shape ({len(images)},)")
    held = torch.as_tensor([held_out] if isinstance(held_out, int) else list(held_out),
                           dtype=labels.dtype)
    present = set(labels.unique().tolist())
    missing = sorted(set(held.tolist()) - present)
    if held.numel() == 0 or missing:
        raise ValueError(f"held_out must name classes present in labels {sorted(present)}, "
                         f"got {held.tolist()}")
    out = torch.isin(labels, held)
    if out.all():
        raise ValueError("held_out names every class: nothing is left to train on")
    return images[~out], labels[~out], images[out], labels[out]


def inverted(images: Tensor) -> Tensor:
    """``1 - images``: foreground and background swapped (binary stays binary).

    :param Tensor images: ``(N, C, H, W)`` images or ``(N, D)`` vectors in [0, 1].
    """
    if not isinstance(images, Tensor) or images.dim() < 2 or len(images) == 0 \
            or not images.is_floating_point():
        got = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ValueError(f"images must be a non-empty floating (N, ...) tensor, got {got}")
    return 1 - images


def resized(images: Tensor, size: tuple[int, int], *, binarize: bool = True) -> Tensor:
    """Images resampled to ``size`` by bilinear interpolation, then thresholded at 0.5 when
    ``binarize`` (e.g. 8x8 digits to MNIST's 28x28).

    :param Tensor images: ``(N, C, H, W)`` in [0, 1].
    :param size: ``(H', W')``.
    """
    images = _check_images(images)
    size = tuple(size)
    if len(size) != 2 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                             for s in size):
        raise ValueError(f"size must be two positive ints (H, W), got {size!r}")
    out = F.interpolate(images, size=size, mode="bilinear", align_corners=False).clamp(0, 1)
    return (out > 0.5).to(images.dtype) if binarize else out


def uniform_noise(n: int, image_shape, *, binary: bool = True,
                  generator: torch.Generator | None = None) -> Tensor:
    """``n`` noise images: each pixel Bernoulli(0.5) when ``binary``, else Uniform(0, 1).

    :param int n: number of images.
    :param image_shape: ``(C, H, W)``.
    :param generator: a seeded :class:`torch.Generator` for reproducible draws.
    """
    n, shape = _check_count(n), _check_shape(image_shape)
    u = torch.rand((n, *shape), generator=generator)
    return (u < 0.5).float() if binary else u


def constant_images(image_shape, values=(0.0, 1.0)) -> Tensor:
    """One image per value, every pixel equal to it: ``(len(values), C, H, W)``.

    :param image_shape: ``(C, H, W)``.
    :param values: pixel values in [0, 1] (default all-off and all-on, for binary models).
    """
    shape = _check_shape(image_shape)
    v = torch.as_tensor(list(values), dtype=torch.float32)
    if v.dim() != 1 or v.numel() == 0 or ((v < 0) | (v > 1)).any():
        raise ValueError(f"values must be a non-empty list of numbers in [0, 1], got "
                         f"{list(values)!r}")
    return v.reshape(-1, 1, 1, 1).expand(len(v), *shape).clone()
