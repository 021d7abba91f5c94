r"""Closed-form KL divergence checked against its Monte Carlo estimate.

For distributions :math:`q, p` with a registered closed form,

.. math::

    \mathrm{KL}(q \,\|\, p) = \mathbb{E}_{z \sim q}[\log q(z) - \log p(z)]
        \approx \hat{K} = \frac{1}{M} \sum_{m=1}^{M} \big(\log q(z_m) - \log p(z_m)\big),
    \qquad \mathrm{SE} = \frac{s}{\sqrt{M}},

with :math:`s` the sample standard deviation of the log-ratios. By the central limit theorem
:math:`(\hat{K} - \mathrm{KL}) / \mathrm{SE}` is close to standard normal for large
:math:`M`, so a closed form (or a guide's analytic KL term) that is wrong shows up as a large
z-score [1]. :func:`guide_prior_kl_check` runs the check on :math:`q(z \mid x)` against
:math:`p(z)` of a VAE-like model/guide pair, one comparison per datum.

References

1. Kingma, Welling (2014). Auto-Encoding Variational Bayes. ICLR, appendix B (the Gaussian
   KL in closed form).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.distributions import Distribution, kl_divergence

from inference.diagnostics.paired_trace import (
    check_count,
    check_data,
    find_site_roles,
    trace_pair,
)
from inference.diagnostics.seeded import check_seed, seeded

__all__ = ["KLCheck", "guide_prior_kl_check", "kl_check"]


@dataclass(frozen=True)
class KLCheck:
    """Analytic KL next to its Monte Carlo estimate, elementwise over the batch shape.

    :param Tensor analytic: closed-form KL, shape ``batch_shape``.
    :param Tensor monte_carlo: mean log-ratio over the draws, ``batch_shape``.
    :param Tensor stderr: its standard error, ``batch_shape`` (NaN with one draw).
    :param int num_samples: draws per batch element.
    """

    analytic: Tensor
    monte_carlo: Tensor
    stderr: Tensor
    num_samples: int

    @property
    def z_score(self) -> Tensor:
        """``(monte_carlo - analytic) / stderr``; 0 where both the gap and the SE are 0."""
        gap = self.monte_carlo - self.analytic
        # q == p gives identically zero log-ratios: no spread, no gap, perfect agreement.
        return torch.where((gap == 0) & (self.stderr == 0), torch.zeros_like(gap),
                           gap / self.stderr)

    def agrees(self, z_max: float = 4.0) -> bool:
        """Whether every ``|z_score| <= z_max`` (``False`` if any is NaN).

        :param float z_max: allowed standard errors; 4 is exceeded by chance with
            probability 6e-5 per element.
        """
        if isinstance(z_max, bool) or not isinstance(z_max, int | float) or not z_max > 0:
            raise ValueError(f"z_max must be a positive number, got {z_max!r}")
        return bool((self.z_score.abs() <= z_max).all())


def kl_check(q: Distribution, p: Distribution, num_samples: int = 10000, *,
             seed: int | None = None) -> KLCheck:
    """Compare :func:`torch.distributions.kl_divergence` with a Monte Carlo estimate.

    Works for any pair with a registered closed form and equal event shapes, including Pyro
    ``.to_event`` (``Independent``) distributions and full-covariance ``MultivariateNormal``;
    the batch shapes broadcast.

    :param Distribution q: the distribution the expectation is under (sampled).
    :param Distribution p: the reference distribution.
    :param int num_samples: draws ``M`` per batch element; all are held at once,
        ``(M, *batch_shape, *event_shape)``.
    :param seed: seeds the draws (the caller's RNG is left as it was); ``None`` draws from
        the global RNG.
    """
    for name, d in (("q", q), ("p", p)):
        if not isinstance(d, Distribution):
            raise ValueError(f"{name} must be a torch Distribution, got {type(d).__name__}")
    check_count(num_samples, "num_samples")
    check_seed(seed)
    if q.event_shape != p.event_shape:
        raise ValueError(f"q and p must have the same event shape, got "
                         f"{tuple(q.event_shape)} and {tuple(p.event_shape)}")
    try:
        torch.broadcast_shapes(q.batch_shape, p.batch_shape)
    except RuntimeError as e:
        raise ValueError(f"q and p batch shapes {tuple(q.batch_shape)} and "
                         f"{tuple(p.batch_shape)} do not broadcast") from e
    try:
        analytic = kl_divergence(q, p)
    except NotImplementedError as e:
        raise ValueError(f"q, p: no closed-form KL is registered for "
                         f"({type(q).__name__}, {type(p).__name__})") from e
    with torch.no_grad(), seeded(seed):
        z = q.sample((num_samples,))
        log_ratio = (q.log_prob(z) - p.log_prob(z)).double()
    mean = log_ratio.mean(0)
    stderr = log_ratio.std(0) / math.sqrt(num_samples) if num_samples > 1 else (
        torch.full_like(mean, math.nan))
    shape = analytic.shape
    return KLCheck(analytic=analytic.detach().double(), monte_carlo=mean.expand(shape),
                   stderr=stderr.expand(shape), num_samples=num_samples)


def guide_prior_kl_check(model: Callable, guide: Callable, x: Tensor,
                         num_samples: int = 1000, *, site: str | None = None,
                         seed: int | None = None) -> KLCheck:
    r"""Check :math:`\mathrm{KL}(q(z \mid x_i) \,\|\, p(z))` for every datum of ``x``.

    Traces the guide on ``x`` and the model replayed on it, takes the latent site's
    distributions there (``q`` batched over the data plate, ``p`` expanded by it) and runs
    :func:`kl_check` on them, so the result has batch shape ``(N,)`` for a VAE.

    :param callable model: ``model(x)`` with one observed site in a plate over the data.
    :param callable guide: ``guide(x)``.
    :param Tensor x: the data, ``(N, ...)``.
    :param int num_samples: Monte Carlo draws per datum.
    :param site: the latent site (default: the model's only one).
    :param seed: seeds the draws; ``None`` draws from the global RNG.
    """
    check_data(x)
    check_seed(seed)
    roles = find_site_roles(model, guide, x)
    if site is None:
        if len(roles.all_latent_sites) != 1:
            raise ValueError(f"site: the model has latent sites {roles.all_latent_sites}; "
                             f"name one")
        site = roles.all_latent_sites[0]
    elif site not in roles.all_latent_sites:
        raise ValueError(f"site {site!r} is not a latent site of the model; latent sites: "
                         f"{roles.all_latent_sites}")
    with seeded(seed):
        pair = trace_pair(model, guide, x, roles)
        q, p = pair.guide_trace.nodes[site]["fn"], pair.model_trace.nodes[site]["fn"]
        return kl_check(q, p, num_samples)
