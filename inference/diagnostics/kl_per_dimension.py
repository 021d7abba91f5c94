r"""KL divergence of each latent dimension, for distributions that factorise over dimensions.

When :math:`q(z) = \prod_u q_u(z_u)` and :math:`p(z) = \prod_u p_u(z_u)` (a Pyro
``.to_event`` / ``Independent`` of univariate distributions),

.. math:: \mathrm{KL}(q \,\|\, p) = \sum_u \mathrm{KL}(q_u \,\|\, p_u),

and each term is the information dimension :math:`u` carries [1]. It is computed in closed
form where :func:`torch.distributions.kl_divergence` has one for the pair of base
distributions, else by Monte Carlo from a draw :math:`z \sim q`:
:math:`\log q_u(z_u) - \log p_u(z_u)`. A joint event (``MultivariateNormal``, a flow) has no
per-dimension split and gets a reason instead.

References

1. Burda, Grosse, Salakhutdinov (2016). Importance Weighted Autoencoders. ICLR.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor
from torch.distributions import Distribution, Independent, kl_divergence

__all__ = ["PerDimensionKL", "kl_per_dimension"]


@dataclass(frozen=True)
class PerDimensionKL:
    """Elementwise KL of one latent site.

    :param values: ``KL(q_u || p_u)`` shaped like the draw (``batch_shape + event_shape``),
        or ``None`` when the event does not factorise.
    :param method: ``"analytic"``, ``"monte_carlo"`` or ``None``.
    :param reason: why ``values`` is ``None``.
    """

    values: Tensor | None
    method: str | None
    reason: str | None = None


def kl_per_dimension(q: Distribution, p: Distribution, value: Tensor) -> PerDimensionKL:
    """Per-dimension KL between two factorised distributions over the same event.

    :param Distribution q: the approximate posterior, e.g. ``Normal(m, s).to_event(1)``.
    :param Distribution p: the prior over the same event.
    :param Tensor value: a draw from ``q`` (used only when there is no closed form).
    """
    q_base, p_base = _univariate_base(q), _univariate_base(p)
    if q.event_shape != p.event_shape:
        return PerDimensionKL(None, None, f"q and p have different event shapes "
                                          f"{tuple(q.event_shape)}, {tuple(p.event_shape)}")
    if q_base is None or p_base is None:
        joint = type(q if q_base is None else p).__name__
        return PerDimensionKL(None, None, f"{joint} has a joint event that does not factorise "
                                          f"into independent dimensions")
    try:
        values = kl_divergence(q_base, p_base)
        method = "analytic"
    except NotImplementedError:
        # No closed form, but the event factorises: each dimension's log-ratio at a draw
        # from q is an unbiased estimate of that dimension's KL.
        values = q_base.log_prob(value) - p_base.log_prob(value)
        method = "monte_carlo"
    return PerDimensionKL(values.expand(value.shape), method)


def _univariate_base(d: Distribution) -> Distribution | None:
    while isinstance(d, Independent):
        d = d.base_dist
    return d if d.event_shape == () else None
