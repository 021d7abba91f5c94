"""What every implicit model is: two players' networks and one sampling call.

An implicit kind's class holds networks only (no optimiser, no training settings, nothing
stored between calls). Its training objective is a *game* of :mod:`inference.games`, named
where the kind is registered (``register(kind, "implicit", game=...)``), which reads the
networks through their documented calls.
"""

from __future__ import annotations

__all__ = ["Networks", "check_count", "check_unit_images"]

import operator
from typing import Any, Protocol, runtime_checkable

import torch
from torch import Tensor, nn


@runtime_checkable
class Networks(Protocol):
    """The contract of an implicit model, checked once by the game that trains it.

    :ivar generator: the generator player's module (every parameter its optimiser updates).
    :ivar discriminator: the discriminator player's module.
    """

    generator: nn.Module
    discriminator: nn.Module

    def sample(self, n: int, condition: Any = None) -> Tensor:
        """``n`` draws without gradients, in eval mode; ``condition`` what the kind is
        conditioned on (a label, a caption, an input image), ``None`` where it takes none."""
        ...


def check_unit_images(x: Tensor, name: str) -> Tensor:
    """``x`` if its values are finite and in [0, 1] (the images every model here takes),
    else a ValueError naming ``name``: a translation of NaN images is NaN images, and images
    in 0..255 are not these models' inputs."""
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} holds NaN or infinite values")
    if len(x) and (float(x.min()) < 0 or float(x.max()) > 1):
        raise ValueError(f"{name} must hold images in [0, 1], got values in "
                         f"[{float(x.min()):.3g}, {float(x.max()):.3g}] (divide 0..255 "
                         "images by 255)")
    return x


def check_count(n, name: str = "n") -> int:
    """``n`` as a positive Python int: any integral number (``3``, ``numpy.int64(3)``, a
    0-d integer tensor) is accepted, a bool or a float is not.

    :raises ValueError: naming ``name`` otherwise.
    """
    if isinstance(n, bool):
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    try:
        value = operator.index(n)
    except TypeError:
        raise ValueError(f"{name} must be a positive int, got {n!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return value
