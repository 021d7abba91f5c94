"""Workarounds that lean on Pyro internals, kept in one place.

Written against **pyro-ppl 1.9.2**, the version pinned in ``pyproject.toml``. Everything here
touches a private or semi-private part of Pyro (a method starting with an underscore, a
site key Pyro sets but does not document, an effect primitive) and may break on an upgrade;
nothing outside this module does. Each piece says why it exists.
"""

from __future__ import annotations

import logging
import warnings
import weakref
from collections.abc import Callable
from typing import Any

import pyro.ops.jit
import torch
from pyro.distributions.util import scale_and_mask
from pyro.infer import ELBO, RenyiELBO, Trace_ELBO, TraceMeanField_ELBO
from pyro.poutine.runtime import effectful
from torch import Tensor, nn

__all__ = [
    "CompiledLossAndTerms",
    "KeepLastTraces",
    "RenyiELBOKeepingTraces",
    "TraceELBOKeepingTraces",
    "TraceMeanFieldELBOKeepingTraces",
    "declare_params",
    "set_log_prob",
    "settle_max_plate_nesting",
    "unscaled_log_prob",
]


def unscaled_log_prob(site: dict[str, Any]) -> Tensor:
    """The site's log-density with its mask applied but not its scale, ``batch_shape``.

    :meth:`pyro.poutine.Trace.compute_log_prob` leaves the unscaled, unmasked log-density
    under the (undocumented) key ``"unscaled_log_prob"``; reading it avoids recomputing a
    density the ELBO already evaluated, which matters once per update. A trace that never
    had its log-densities computed falls back to ``fn.log_prob(value)``. Masking uses
    :func:`pyro.distributions.util.scale_and_mask`, Pyro's own rule (``False`` zeroes, a
    tensor mask selects, ``None`` leaves the tensor untouched and costs nothing).

    :param dict site: a sample site of a Pyro trace.
    """
    log_prob = site.get("unscaled_log_prob")
    if log_prob is None:
        log_prob = site["fn"].log_prob(site["value"])
    return scale_and_mask(log_prob, mask=site["mask"])


def set_log_prob(site: dict[str, Any], log_prob: Tensor) -> None:
    """Store a site's log-density where :meth:`pyro.poutine.Trace.compute_log_prob` would.

    Why: that method memoises on the site keys ``"unscaled_log_prob"``, ``"log_prob"`` and
    ``"log_prob_sum"`` and skips a site that has ``"log_prob"``; a caller that evaluates a
    site's density faster than ``fn.log_prob`` (the same value up to round-off) fills them
    in first, and everything downstream reads them as if Pyro had.

    :param dict site: a sample site of a Pyro trace.
    :param Tensor log_prob: its unscaled, unmasked log-density, shape ``batch_shape``.
    """
    site["unscaled_log_prob"] = log_prob
    scaled = scale_and_mask(log_prob, site["scale"], site["mask"])
    site["log_prob"] = scaled
    site["log_prob_sum"] = scaled.sum()


def declare_params(fn: Callable, module: nn.Module) -> Callable:
    """``fn`` preceded by one local "param" site per parameter of ``module``.

    Why: Pyro 1.9's ``RenyiELBO`` has no ``differentiable_loss``, and its ``loss_and_grads``
    backpropagates only when the trace holds "param" sites. Our parameters live in an
    ``nn.Module``, not in Pyro's parameter store, so the trace would hold none. The sites are
    emitted with :func:`pyro.poutine.runtime.effectful` (an internal primitive): they go
    through the handler stack, so traces record them, but never reach Pyro's global parameter
    store, the way PyroModule's local-parameter mode declares them.

    :param callable fn: the model (any Pyro program).
    :param nn.Module module: the module whose parameters the loss depends on.
    """

    def declared(*args: Any, **kwargs: Any) -> Any:
        for name, p in module.named_parameters():
            effectful(type="param")(lambda *_, p=p, **__: p)(name, p, name=name)
        return fn(*args, **kwargs)

    return declared


def settle_max_plate_nesting(elbo: ELBO, model: Callable, guide: Callable,
                             args: tuple) -> None:
    """Fix a vectorised ELBO's ``max_plate_nesting`` by Pyro's own guess, drawing nothing
    from the run's random streams; nothing to do if it is set or the particles are not
    vectorised.

    Why: with ``vectorize_particles`` and no ``max_plate_nesting``, Pyro 1.9's ELBO guesses
    the nesting on its first call (the private ``ELBO._guess_max_plate_nesting``: the model
    and guide run once, the particle plate then sits left of every plate they use) and
    logs the value at INFO. That run draws from torch's global generator, so every later
    draw moves, and a step rebuilt to resume from a checkpoint draws it again at its first
    update: the resumed run no longer repeats the uninterrupted one. Here the guess runs on
    a forked generator (restored afterwards, as the Trainer's untrained validation does)
    with Pyro's message silenced; the ELBO never guesses again.

    :param elbo: a Pyro ELBO.
    :param callable model: the model, as the ELBO will be called with it.
    :param callable guide: the guide.
    :param tuple args: the model's and guide's arguments (a batch).
    """
    if not elbo.vectorize_particles or elbo.max_plate_nesting != float("inf"):
        return
    devices = [torch.cuda.current_device()] if torch.cuda.is_initialized() else []
    log = logging.getLogger("pyro.infer.elbo")
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        with torch.random.fork_rng(devices=devices):
            elbo._guess_max_plate_nesting(model, guide, args, {})
    finally:
        log.setLevel(level)


class KeepLastTraces:
    """Mixin for a Pyro ELBO: keep ``(model_trace, guide_trace)`` of the last particle.

    Why: those traces hold the log-densities the loss was built from, so a step reads rate and
    distortion off them instead of running the model a second time (a second pass would cost
    about as much as the update). Pyro offers no hook for this; the mixin overrides the
    private ``ELBO._get_trace``, which every ELBO below calls once per particle (once in all
    for vectorised particles). Set ``last_traces = None`` after reading them to release the
    batch's tensors.
    """

    last_traces: tuple[Any, Any] | None = None

    def _get_trace(self, model, guide, args, kwargs):
        self.last_traces = super()._get_trace(model, guide, args, kwargs)
        return self.last_traces


class TraceELBOKeepingTraces(KeepLastTraces, Trace_ELBO):
    """:class:`~pyro.infer.Trace_ELBO` that keeps its last traces (:class:`KeepLastTraces`)."""


class TraceMeanFieldELBOKeepingTraces(KeepLastTraces, TraceMeanField_ELBO):
    """:class:`~pyro.infer.TraceMeanField_ELBO` that keeps its last traces."""


class RenyiELBOKeepingTraces(KeepLastTraces, RenyiELBO):
    """:class:`~pyro.infer.RenyiELBO` that keeps its last traces."""


class CompiledLossAndTerms:
    """An ELBO's differentiable loss, and terms read off its traces, compiled by
    :func:`pyro.ops.jit.trace` once per model, guide and input shapes.

    Why: Pyro 1.9.2's ``JitTrace_ELBO`` and ``JitTraceMeanField_ELBO`` test whether
    ``self._loss_and_surrogate_loss`` exists but store the compiled function as
    ``self._differentiable_loss``, so they build and trace a new function on **every**
    call: each update runs the programs three times (parameter capture, tracing, the traced
    graph), 2.6x the eager ELBO's time on a small VAE. Here the compiled function is kept,
    keyed by the inputs' shapes and dtypes (the traced graph bakes in plate sizes, so a
    smaller last batch compiles its own). It calls the ELBO's private ``_get_traces`` and
    ``_differentiable_loss_particle``, as those classes do, and also returns
    ``terms(model_trace, guide_trace)`` of the last particle, detached: what a step reports
    besides the loss, read inside the graph since no Python trace exists outside it.

    The programs' Python runs only while a shape compiles: checks a model makes on its
    inputs (the VAE's data check) do not repeat on later batches, and the model must have
    a static structure (Pyro's condition for its JIT ELBOs). Pyro's validation is off in
    the traced graph. Compiling draws more random numbers than one eager pass, so a
    compiled run and an eager one share a seed's draws only once compiled. torch 2.x marks
    ``torch.jit.trace`` deprecated (its warning is silenced here); the day it goes, this
    class goes with Pyro's JIT ELBOs.

    :param elbo: a ``Trace_ELBO`` or ``TraceMeanField_ELBO`` (its ``num_particles`` and
        ``vectorize_particles`` apply).
    :param terms: ``terms(model_trace, guide_trace) -> Tensor``.
    """

    def __init__(self, elbo: Trace_ELBO, terms: Callable[[Any, Any], Tensor]) -> None:
        self.elbo, self.terms = elbo, terms
        self._compiled: dict[tuple, Callable] = {}

    def __call__(self, model: Callable, guide: Callable, *args: Tensor) -> tuple[Tensor, Tensor]:
        """``(loss, terms)``: the loss with its graph for ``backward()``, the terms detached."""
        key = (id(model), id(guide), tuple((a.shape, a.dtype, a.device) for a in args))
        compiled = self._compiled.get(key)
        # The graph executor's optimising mode (profiling runs, TensorExpr fusion) was no
        # faster on one thread and up to 1.3x slower on two (VAE of benchmarks/
        # vae_svi_speed.py): the graph is a few GEMMs and small ops, nothing to fuse.
        with torch.jit.optimized_execution(False):
            if compiled is None:
                compiled = self._compiled[key] = self._compile(model, guide)
                with warnings.catch_warnings():  # said once per shape; see the docstring
                    warnings.filterwarnings("ignore", "`torch.jit.trace` is deprecated",
                                            DeprecationWarning)
                    return compiled(*args)  # the first call traces
            return compiled(*args)

    def _compile(self, model: Callable, guide: Callable) -> Callable:
        weak = weakref.ref(self)

        @pyro.ops.jit.trace(ignore_warnings=True)
        def loss_and_terms(*args):
            self = weak()
            elbo, loss, terms = self.elbo, 0.0, None
            for model_trace, guide_trace in elbo._get_traces(model, guide, args, {}):
                loss = loss + elbo._differentiable_loss_particle(model_trace, guide_trace)[1]
                terms = self.terms(model_trace, guide_trace)
            return loss / elbo.num_particles, terms.detach()

        return loss_and_terms
