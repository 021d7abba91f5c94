r"""Active latent units: dimensions whose posterior mean moves with the data.

Burda et al. [1] call latent dimension :math:`u` *active* when

.. math:: A_u = \operatorname{Cov}_x\!\big(\mathbb{E}_{q(z \mid x)}[z_u]\big) > 0.01,

i.e. when the encoder's mean along :math:`u` varies across data points. An inactive unit has
collapsed to the prior: it carries (almost) no information about :math:`x`.

References

1. Burda, Grosse, Salakhutdinov (2016). Importance Weighted Autoencoders. ICLR, section 5.2.
"""

from __future__ import annotations

from torch import Tensor

__all__ = ["active_units", "unit_activity"]


def unit_activity(guide_means: Tensor) -> Tensor:
    r"""Variance over the data of each dimension's posterior mean, :math:`A_u`.

    :param Tensor guide_means: :math:`\mathbb{E}_q[z \mid x_i]`, shape ``(N, D)``, ``N >= 2``.
    :return: ``(D,)``, the sample variance (``N - 1`` in the denominator).
    """
    if not isinstance(guide_means, Tensor) or guide_means.dim() != 2 or len(guide_means) < 2:
        got = tuple(guide_means.shape) if isinstance(guide_means, Tensor) else guide_means
        raise ValueError(f"guide_means must be a (N, D) tensor with N >= 2, got {got!r}")
    return guide_means.double().var(dim=0)


def active_units(guide_means: Tensor, threshold: float = 0.01) -> int:
    r"""Number of dimensions with :math:`A_u > \text{threshold}`.

    :param Tensor guide_means: :math:`\mathbb{E}_q[z \mid x_i]`, shape ``(N, D)``, ``N >= 2``.
    :param float threshold: activity above which a unit counts (Burda et al. use 0.01).
    """
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or threshold < 0:
        raise ValueError(f"threshold must be a non-negative number, got {threshold!r}")
    return int((unit_activity(guide_means) > threshold).sum())
