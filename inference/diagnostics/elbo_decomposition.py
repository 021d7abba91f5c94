r"""The ELBO of each datum split into rate and distortion, read from Pyro traces.

For a model :math:`p(x, z) = p(z)\,p(x \mid z)` and a guide :math:`q(z \mid x)`,

.. math::

    \mathrm{ELBO}(x) = \mathbb{E}_q[\log p(x, z) - \log q(z \mid x)]
        = -(\underbrace{\mathbb{E}_q[-\log p(x \mid z)]}_{D(x)\ \text{distortion}}
          + \underbrace{\mathbb{E}_q[\log q(z \mid x) - \log p(z)]}_{R(x)\ \text{rate}}),

the vocabulary of Alemi et al. [1]. The rate is the KL divergence
:math:`\mathrm{KL}(q(z \mid x) \,\|\, p(z))`, estimated here by Monte Carlo from the same
draws as the distortion, so the three terms add up exactly and their sum over the data is
minus Pyro's ``Trace_ELBO`` loss on the same draws. Where the guide and prior factorise over
latent dimensions the KL is also given per dimension (in closed form when possible), which
shows posterior collapse unit by unit, next to the active-unit count of Burda et al. [2].

References

1. Alemi, Poole, Fischer, Dillon, Saurous, Murphy (2018). Fixing a Broken ELBO. ICML.
2. Burda, Grosse, Salakhutdinov (2016). Importance Weighted Autoencoders. ICLR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from inference.diagnostics.active_units import active_units
from inference.diagnostics.kl_per_dimension import kl_per_dimension
from inference.diagnostics.paired_trace import (
    PairedTrace,
    check_count,
    check_data,
    find_site_roles,
    trace_pair,
)
from inference.diagnostics.seeded import check_seed, seeded

__all__ = ["ELBODecomposition", "elbo_decomposition"]


@dataclass(frozen=True)
class ELBODecomposition:
    r"""Per-datum ELBO terms in nats, each averaged over ``num_samples`` draws of the guide.

    :param Tensor elbo: :math:`-(R + D)`, shape ``(N,)``.
    :param Tensor rate: :math:`R(x) = \mathbb{E}_q[\log q(z \mid x) - \log p(z)]`, ``(N,)``.
    :param Tensor distortion: :math:`D(x) = -\mathbb{E}_q[\log p(x \mid z)]`, ``(N,)``.
    :param kl_per_dim: ``(N, D)`` KL of each latent dimension (latent sites flattened and
        concatenated in ``latent_sites`` order), or ``None``.
    :param kl_per_dim_method: ``"analytic"`` when every site has a closed form,
        ``"monte_carlo"`` when some dimension is estimated from the draws, or ``None``.
    :param kl_per_dim_reason: why ``kl_per_dim`` is ``None``.
    :param analytic_rate: ``(N,)`` closed-form rate, when every latent site has a
        closed-form per-dimension KL and the guide samples nothing else; else ``None``.
    :param Tensor guide_means: ``(N, D)`` posterior means :math:`\mathbb{E}_q[z \mid x]`
        (the distribution's ``mean``, or the average of the draws where it has none).
    :param active_units: dimensions with :math:`\operatorname{Var}_x \mathbb{E}_q[z_u \mid x]`
        above the threshold; ``None`` when ``N = 1``.
    :param int num_samples: draws per datum.
    :param tuple latent_sites: the sites behind ``kl_per_dim`` and ``guide_means``.
    :param str observed_site: the site over the data.
    """

    elbo: Tensor
    rate: Tensor
    distortion: Tensor
    kl_per_dim: Tensor | None
    kl_per_dim_method: str | None
    kl_per_dim_reason: str | None
    analytic_rate: Tensor | None
    guide_means: Tensor
    active_units: int | None
    num_samples: int
    latent_sites: tuple[str, ...]
    observed_site: str

    @property
    def mean_elbo(self) -> float:
        """ELBO averaged over the data, nats per datum."""
        return self.elbo.double().mean().item()

    @property
    def mean_rate(self) -> float:
        """Rate averaged over the data, nats per datum."""
        return self.rate.double().mean().item()

    @property
    def mean_distortion(self) -> float:
        """Distortion averaged over the data, nats per datum."""
        return self.distortion.double().mean().item()

    @property
    def mean_analytic_rate(self) -> float | None:
        """Closed-form rate averaged over the data, or ``None``."""
        return None if self.analytic_rate is None else self.analytic_rate.double().mean().item()

    def summary(self) -> dict[str, Any]:
        """Averages as plain numbers (JSON-serialisable)."""
        kl = self.kl_per_dim
        return {
            "elbo": self.mean_elbo,
            "rate": self.mean_rate,
            "distortion": self.mean_distortion,
            "analytic_rate": self.mean_analytic_rate,
            "kl_per_dim": None if kl is None else kl.double().mean(0).tolist(),
            "kl_per_dim_method": self.kl_per_dim_method,
            "active_units": self.active_units,
            "num_samples": self.num_samples,
        }


def elbo_decomposition(model: Callable, guide: Callable, x: Tensor, num_samples: int = 1, *,
                       seed: int | None = None, vectorize_particles: bool = False,
                       observed_site: str | None = None,
                       latent_sites: Sequence[str] | None = None,
                       active_threshold: float = 0.01,
                       batch_size: int | None = None) -> ELBODecomposition:
    """Rate, distortion, ELBO and per-dimension KL of every datum in ``x``.

    By default the ``num_samples`` draws are taken one guide pass at a time (as
    ``Trace_ELBO`` does), which works for any model; ``vectorize_particles=True`` takes them
    in one pass under a ``pyro.plate("particles")``, faster but needing sites that broadcast
    over a leading particle dimension. Site scales are ignored (see
    :mod:`inference.diagnostics.paired_trace`), so with unit scales and one sample
    ``elbo.sum()`` is ``-Trace_ELBO().loss(model, guide, x)`` on the same draws. No
    gradients are kept.

    :param callable model: ``model(x)`` with one observed site in a plate over the data.
    :param callable guide: ``guide(x)`` sampling the model's latent sites in that plate.
    :param Tensor x: the data, ``(N, ...)``.
    :param int num_samples: guide draws per datum to average over.
    :param seed: seeds the draws (the caller's RNG state is left as it was); ``None`` draws
        from the global RNG.
    :param bool vectorize_particles: draw all samples in one vectorised pass.
    :param observed_site: the observed site's name, needed only if there are several.
    :param latent_sites: latent sites for ``kl_per_dim`` and ``guide_means`` (default all;
        the rate always covers every site).
    :param float active_threshold: activity above which a unit counts as active.
    :param batch_size: take the data ``batch_size`` rows at a time (memory then holds one
        batch's draws), all batches drawing from the one stream ``seed`` starts; ``None``
        takes all of ``x`` at once. The draws depend on it, as on ``num_samples``.
    """
    check_data(x)
    check_count(num_samples, "num_samples")
    check_seed(seed)
    if batch_size is not None:
        check_count(batch_size, "batch_size")
        if batch_size < len(x):
            with seeded(seed):
                parts = [elbo_decomposition(
                    model, guide, rows, num_samples, vectorize_particles=vectorize_particles,
                    observed_site=observed_site, latent_sites=latent_sites,
                    active_threshold=active_threshold) for rows in x.split(batch_size)]
            return _concatenate(parts, active_threshold)
    if not isinstance(vectorize_particles, bool):
        raise ValueError(f"vectorize_particles must be a bool, got {vectorize_particles!r}")
    if isinstance(active_threshold, bool) or not isinstance(active_threshold, int | float) \
            or not active_threshold >= 0:
        raise ValueError(f"active_threshold must be a non-negative number, "
                         f"got {active_threshold!r}")
    roles = find_site_roles(model, guide, x, observed_site=observed_site,
                            latent_sites=latent_sites)
    with seeded(seed):
        if vectorize_particles:
            pairs = [trace_pair(model, guide, x, roles, num_particles=num_samples)]
        else:
            pairs = [trace_pair(model, guide, x, roles) for _ in range(num_samples)]
    return _decompose([_draw_terms(p) for p in pairs], pairs[0], num_samples,
                      active_threshold)


def _draw_terms(pair: PairedTrace) -> dict[str, Any]:
    """Every term of the draws in one pass, still ``(S, N, ...)``."""
    terms = {"log_lik": pair.log_likelihood(), "log_prior": pair.log_prior(),
             "log_q": pair.log_guide(), "kl": [], "method": set(), "reason": None,
             "means": []}
    for name in pair.roles.latent_sites:
        q = pair.guide_trace.nodes[name]["fn"]
        p = pair.model_trace.nodes[name]["fn"]
        value = pair.guide_trace.nodes[name]["value"]
        event_ndim = len(q.event_shape)
        kl = kl_per_dimension(q, p, value)
        if kl.values is None:
            terms["reason"] = f"site {name!r}: {kl.reason}"
        else:
            terms["kl"].append(pair.per_datum(kl.values, name, event_ndim=event_ndim,
                                              keep_dims=True))
            terms["method"].add(kl.method)
        terms["means"].append(pair.per_datum(_mean(q, value), name, event_ndim=event_ndim,
                                             keep_dims=True))
    return terms


def _mean(q, value: Tensor) -> Tensor:
    try:
        return q.mean.expand(value.shape)
    except NotImplementedError:
        # Without a closed-form mean the draw itself is an unbiased (if noisy) estimate.
        return value


def _decompose(draws: list[dict[str, Any]], pair: PairedTrace, num_samples: int,
               active_threshold: float) -> ELBODecomposition:
    def average(key):
        return torch.cat([d[key] for d in draws]).mean(0)

    rate = average("log_q") - average("log_prior")
    distortion = -average("log_lik")
    means = torch.cat([torch.cat(d["means"], -1) for d in draws]).mean(0)
    reason = draws[0]["reason"]
    kl = None if reason else torch.cat([torch.cat(d["kl"], -1) for d in draws]).mean(0)
    method = None if reason else (
        "analytic" if draws[0]["method"] == {"analytic"} else "monte_carlo")
    roles = pair.roles
    guide_sites = {n for n, s in pair.guide_trace.nodes.items() if s["type"] == "sample"}
    closed = (method == "analytic" and set(roles.latent_sites) == set(roles.all_latent_sites)
              and guide_sites == set(roles.all_latent_sites))
    return ELBODecomposition(
        elbo=-(rate + distortion), rate=rate, distortion=distortion, kl_per_dim=kl,
        kl_per_dim_method=method, kl_per_dim_reason=reason,
        analytic_rate=kl.sum(-1) if closed else None, guide_means=means,
        active_units=active_units(means, active_threshold) if len(means) > 1 else None,
        num_samples=num_samples, latent_sites=roles.latent_sites,
        observed_site=roles.observed_site)


def _concatenate(parts: list[ELBODecomposition], active_threshold: float) -> ELBODecomposition:
    """One decomposition from those of consecutive batches of the data."""
    def cat(name):
        values = [getattr(p, name) for p in parts]
        return None if any(v is None for v in values) else torch.cat(values)

    methods = {p.kl_per_dim_method for p in parts}
    means = cat("guide_means")
    first = parts[0]
    return ELBODecomposition(
        elbo=cat("elbo"), rate=cat("rate"), distortion=cat("distortion"),
        kl_per_dim=cat("kl_per_dim"),
        kl_per_dim_method=None if None in methods else (
            "analytic" if methods == {"analytic"} else "monte_carlo"),
        kl_per_dim_reason=next((p.kl_per_dim_reason for p in parts if p.kl_per_dim_reason),
                               None),
        analytic_rate=cat("analytic_rate"), guide_means=means,
        # Activity is a variance over the whole data set, not a per-batch quantity.
        active_units=active_units(means, active_threshold) if len(means) > 1 else None,
        num_samples=first.num_samples, latent_sites=first.latent_sites,
        observed_site=first.observed_site)
