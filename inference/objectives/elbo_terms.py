r"""The ELBO split into rate and distortion, read off a guide trace and its replayed model.

For a model :math:`p(x, z) = p(z)\,p(x \mid z)`, a guide :math:`q(z \mid x)` and one draw
:math:`z \sim q(z \mid x)`, Alemi et al. [1] name the two parts of the (single-sample) ELBO

.. math:: R = \log q(z \mid x) - \log p(z), \qquad D = -\log p(x \mid z), \qquad
          \mathrm{ELBO} = -(R + D) = \log p(x, z) - \log q(z \mid x).

The rate is a Monte Carlo estimate of :math:`\mathrm{KL}(q(z \mid x) \,\|\, p(z))`, the
distortion a reconstruction cost. :func:`elbo_terms` reads the three log-densities behind them
from a pair of Pyro traces (the guide's, and the model's replayed on it, as ``Trace_ELBO``
builds them [2]):

- every **observed** sample site of the model counts towards :math:`\log p(x \mid z)`;
- every other sample site of the model towards :math:`\log p(z)`;
- every sample site of the guide towards :math:`\log q(z \mid x)`;
- subsample sites (a plate's indices) are no random variables and are skipped.

Log-densities are **unscaled** (masks still apply): a ``poutine.scale``, a KL warm-up
(:class:`~inference.objectives.kl_warmup.LatentScale`) or a subsampling plate's ``N / B``
changes the objective being optimised, not the model the terms describe. With unit scales
the summed ELBO is exactly minus ``Trace_ELBO``'s loss on the same draw.

A ``reduce`` callable decides the shape: the default sums each site to a scalar (what a
training step averages per batch, cheap enough for every update); the diagnostics pass one
that keeps a per-datum ``(S, N)`` tensor (:meth:`PairedTrace.per_datum
<inference.diagnostics.paired_trace.PairedTrace.per_datum>`). Gradients flow if the traces
carry them; wrap the call in ``torch.no_grad()`` to only report.

References

1. Alemi, Poole, Fischer, Dillon, Saurous & Murphy, "Fixing a Broken ELBO", ICML 2018.
2. Pyro, ``pyro.infer.Trace_ELBO`` and ``pyro.infer.enum.get_importance_trace``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from pyro.poutine.trace_struct import Trace
from pyro.poutine.util import site_is_subsample
from torch import Tensor

from inference.objectives.pyro_compat import unscaled_log_prob

__all__ = ["ELBOTerms", "Reduce", "elbo_terms", "sum_all"]

#: ``reduce(log_prob, site) -> Tensor``: bring one site's unscaled, masked log-density
#: (shape ``batch_shape`` of the site) to the shape the terms are wanted in; every site must
#: reduce to shapes that broadcast together.
Reduce = Callable[[Tensor, dict[str, Any]], Tensor]


def sum_all(log_prob: Tensor, site: dict[str, Any]) -> Tensor:
    """The default reduction: sum over every dimension, shape ``()``.

    :param Tensor log_prob: a site's log-density.
    :param dict site: the site (unused).
    """
    return log_prob.sum()


@dataclass(frozen=True)
class ELBOTerms:
    r"""Log-densities of one draw, in nats, each shaped as ``reduce`` returns.

    A component with no sites behind it is a zero of shape ``()``.

    :param Tensor log_likelihood: :math:`\log p(x \mid z)`, over the observed sites.
    :param Tensor log_prior: :math:`\log p(z)`, over the model's latent sites.
    :param Tensor log_guide: :math:`\log q(z \mid x)`, over the guide's sites.
    """

    log_likelihood: Tensor
    log_prior: Tensor
    log_guide: Tensor

    @property
    def rate(self) -> Tensor:
        r""":math:`R = \log q(z \mid x) - \log p(z)`."""
        return self.log_guide - self.log_prior

    @property
    def distortion(self) -> Tensor:
        r""":math:`D = -\log p(x \mid z)`."""
        return -self.log_likelihood

    @property
    def elbo(self) -> Tensor:
        r""":math:`-(R + D)`, computed as :math:`\log p(x \mid z) + \log p(z) - \log q(z \mid x)`
        (the importance log-weight of the draw)."""
        return self.log_likelihood + self.log_prior - self.log_guide


def elbo_terms(model_trace: Trace, guide_trace: Trace, reduce: Reduce = sum_all) -> ELBOTerms:
    """Read :class:`ELBOTerms` off a guide trace and the model trace replayed on it.

    The traces need not have their log-densities computed (they are then evaluated here);
    those an ELBO built are reused, unscaled.

    :param Trace model_trace: the model's trace, replayed on ``guide_trace``'s draw.
    :param Trace guide_trace: the guide's trace.
    :param reduce: ``reduce(log_prob, site)``, see :data:`Reduce`; default :func:`sum_all`.
    """
    log_lik = log_prior = log_guide = None
    for site in _sample_sites(guide_trace):
        log_guide = _add(log_guide, reduce(unscaled_log_prob(site), site))
    for site in _sample_sites(model_trace):
        value = reduce(unscaled_log_prob(site), site)
        if site["is_observed"]:
            log_lik = _add(log_lik, value)
        else:
            log_prior = _add(log_prior, value)
    if log_lik is None or log_prior is None or log_guide is None:
        log_lik, log_prior, log_guide = _zeros_for_missing(log_lik, log_prior, log_guide)
    return ELBOTerms(log_lik, log_prior, log_guide)


def _sample_sites(trace: Trace) -> list[dict[str, Any]]:
    # A plate records its indices as a sample site; it is no random variable.
    return [s for s in trace.nodes.values() if s["type"] == "sample" and not site_is_subsample(s)]


def _zeros_for_missing(*terms: Tensor | None) -> list[Tensor]:
    present = [t for t in terms if t is not None]
    zero = present[0].new_zeros(()) if present else torch.zeros(())
    return [zero if t is None else t for t in terms]


def _add(total: Tensor | None, value: Tensor) -> Tensor:
    # Starting from None rather than a zero saves an op per term on the per-update path.
    return value if total is None else total + value
