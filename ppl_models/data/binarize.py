"""Turning intensities in [0, 1] into binary images for Bernoulli-likelihood models.

Two conventions exist in the literature and give different likelihoods, so a reported figure
must say which was used:

* **threshold** (deterministic): ``x > t``. Easier data; numbers are not comparable with papers
  using the fixed binarized MNIST.
* **stochastic**: each pixel ~ Bernoulli(intensity), drawn once ("static") or afresh every epoch
  ("dynamic"). The fixed binarized MNIST of Larochelle & Murray is one static draw of this kind.
"""

from __future__ import annotations

__all__ = ["binarize_stochastic", "binarize_threshold"]

import math

import torch


def _as_unit_interval(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    if x.numel() and torch.isnan(x).any():
        raise ValueError(f"{name} contains NaN")
    # min/max on an empty tensor raise, and an empty tensor has nothing out of range anyway.
    if x.numel() and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"{name} must lie in [0, 1], found values in [{x.min().item()}, {x.max().item()}]"
        )
    return x


def binarize_threshold(x: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Deterministic binarisation ``x > threshold``.

    :param x: intensities in [0, 1], any shape (e.g. ``(N, C, H, W)``).
    :param threshold: cut-off in [0, 1]; a pixel equal to it maps to 0.
    :returns: tensor of the same shape as ``x`` with values in {0., 1.}, in ``x``'s floating
        dtype (the default dtype for integer input).
    :raises ValueError: if ``x`` has values outside [0, 1] or NaN, or ``threshold`` is not in
        [0, 1].
    """
    x = _as_unit_interval(x, "x")
    threshold = float(threshold)
    if math.isnan(threshold) or not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
    return (x > threshold).to(x.dtype)


def binarize_stochastic(
    x: torch.Tensor,
    *,
    generator: torch.Generator | None = None,
    seed: int | None = None,
) -> torch.Tensor:
    """Stochastic binarisation: each entry is an independent draw from Bernoulli(x).

    :param x: intensities in [0, 1], any shape.
    :param generator: random source; pass the same generator across calls for a stream of fresh
        draws (dynamic binarisation).
    :param seed: seed for a fresh generator on ``x``'s device, so the same seed always gives the
        same tensor. At most one of ``generator`` and ``seed`` may be given; with neither, torch's
        global generator is used.
    :returns: tensor of the same shape and floating dtype as ``x``, values in {0., 1.}, with
        ``E[result] = x``.
    :raises ValueError: if ``x`` has values outside [0, 1] or NaN, or both ``generator`` and
        ``seed`` are given.
    """
    x = _as_unit_interval(x, "x")
    if generator is not None and seed is not None:
        raise ValueError("pass either generator or seed, not both")
    if seed is not None:
        generator = torch.Generator(device=x.device).manual_seed(int(seed))
    return torch.bernoulli(x, generator=generator)
