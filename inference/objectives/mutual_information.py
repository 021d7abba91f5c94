r"""InfoGAN's variational lower bound on the mutual information between a code and a sample.

Chen et al. (2016, Lemma 5.1 and eq. 5) bound the information that a generated image
:math:`x = G(z, c)` carries about its code :math:`c \sim p(c)` by an auxiliary distribution
:math:`Q(c \mid x)`:

.. math:: I(c; G(z, c)) \;\ge\; L_I(G, Q)
          = \mathbb{E}_{c \sim p(c),\, x \sim G(z, c)}[\log Q(c \mid x)] + H(c),

with equality when :math:`Q(c \mid x)` is the true posterior :math:`p(c \mid x)`. The gap is
:math:`\mathbb{E}_x\,\mathrm{KL}(p(c \mid x) \,\|\, Q(c \mid x)) \ge 0` (their eq. 4).
:math:`H(c)` is a constant of the prior, so only :math:`\mathbb{E}[\log Q]` carries gradient;
the InfoGAN objective (their eq. 6) is :math:`\min_{G,Q}\max_D V(D, G) - \lambda L_I(G, Q)`.

Two kinds of code, as Chen et al. use them on MNIST (their Sec. 7.1):

- a **categorical** code over :math:`K` values, :math:`Q` given by logits (its
  :math:`\log Q` is ``log_softmax``: a softmax applied *before* this function, as
  PyTorch-GAN's InfoGAN does before ``CrossEntropyLoss``, double-normalises and caps
  :math:`\log Q` far below 0); :math:`H(c) = -\sum_k p_k \log p_k` (:math:`\log K` uniform).
  A perfect :math:`Q` (all mass on the drawn code) has :math:`\log Q = 0`, so the bound is
  :math:`H(c)` exactly, the most a discrete code can carry;
- **continuous** codes uniform on :math:`[a, b]^{D}` (:math:`[-1, 1]` by default), :math:`Q`
  a factored Gaussian (their Sec. 5); :math:`H(c) = D \log(b - a)` nats (differential entropy:
  the bound is not capped, a sharper :math:`Q` raises it without limit).

Codes outside the prior's support are refused: a bound computed for codes drawn from another
distribution (e.g. :math:`\mathcal{N}(0, 1)` where :math:`U[-1, 1]` was declared) would pair
the wrong :math:`H(c)` with the wrong expectation.

References

1. Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN: Interpretable
   Representation Learning by Information Maximizing Generative Adversarial Nets",
   NeurIPS 2016.
2. Barber & Agakov, "The IM Algorithm: A Variational Approach to Information Maximization",
   NeurIPS 2003 (the bound).
"""

from __future__ import annotations

__all__ = ["InformationBound", "categorical_entropy", "mutual_information",
           "uniform_entropy"]

import math
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor


class InformationBound(NamedTuple):
    r"""The bound :math:`L_I` and its parts, every value a scalar tensor in nats.

    :ivar bound: :math:`\mathbb{E}[\log Q(c \mid x)] + H(c)` (eq. 5).
    :ivar entropy: :math:`H(c)`, the prior's entropy (no gradient).
    :ivar categorical_log_q: :math:`\mathbb{E}[\log Q(c_\text{cat} \mid x)]` (0 without one).
    :ivar continuous_log_q: :math:`\mathbb{E}[\log Q(c_\text{cont} \mid x)]`, summed over the
        continuous codes (0 without any).
    :ivar categorical_entropy: the categorical code's share of ``entropy``.
    :ivar continuous_entropy: the continuous codes' share of ``entropy``.
    """

    bound: Tensor
    entropy: Tensor
    categorical_log_q: Tensor
    continuous_log_q: Tensor
    categorical_entropy: Tensor
    continuous_entropy: Tensor

    @property
    def categorical_bound(self) -> Tensor:
        """The categorical code's bound, at most its entropy."""
        return self.categorical_log_q + self.categorical_entropy

    @property
    def continuous_bound(self) -> Tensor:
        """The continuous codes' bound."""
        return self.continuous_log_q + self.continuous_entropy


def categorical_entropy(probs: Tensor) -> Tensor:
    r""":math:`-\sum_k p_k \log p_k` in nats (:math:`0 \log 0 = 0`) of a ``(K,)`` prior."""
    return -torch.special.xlogy(probs, probs).sum()


def uniform_entropy(dim: int, low: float = -1.0, high: float = 1.0) -> float:
    r""":math:`D \log(b - a)`, the differential entropy of :math:`U[a, b]^D` in nats."""
    return dim * math.log(high - low)


def _check_categorical(logits: Tensor, code: Tensor, prior: Tensor | None) -> Tensor:
    if not isinstance(logits, Tensor) or logits.dim() != 2 or not logits.is_floating_point():
        raise ValueError(f"categorical_logits must be a float tensor (N, K), got "
                         f"{getattr(logits, 'shape', logits)!r}")
    n, k = logits.shape
    if (not isinstance(code, Tensor) or code.shape != (n,) or code.is_floating_point()
            or code.dtype == torch.bool):
        raise ValueError(f"categorical_code must be integer indices of shape ({n},), got "
                         f"{getattr(code, 'shape', code)!r}")
    if n and (code.min() < 0 or code.max() >= k):
        raise ValueError(f"categorical_code must lie in [0, {k}), got values in "
                         f"[{code.min().item()}, {code.max().item()}]")
    if prior is None:
        return logits.new_full((k,), 1.0 / k)
    if (not isinstance(prior, Tensor) or prior.shape != (k,) or (prior < 0).any()
            or not torch.isclose(prior.sum(), prior.new_tensor(1.0))):
        raise ValueError(f"categorical_prior must be {k} probabilities summing to 1")
    return prior.to(logits)


def _check_continuous(loc: Tensor, scale: Tensor | None, code: Tensor, low: float,
                      high: float) -> Tensor:
    if not isinstance(loc, Tensor) or loc.dim() != 2 or not loc.is_floating_point():
        raise ValueError(f"continuous_loc must be a float tensor (N, D), got "
                         f"{getattr(loc, 'shape', loc)!r}")
    if not isinstance(code, Tensor) or code.shape != loc.shape:
        raise ValueError(f"continuous_code must have continuous_loc's shape "
                         f"{tuple(loc.shape)}, got {getattr(code, 'shape', code)!r}")
    if scale is None:
        scale = torch.ones_like(loc)
    elif not isinstance(scale, Tensor) or scale.shape != loc.shape or not (scale > 0).all():
        raise ValueError("continuous_scale must be positive, of continuous_loc's shape")
    if not low < high:
        raise ValueError(f"continuous_low must be below continuous_high, got {low}, {high}")
    if code.numel() and (code.min() < low or code.max() > high):
        raise ValueError(f"continuous_code must be drawn from U[{low}, {high}] (its prior), "
                         f"got values in [{code.min().item():.3g}, {code.max().item():.3g}]")
    return scale


def mutual_information(
    *,
    categorical_logits: Tensor | None = None,
    categorical_code: Tensor | None = None,
    categorical_prior: Tensor | None = None,
    continuous_loc: Tensor | None = None,
    continuous_scale: Tensor | None = None,
    continuous_code: Tensor | None = None,
    continuous_low: float = -1.0,
    continuous_high: float = 1.0,
) -> InformationBound:
    r"""The InfoGAN bound :math:`L_I = \mathbb{E}[\log Q(c \mid x)] + H(c)` (Chen et al.
    2016, eq. 5) of a batch, in nats; maximise it (its ``bound`` is a differentiable scalar).

    :param categorical_logits: :math:`Q`'s **logits** ``(N, K)`` for the categorical code
        (unnormalised: never softmax them first).
    :param categorical_code: the drawn codes ``(N,)``, integers in ``[0, K)``.
    :param categorical_prior: :math:`p(c)`, ``(K,)``; default uniform (:math:`H = \log K`).
    :param continuous_loc: :math:`Q`'s Gaussian means ``(N, D)``.
    :param continuous_scale: its standard deviations ``(N, D)``; default 1 (then
        :math:`-\log Q` is half the squared error plus a constant).
    :param continuous_code: the drawn codes ``(N, D)``, in ``[low, high]``.
    :param float continuous_low: :math:`a`, the uniform prior's lower end.
    :param float continuous_high: :math:`b`, its upper end.
    :return: :class:`InformationBound`.
    :raises ValueError: for no code at all, mismatched shapes, codes outside their prior's
        support, or a bad prior.
    """
    if categorical_logits is None and continuous_loc is None:
        raise ValueError("give categorical_logits and/or continuous_loc (with their codes)")
    if (categorical_logits is None) != (categorical_code is None):
        raise ValueError("categorical_logits and categorical_code come together")
    if (continuous_loc is None) != (continuous_code is None):
        raise ValueError("continuous_loc and continuous_code come together")
    reference = categorical_logits if categorical_logits is not None else continuous_loc
    zero = reference.new_zeros(())
    cat_log_q = cont_log_q = cat_h = cont_h = zero
    if categorical_logits is not None:
        prior = _check_categorical(categorical_logits, categorical_code, categorical_prior)
        # log Q(c | x) = log_softmax(logits)[c], i.e. minus torch's cross-entropy on logits.
        cat_log_q = -F.cross_entropy(categorical_logits, categorical_code)
        cat_h = categorical_entropy(prior)
    if continuous_loc is not None:
        scale = _check_continuous(continuous_loc, continuous_scale, continuous_code,
                                  continuous_low, continuous_high)
        log_q = torch.distributions.Normal(continuous_loc, scale).log_prob(continuous_code)
        cont_log_q = log_q.sum(-1).mean()
        cont_h = zero + uniform_entropy(continuous_loc.shape[-1], continuous_low,
                                        continuous_high)
    entropy = cat_h + cont_h
    return InformationBound(cat_log_q + cont_log_q + entropy, entropy, cat_log_q, cont_log_q,
                            cat_h, cont_h)
