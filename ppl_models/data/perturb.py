"""Input perturbation for the background model of a likelihood ratio (Ren et al. 2019).

Ren et al. train the background model on inputs in which each dimension is, with probability
``rate``, replaced by a uniform draw from its values: the perturbation destroys the semantic
content (the digit's shape) but keeps the population-level statistics (how many pixels are
on, where the background is), which the likelihood ratio then divides out.

References

1. Ren, Liu, Fertig, Snoek, Poplin, DePristo, Dillon, Lakshminarayanan (2019). Likelihood
   Ratios for Out-of-Distribution Detection. NeurIPS.
"""

from __future__ import annotations

__all__ = ["perturb_binary"]

import torch
from torch import Tensor


def perturb_binary(x: Tensor, rate: float, *, generator: torch.Generator | None = None
                   ) -> Tensor:
    """Replace each entry of binary ``x`` by a fair coin with probability ``rate``.

    :param Tensor x: floating tensor in {0, 1}, any shape.
    :param float rate: :math:`\\mu` in [0, 1] (Ren et al. use 0.1-0.3 for images).
    :param generator: a seeded :class:`torch.Generator`.
    :return: a new tensor of ``x``'s shape and dtype.
    """
    if not isinstance(x, Tensor) or not x.is_floating_point() or x.numel() == 0:
        raise ValueError("x must be a non-empty floating tensor")
    if not ((x == 0) | (x == 1)).all():
        raise ValueError("x must be binary (values in {0, 1})")
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be in [0, 1], got {rate!r}")
    replace = torch.rand(x.shape, generator=generator) < rate
    coin = (torch.rand(x.shape, generator=generator) < 0.5).to(x.dtype)
    return torch.where(replace, coin, x)
