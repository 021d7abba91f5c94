r"""The guide's trace and the model's trace replayed on it, read per datum.

One pass draws :math:`z \sim q(z \mid x)` from the guide and scores it under the model with
:func:`pyro.poutine.replay`, as Pyro's ``Trace_ELBO`` does [1]. The pass may be vectorised
over :math:`S` particles by an outermost ``pyro.plate("particles", S)`` placed left of every
plate the model and guide use (the ``vectorize_particles`` layout of Pyro's ELBOs), so each
``log_prob`` gains a leading particle dimension; this needs the sites to broadcast.

Sites are found from the trace, not by name: the **observed site** is the model's one sample
site with ``is_observed``; the **latent sites** are the model's other sample sites. The
**data plate** is the leftmost vectorised plate of the observed site and must have
``len(x)`` elements. A per-datum log-density of a site sums its ``log_prob`` over every
dimension right of the data plate, giving shape ``(S, N)``.

The log-densities are read by :func:`~inference.objectives.elbo_terms`, the one reader the
training step uses too, with :meth:`PairedTrace.per_datum` as its reduction: unscaled (masks
still apply), since a ``poutine.scale`` for KL annealing or a subsampling plate's ``N / B``
changes the objective being optimised, not the model the diagnostics describe. With unit
scales the sum over data of ``log_joint - log_guide`` is exactly what ``Trace_ELBO`` adds up.

References

1. Pyro, ``pyro.infer.Trace_ELBO`` and ``pyro.infer.enum.get_importance_trace``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import pyro
import pyro.distributions as dist
import torch
import torch.nn.functional as F
from pyro import poutine
from pyro.poutine.trace_struct import Trace
from pyro.poutine.util import prune_subsample_sites
from torch import Tensor
from torch.distributions import Bernoulli, Independent

from inference.diagnostics.seeded import preserved_rng
from inference.objectives import ELBOTerms, elbo_terms
from inference.objectives.pyro_compat import set_log_prob

__all__ = ["PARTICLE_PLATE", "PairedTrace", "SiteRoles", "bernoulli_logits_log_prob",
           "find_site_roles", "trace_pair"]

PARTICLE_PLATE = "particles"


@dataclass(frozen=True)
class SiteRoles:
    """Which sites of a model/guide pair are what, found once from an unvectorised pass.

    :param str observed_site: the observed site whose plate defines the data plate.
    :param tuple observed_sites: every observed site of the model (their log-likelihoods
        all count as distortion).
    :param tuple latent_sites: the latent sites to report per dimension (default: all).
    :param tuple all_latent_sites: every unobserved sample site of the model.
    :param str data_plate: name of the plate over the data.
    :param int data_dim: its (negative) batch dimension.
    :param int max_plate_nesting: number of plate dimensions the pair uses.
    :param int num_data: ``N``, the size of the data plate.
    """

    observed_site: str
    observed_sites: tuple[str, ...]
    latent_sites: tuple[str, ...]
    all_latent_sites: tuple[str, ...]
    data_plate: str
    data_dim: int
    max_plate_nesting: int
    num_data: int


def find_site_roles(model: Callable, guide: Callable, x: Tensor, *,
                    observed_site: str | None = None,
                    latent_sites: Sequence[str] | None = None) -> SiteRoles:
    """Run the guide and the replayed model once on ``x`` and name the sites' roles.

    The pass runs on a copy of the RNG state, so it consumes no randomness: what follows
    draws exactly what it would have drawn without it.

    :param callable model: ``model(x)``, a Pyro program with one observed site in a plate
        over the data.
    :param callable guide: ``guide(x)``, sampling the model's latent sites.
    :param Tensor x: the data, ``(N, ...)``.
    :param observed_site: name of the observed site, needed only if there are several.
    :param latent_sites: names of the latent sites to report (default: all of them).
    """
    check_data(x)
    with preserved_rng():
        model_trace, guide_trace = _traces(model, guide, x, None, 0)
    observed = [n for n, s in _sample_sites(model_trace) if s["is_observed"]]
    latent = [n for n, s in _sample_sites(model_trace) if not s["is_observed"]]
    observed_site = _pick_observed(observed, observed_site)
    data_frame = _data_frame(model_trace.nodes[observed_site], x)
    missing = [n for n in latent if n not in guide_trace.nodes]
    if missing:
        raise ValueError(f"guide: latent sites {missing} are not sampled by the guide")
    chosen = _pick_latent(latent, latent_sites)
    dims = [f.dim for t in (model_trace, guide_trace) for _, s in _sample_sites(t)
            for f in s["cond_indep_stack"] if f.vectorized]
    return SiteRoles(observed_site=observed_site, observed_sites=tuple(observed),
                     latent_sites=chosen, all_latent_sites=tuple(latent),
                     data_plate=data_frame.name, data_dim=data_frame.dim,
                     max_plate_nesting=-min(dims), num_data=len(x))


@dataclass(frozen=True)
class PairedTrace:
    """One guide pass and the model replayed on it, with per-datum readers.

    :param Trace model_trace: the replayed model's trace, log-probabilities computed.
    :param Trace guide_trace: the guide's trace, log-probabilities computed.
    :param SiteRoles roles: what the sites are.
    :param int num_particles: ``S``; 1 for an unvectorised pass.
    """

    model_trace: Trace
    guide_trace: Trace
    roles: SiteRoles
    num_particles: int

    @cached_property
    def terms(self) -> ELBOTerms:
        """The draws' :class:`~inference.objectives.ELBOTerms`, each ``(S, N)``; read once."""
        return elbo_terms(self.model_trace, self.guide_trace,
                          reduce=lambda log_prob, site: self.per_datum(log_prob, site["name"]))

    def log_likelihood(self) -> Tensor:
        r""":math:`\log p(x \mid z_s)` summed over the observed sites, shape ``(S, N)``."""
        return self._expand(self.terms.log_likelihood)

    def log_prior(self) -> Tensor:
        r""":math:`\log p(z_s)` summed over the model's latent sites, shape ``(S, N)``."""
        return self._expand(self.terms.log_prior)

    def log_guide(self) -> Tensor:
        r""":math:`\log q(z_s \mid x)` summed over every guide site, shape ``(S, N)``."""
        return self._expand(self.terms.log_guide)

    def log_weight(self) -> Tensor:
        r"""Importance log-weights :math:`\log p(x, z_s) - \log q(z_s \mid x)`, ``(S, N)``.

        The per-draw ELBO, :attr:`ELBOTerms.elbo <inference.objectives.ELBOTerms.elbo>`.
        """
        return self._expand(self.terms.elbo)

    def per_datum(self, tensor: Tensor, name: str, *, event_ndim: int = 0,
                  keep_dims: bool = False) -> Tensor:
        """Bring a site-shaped tensor to ``(S, N)`` (summed) or ``(S, N, R)`` (flattened).

        :param Tensor tensor: shaped like the site's ``batch_shape + event_shape[-event_ndim:]``
            (broadcastable to it).
        :param str name: the site, which must lie inside the data plate.
        :param int event_ndim: trailing event dimensions ``tensor`` carries.
        :param bool keep_dims: flatten the dimensions right of the data plate into ``R``
            instead of summing them.
        """
        site = self.model_trace.nodes.get(name) or self.guide_trace.nodes[name]
        if not any(f.name == self.roles.data_plate for f in site["cond_indep_stack"]):
            raise ValueError(f"site {name!r} is outside the data plate "
                             f"{self.roles.data_plate!r}; per-datum terms need local latents")
        ndim = self.roles.max_plate_nesting + 1 + event_ndim
        tensor = tensor.reshape((1,) * (ndim - tensor.dim()) + tensor.shape)
        data_axis = ndim + self.roles.data_dim - event_ndim
        if keep_dims:
            tensor = tensor.flatten(data_axis + 1)
        elif data_axis + 1 < ndim:
            # Not sum(()) on an empty tuple: torch reads that as "sum every dimension".
            tensor = tensor.sum(tuple(range(data_axis + 1, ndim)))
        between = tensor.shape[1:data_axis]
        if any(size != 1 for size in between):
            raise ValueError(f"site {name!r} has plates outside the data plate "
                             f"{self.roles.data_plate!r}; it must be the leftmost")
        tail = tensor.shape[data_axis + 1:]
        tensor = tensor.reshape(tensor.shape[0], tensor.shape[data_axis], *tail)
        return tensor.expand(self.num_particles, self.roles.num_data, *tail)

    def _expand(self, tensor: Tensor) -> Tensor:
        # A term with no sites behind it is a scalar zero.
        return tensor.expand(self.num_particles, self.roles.num_data)


def trace_pair(model: Callable, guide: Callable, x: Tensor, roles: SiteRoles, *,
               num_particles: int | None = None, fast_likelihood: bool = False,
               autocast: torch.dtype | None = None) -> PairedTrace:
    """Draw from the guide and replay the model on the draw, without gradients.

    :param callable model: ``model(x)``.
    :param callable guide: ``guide(x)``.
    :param Tensor x: the data the roles were found on.
    :param SiteRoles roles: from :func:`find_site_roles`.
    :param num_particles: ``S`` for a pass vectorised over an outermost particle plate;
        ``None`` for a plain pass (reported as ``S = 1``).
    :param bool fast_likelihood: score observed sites that are independent Bernoulli pixels
        given by logits with :func:`bernoulli_logits_log_prob` instead of the distribution's
        ``log_prob`` (the same value up to float round-off, in about half the time).
    :param autocast: run the guide's and the model's passes under
        ``torch.autocast(x.device.type, autocast)``: their networks' matrix products in that
        type (e.g. ``torch.bfloat16``); the log-densities are computed afterwards, outside
        it, from whatever the programs put in their sites (the VAE keeps its distributions'
        parameters in the data's float type). ``None``: no autocast.
    """
    model_trace, guide_trace = _traces(model, guide, x, num_particles, roles.max_plate_nesting,
                                       fast_likelihood, autocast)
    return PairedTrace(model_trace, guide_trace, roles, num_particles or 1)


def check_data(x) -> None:
    """Refuse anything but a non-empty tensor with a leading data dimension.

    :param x: the value to check.
    """
    if not isinstance(x, Tensor) or x.dim() == 0 or len(x) == 0:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x must be a non-empty tensor of shape (N, ...), got {got}")


def check_count(value, name: str, minimum: int = 1) -> None:
    """Refuse anything but an int of at least ``minimum``.

    :param value: the value to check.
    :param str name: the argument's name, for the message.
    :param int minimum: the least allowed value.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def bernoulli_logits_log_prob(fn, value: Tensor) -> Tensor | None:
    r"""Log-density of independent Bernoulli pixels as :math:`x \cdot \ell - \sum_d
    \operatorname{softplus}(\ell_d)`, or ``None`` where ``fn`` is not of that form.

    For logits :math:`\ell` and binary :math:`x`, :math:`\log p(x) = \sum_d x_d \ell_d -
    \log(1 + e^{\ell_d})`. Written so, the data term is one matrix-vector product per datum
    (no ``(S, N, D)`` temporary) and the elementwise work is one softplus, where
    ``Bernoulli.log_prob`` (binary cross-entropy with logits) makes several passes over
    ``(S, N, D)``. The value agrees with ``fn.log_prob(value)`` up to float round-off;
    ``value`` is not validated (the model checks its data).

    :param fn: a site's distribution: ``Independent`` (possibly nested) over a
        ``Bernoulli`` built from logits, the value broadcasting against the logits.
    :param Tensor value: the observed values.
    :return: shape ``fn.batch_shape``, or ``None`` (then use ``fn.log_prob``).
    """
    event_ndim = 0
    while isinstance(fn, Independent):
        event_ndim += fn.reinterpreted_batch_ndims
        fn = fn.base_dist
    if type(fn) not in (Bernoulli, dist.Bernoulli) or "logits" not in fn.__dict__:
        return None
    logits = fn.logits
    if (event_ndim == 0 or not value.is_floating_point() or value.dim() > logits.dim()
            or torch.broadcast_shapes(logits.shape, value.shape) != logits.shape):
        return None
    batch = logits.shape[:logits.dim() - event_ndim]
    flat = logits.reshape(*batch, -1)
    vbatch = value.shape[:max(value.dim() - event_ndim, 0)]
    if value.dim() >= event_ndim and value.shape[-event_ndim:] == logits.shape[-event_ndim:]:
        data = value.to(logits.dtype).reshape(*vbatch, -1)
    else:  # value broadcasts within the event too: rare, expand it
        data = value.to(logits.dtype).expand(logits.shape).reshape(*batch, -1)
        vbatch = batch
    m = math.prod(vbatch)
    if tuple(batch[len(batch) - len(vbatch):]) == tuple(vbatch) and m <= 4096:
        # The data's rows are the last batch dimensions: one matrix-vector product per row
        # of data, over every particle at once (a strided view, no copy).
        rows = flat.reshape(-1, m, flat.shape[-1])
        data = data.reshape(m, -1)
        dot = torch.stack([rows[:, i] @ data[i] for i in range(m)], dim=-1).reshape(batch)
    else:
        dot = (flat * data).sum(-1)
    return dot - F.softplus(flat).sum(-1)


def _score_fast(trace: Trace) -> None:
    for site in trace.nodes.values():
        if (site["type"] == "sample" and site["is_observed"] and "log_prob" not in site
                and not site["args"] and not site["kwargs"]):
            log_prob = bernoulli_logits_log_prob(site["fn"], site["value"])
            if log_prob is not None:
                set_log_prob(site, log_prob)


def _traces(model, guide, x, num_particles, max_plate_nesting,
            fast_likelihood=False, autocast=None) -> tuple[Trace, Trace]:
    if num_particles is not None:
        check_count(num_particles, "num_particles")
        plate = dict(name=PARTICLE_PLATE, size=num_particles, dim=-(max_plate_nesting + 1),
                     device=x.device)
        model, guide = pyro.plate(**plate)(model), pyro.plate(**plate)(guide)
    # block() keeps the pass invisible to handlers the caller may have installed around us.
    # Diagnostics never differentiate: scoring under no_grad keeps a NADE decoder from
    # saving its (particles x N x D x H) hidden units for a backward that never comes.
    lower = (torch.autocast(x.device.type, dtype=autocast) if autocast is not None
             else contextlib.nullcontext())
    with torch.no_grad(), poutine.block():
        with lower:
            guide_trace = poutine.trace(guide).get_trace(x)
            model_trace = poutine.trace(poutine.replay(model, trace=guide_trace)).get_trace(x)
        guide_trace = prune_subsample_sites(guide_trace)
        model_trace = prune_subsample_sites(model_trace)
        guide_trace.compute_log_prob()
        if fast_likelihood:
            _score_fast(model_trace)
        model_trace.compute_log_prob()
    return model_trace, guide_trace


def _sample_sites(trace: Trace):
    return [(n, s) for n, s in trace.nodes.items() if s["type"] == "sample"]


def _pick_observed(observed: list[str], name: str | None) -> str:
    if name is not None:
        if name not in observed:
            raise ValueError(f"observed_site {name!r} is not an observed sample site of the "
                             f"model; observed sites: {observed}")
        return name
    if len(observed) != 1:
        raise ValueError(f"observed_site: the model has {len(observed)} observed sites "
                         f"{observed}; name the one over the data")
    return observed[0]


def _pick_latent(latent: list[str], names: Sequence[str] | None) -> tuple[str, ...]:
    if names is None:
        if not latent:
            raise ValueError("model: no latent sample sites found")
        return tuple(latent)
    if isinstance(names, str) or not names or any(n not in latent for n in names):
        raise ValueError(f"latent_sites must be a non-empty list of the model's latent "
                         f"sites {latent}, got {names!r}")
    return tuple(names)


def _data_frame(site: dict, x: Tensor):
    frames = [f for f in site["cond_indep_stack"] if f.vectorized]
    if not frames:
        raise ValueError(f"model: observed site {site['name']!r} must lie inside a "
                         f"pyro.plate over the data")
    frame = min(frames, key=lambda f: f.dim)
    if frame.size != len(x):
        raise ValueError(f"x: the data plate {frame.name!r} has {frame.size} elements but x "
                         f"has {len(x)} rows")
    return frame
