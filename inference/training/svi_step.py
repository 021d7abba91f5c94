r"""Stochastic variational inference step: fit a model/guide pair by maximising an ELBO.

The objective is Pyro's, never re-derived (DESIGN.md): ``"trace"`` is ``Trace_ELBO``
(Monte Carlo KL), ``"meanfield"`` is ``TraceMeanField_ELBO`` (analytic KL where one is
registered), ``"renyi"`` is ``RenyiELBO`` with ``alpha = 0`` and ``K`` particles, the
importance-weighted bound of Burda et al. (2016, eq. 8),

.. math:: \mathcal{L}_K = \mathbb{E}\Big[\log \frac{1}{K} \sum_{k=1}^{K}
          \frac{p(x, z_k)}{q(z_k \mid x)}\Big], \qquad z_k \sim q(z \mid x).

An ordinary torch optimiser updates the parameters of the module(s) that own ``model`` and
``guide``, so its state checkpoints with :meth:`SVIStep.state_dict`; Pyro's global parameter
store is never used.

Besides the loss each step reports the ELBO split into *rate* and *distortion* (Alemi et al.
2018), per datum, read by :func:`~inference.objectives.elbo_terms` off the very traces the
loss was built from (no second pass). **KL warm-up** (Bowman et al. 2016; Sønderby et al.
2016) weighs the latent sites by :math:`\beta`, rising linearly from 0 to 1 over
``kl_warmup_steps`` updates (:mod:`inference.objectives.kl_warmup`), so the optimised
objective is :math:`D + \beta R` (with the analytic KL in place of :math:`R` for
``"meanfield"``).

``"meanfield"`` promises an analytic KL. Where a latent site has none registered (the
VampPrior's mixture, for one), Pyro's ``TraceMeanField_ELBO`` quietly estimates that site's
KL by Monte Carlo instead; the step refuses it on its first update
(:func:`check_closed_form_kl`, on the traces the loss was built from), before any parameter
moves, so a run is never recorded under an objective it did not use.

References:

1. Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
2. Burda, Grosse & Salakhutdinov, "Importance Weighted Autoencoders", ICLR 2016.
3. Li & Turner, "Rényi Divergence Variational Inference", NeurIPS 2016.
4. Alemi, Poole, Fischer, Dillon, Saurous & Murphy, "Fixing a Broken ELBO", ICML 2018.
5. Bowman, Vilnis, Vinyals, Dai, Jozefowicz & Bengio, "Generating Sentences from a
   Continuous Space", CoNLL 2016.
6. Sønderby, Raiko, Maaløe, Sønderby & Winther, "Ladder Variational Autoencoders",
   NeurIPS 2016.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pyro
import torch
from pyro import poutine
from pyro.infer import ELBO, RenyiELBO
from pyro.infer.util import is_validation_enabled
from pyro.poutine.util import site_is_subsample
from torch import Tensor, nn
from torch.distributions import kl_divergence

from inference.objectives import LatentScale, elbo_terms, kl_warmup_beta
from inference.objectives.pyro_compat import (
    CompiledLossAndTerms,
    RenyiELBOKeepingTraces,
    TraceELBOKeepingTraces,
    TraceMeanFieldELBOKeepingTraces,
    declare_params,
    settle_max_plate_nesting,
)
from inference.training.distributed import Shard, data_parallel
from inference.training.divergence import TrainingDiverged
from inference.training.optimizer_update import OptimizerUpdate
from inference.training.step import Batch

__all__ = ["OBJECTIVES", "SVIStep", "check_closed_form_kl", "missing_closed_form_kl"]

OBJECTIVES = ("trace", "meanfield", "renyi")


class SVIStep:
    """Fit a model/guide pair (e.g. a :class:`~ppl_models.vae.VAE`) by SVI.

    ``train_step`` and ``eval_step`` return per-datum means ``{"loss", "elbo", "rate",
    "distortion"}`` in nats. In training ``loss`` is the objective being minimised (the
    negative warm-up-scaled ELBO, or the negative Rényi/IWAE bound) and the other three come
    from the same draw as the loss (the last particle's when ``num_particles > 1``, the mean
    over particles when they are vectorised); with
    ``objective="trace"``, one particle and no warm-up, ``loss == -elbo``. In evaluation
    ``loss = -elbo``, the unscaled single-sample ELBO, whatever the objective.

    :param vae_or_model: an ``nn.Module`` with ``model`` and ``guide`` methods (when
        ``guide`` is None), or the model callable: an ``nn.Module`` or a method of one.
    :param guide: the guide callable (an ``nn.Module`` or a method of one), or None.
    :param str objective: ``"trace"``, ``"meanfield"`` or ``"renyi"``.
    :param int num_particles: samples per datum in the objective (``K`` of the IWAE bound).
    :param bool vectorize_particles: draw the ``K`` particles in one pass, under a plate left
        of the model's plates (Pyro's ``vectorize_particles``; the model must broadcast over
        a leading dimension, as the VAE does). ``max_plate_nesting`` is found by one trace
        on the first update, on a forked random generator, so the run's draws (and a
        resumed run's) are those of a step told the nesting
        (:func:`~inference.objectives.pyro_compat.settle_max_plate_nesting`). Much faster
        than ``K`` sequential passes for ``"renyi"``.
    :param float renyi_alpha: the Rényi ``alpha`` (0 gives the IWAE bound; 1 is excluded);
        only for ``objective="renyi"``.
    :param float lr: learning rate of the default Adam (ignored if ``optimizer`` given).
    :param optimizer: optimiser over the module's parameters; default ``Adam(lr=lr)``.
    :type optimizer: torch.optim.Optimizer or None
    :param int kl_warmup_steps: updates over which :math:`\\beta` rises from 0 to 1; 0 for
        none. The update counter is part of :meth:`state_dict`, so a resumed run continues
        the schedule exactly.
    :param scheduler: learning-rate scheduler stepped after every update.
    :type scheduler: torch.optim.lr_scheduler.LRScheduler or None
    :param grad_clip: if set, clip the global gradient norm to this value before each update.
    :type grad_clip: float or None
    :param bool validate_every_step: keep Pyro's validation on for every update. By default
        it runs (if enabled globally, as it is unless ``pyro.enable_validation(False)``) on
        the first update of this step object and in every :meth:`eval_step`: site shapes,
        model/guide agreement, distribution parameters and supports. Later updates skip it,
        as Pyro's JIT ELBOs check only when they compile: the programs' structure does not
        change between batches, and the checks cost ~10% of a small VAE's update. A
        model's own data checks (the VAE's, on every batch) are not Pyro validation and
        always run.
    :param bool jit: compile the loss with :func:`pyro.ops.jit.trace`, once per batch shape
        (:class:`~inference.objectives.pyro_compat.CompiledLossAndTerms`, which also works
        around Pyro 1.9.2's JIT ELBOs recompiling on every call); ``"trace"`` and
        ``"meanfield"`` only, in one process. The first update (Pyro's validation; the KL
        check of ``"meanfield"``), any update with ``validate_every_step`` and the KL
        warm-up's updates run eagerly. In the compiled updates the programs' Python does
        not run: the model's own data checks (the VAE's) happen only when a batch shape
        compiles, so data that may break the likelihood's support should be checked
        before training. A NaN loss still stops training (see :meth:`train_step`).
    """

    def __init__(
        self,
        vae_or_model: nn.Module | Callable[..., Any],
        guide: Callable[..., Any] | None = None,
        *,
        objective: str = "trace",
        num_particles: int = 1,
        vectorize_particles: bool = False,
        renyi_alpha: float = 0.0,
        lr: float = 1e-3,
        optimizer: torch.optim.Optimizer | None = None,
        kl_warmup_steps: int = 0,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
        grad_clip: float | None = None,
        validate_every_step: bool = False,
        jit: bool = False,
    ) -> None:
        self.model, self.guide, self.module = _resolve(vae_or_model, guide)
        _check_int(num_particles, "num_particles", minimum=1)
        _check_int(kl_warmup_steps, "kl_warmup_steps", minimum=0)
        for name, flag in (("vectorize_particles", vectorize_particles),
                           ("validate_every_step", validate_every_step), ("jit", jit)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be a bool, got {flag!r}")
        self.validate_every_step = validate_every_step
        self._validated = False
        # objective="meanfield": the first update checks every latent site has a closed-form KL.
        self._kl_checked = objective != "meanfield"
        self.objective = objective
        self.elbo = _make_elbo(objective, num_particles, renyi_alpha, vectorize_particles)
        if jit and objective == "renyi":
            raise ValueError("jit=True applies to objective='trace' or 'meanfield'")
        self._compiled = CompiledLossAndTerms(self.elbo, _summed_terms) if jit else None
        # The loss is checked instead of the gradients in one process (see train_step).
        self.update = OptimizerUpdate(self.module.parameters(), optimizer, lr=lr,
                                      grad_clip=grad_clip, scheduler=scheduler,
                                      check_gradients=False)
        self.kl_warmup_steps = kl_warmup_steps
        self.num_updates = 0
        self._ddp = None
        self._params_checked = False

    def distribute(self) -> None:
        """Synchronise gradients over the initialised process group from now on.

        Pyro's ELBO calls ``model`` and ``guide`` (methods, never ``forward``), so wrapping
        the module in DDP would synchronise nothing; DDP wraps the step's loss instead
        (:func:`~inference.training.distributed.data_parallel`), whose forward is the whole
        ``differentiable_loss``. Pyro's global parameter store is not what the optimiser
        updates: the first distributed update refuses any ``pyro.param`` site whose value is
        not a parameter of the module (such a parameter would not be synchronised).
        ``objective="renyi"`` is refused: Pyro 1.9's ``RenyiELBO`` has no
        ``differentiable_loss`` and runs its backward inside ``loss_and_grads``, before
        DDP could arm its hooks.

        :raises ValueError: for ``objective="renyi"`` or a lazily initialised module.
        """
        if self._compiled is not None:
            raise ValueError("a jit=True step cannot be trained on several processes yet: "
                             "build it with jit=False")
        if isinstance(self.elbo, RenyiELBO):
            raise ValueError("objective='renyi' cannot be trained on several processes yet: "
                             "Pyro 1.9's RenyiELBO has no differentiable_loss for DDP to "
                             "wrap; use 'trace' or 'meanfield'")
        if self._ddp is None:
            self._ddp = data_parallel(self.module, self._differentiable_loss)
            # Every rank must take part in the decision to stop: the gradient check agrees
            # on it over the group (a loss is one rank's alone).
            self.update.check_gradients = True

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.update.optimizer

    @property
    def scheduler(self):
        return self.update.scheduler

    @property
    def beta(self) -> float:
        """Weight of the latent sites' log-densities in the next update, in [0, 1]."""
        return kl_warmup_beta(self.num_updates, self.kl_warmup_steps)

    def train_step(self, batch: Batch, shard: Shard | None = None) -> dict[str, float]:
        """One optimiser update; see :meth:`Step.train_step`.

        :param batch: a tensor ``x`` (passed as ``model(x)``) or a tuple of tensors (passed
            as ``model(*batch)``), examples along the first dimension; under
            ``torch.distributed``, this rank's part of the global batch.
        :param shard: under ``torch.distributed``, which share of the global batch ``batch``
            is. The ELBO is a *sum* over the batch, so it is weighted by
            :meth:`~inference.training.distributed.Shard.sum_weight`: the synchronised
            gradient is that of the sum over the global batch, as in one process.
        """
        if shard is not None and self._ddp is None:
            raise ValueError("train_step got a shard but the step is not distributed; call "
                             "distribute() first")
        args, n = _args(batch)
        if not self.module.training:  # a recursive train() on every step costs ~0.2 ms
            self.module.train()
        model, guide = self.model, self.guide
        if self.beta != 1:
            scale = LatentScale(self.beta)
            model, guide = scale(model), scale(guide)
        self.update.zero_grad()
        validate = is_validation_enabled() and (self.validate_every_step or not self._validated)
        draws = self.elbo.num_particles if self.elbo.vectorize_particles else 1
        # Once: where the particle plate goes, found without moving the run's random draws.
        settle_max_plate_nesting(self.elbo, model, guide, args)
        if self._compiled is not None and not validate and self.beta == 1 \
                and self._kl_checked:
            loss_tensor, summed = self._compiled(model, guide, *args)
            loss_tensor.backward()
            loss = loss_tensor.item()
            rate, distortion = (summed / (n * draws)).tolist()
            terms = {"elbo": -(rate + distortion), "rate": rate, "distortion": distortion}
        else:
            with pyro.validation_enabled(validate):
                loss = self._loss_and_grads(model, guide, args,
                                            1.0 if shard is None else shard.sum_weight())
            if not self._kl_checked:  # before the update: refused, nothing has moved
                check_closed_form_kl(*self.elbo.last_traces)
                self._kl_checked = True
            # The ELBO already computed every site's log-density on this draw: read, don't
            # redo.
            terms = _mean_terms(*self.elbo.last_traces, n * draws)
            self.elbo.last_traces = None  # release the batch's tensors
        self._validated = True
        if self._ddp is None and not math.isfinite(loss):
            # Checked on the loss, a float already, rather than by a reduction over every
            # gradient (~2% of a small VAE's update): a gradient that is non-finite while
            # the loss is finite leaves a non-finite loss one update later, stopped here.
            raise TrainingDiverged(f"non-finite loss ({loss}); the parameters were not "
                                   "updated")
        self.update.step()
        self.num_updates += 1
        return {"loss": loss / n, **terms}

    def _loss_and_grads(self, model: Callable, guide: Callable, args: tuple,
                        weight: float = 1.0) -> float:
        """Sum over the batch of the objective; leaves ``weight`` times its gradient in
        ``.grad`` (synchronised over ranks once :meth:`distribute` has run)."""
        if isinstance(self.elbo, RenyiELBO):
            # No differentiable_loss in Pyro 1.9's RenyiELBO: see pyro_compat.declare_params.
            return self.elbo.loss_and_grads(declare_params(model, self.module), guide, *args)
        if self._ddp is None:
            loss = self._differentiable_loss(model, guide, *args)
        else:
            loss = self._ddp(model, guide, *args)
        (loss if weight == 1 else loss * weight).backward()
        return loss.item()

    def _differentiable_loss(self, model: Callable, guide: Callable, *args: Tensor) -> Tensor:
        loss = self.elbo.differentiable_loss(model, guide, *args)
        if self._ddp is not None and not self._params_checked:
            _check_param_sites(self.elbo.last_traces, self.module)
            self._params_checked = True
        return loss

    def eval_step(self, batch: Batch) -> dict[str, float]:
        """``{"loss", "elbo", "rate", "distortion"}`` per datum, without gradients.

        ``"loss"`` is the negative of the bound the step climbs, so that the kept epoch is
        the best on the training objective: ``-elbo`` (one guide draw) for ``"trace"`` and
        ``"meanfield"``, and for ``"renyi"`` the Rényi bound's estimate with the step's ``K``
        particles, drawn as training draws them (the IWAE bound at ``alpha = 0``): its
        ELBO is not what it improves, and can fall while the bound rises.

        :param batch: a minibatch of validation data, as for :meth:`train_step`.
        """
        args, n = _args(batch)
        was_training = self.module.training
        self.module.eval()
        try:
            with torch.no_grad():
                guide_trace = poutine.trace(self.guide).get_trace(*args)
                replayed = poutine.replay(self.model, trace=guide_trace)
                model_trace = poutine.trace(replayed).get_trace(*args)
                terms = _mean_terms(model_trace, guide_trace, n)
                loss = -terms["elbo"]
                if isinstance(self.elbo, RenyiELBO):
                    settle_max_plate_nesting(self.elbo, self.model, self.guide, args)
                    loss = self.elbo.loss(self.model, self.guide, *args) / n
                    self.elbo.last_traces = None  # release the batch's tensors
        finally:
            self.module.train(was_training)
        return {"loss": loss, **terms}

    def state_dict(self) -> dict[str, Any]:
        """Module, optimiser, update counter and (if any) scheduler state."""
        return {"model": self.module.state_dict(), "num_updates": self.num_updates,
                **self.update.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        :param dict state_dict: as returned by :meth:`state_dict`.
        """
        keys = {"model", "optimizer", "num_updates"}
        if not isinstance(state_dict, dict) or not keys <= state_dict.keys():
            raise ValueError(f"state_dict must be a dict with keys {sorted(keys)}")
        self.module.load_state_dict(state_dict["model"])
        self.update.load_state_dict(state_dict)
        self.num_updates = int(state_dict["num_updates"])


def missing_closed_form_kl(model_trace: Any, guide_trace: Any) -> list[str]:
    """The model's latent sites without a closed-form KL registered with
    :func:`torch.distributions.kl_divergence`, each as ``"'z' (guide Independent(Normal),
    prior EqualNormalMixture)"``.

    :param model_trace: a trace of the model replayed on ``guide_trace``.
    :param guide_trace: a trace of the guide.
    """
    missing = []
    for name, site in model_trace.nodes.items():
        if (site["type"] != "sample" or site["is_observed"] or site_is_subsample(site)
                or name not in guide_trace.nodes):
            continue
        q, p = guide_trace.nodes[name]["fn"], site["fn"]
        try:
            with torch.no_grad():
                kl_divergence(q, p)
        except NotImplementedError:
            missing.append(f"{name!r} (guide {_named(q)}, prior {_named(p)})")
    return missing


def check_closed_form_kl(model_trace: Any, guide_trace: Any) -> None:
    r"""Refuse a model/guide pair for ``objective="meanfield"`` unless every latent site of
    the model has a closed-form :math:`\mathrm{KL}(q \,\|\, p)`
    (:func:`missing_closed_form_kl`).

    Pyro's ``TraceMeanField_ELBO`` falls back on the Monte Carlo estimate
    :math:`\log q(z) - \log p(z)` at a site without one; the estimate is unbiased, but the
    run would then be described as using the analytic KL when it does not.

    :param model_trace: a trace of the model replayed on ``guide_trace``.
    :param guide_trace: a trace of the guide.
    :raises ValueError: naming the sites and their distributions.
    """
    missing = missing_closed_form_kl(model_trace, guide_trace)
    if missing:
        raise ValueError(
            f"objective='meanfield' needs a closed-form KL(q || p) at every latent site, and "
            f"there is none at site {', '.join(missing)}; Pyro's TraceMeanField_ELBO would "
            "silently estimate it by Monte Carlo: use objective='trace', which does so by "
            "name, or 'renyi'")


def _named(d: Any) -> str:
    """A distribution's name with what it wraps: ``Independent(Normal)``."""
    inner = getattr(d, "base_dist", None)
    return type(d).__name__ + (f"({_named(inner)})" if inner is not None else "")


def _check_param_sites(traces: tuple[Any, Any], module: nn.Module) -> None:
    r"""Refuse ``pyro.param`` sites that are not the module's parameters.

    DDP synchronises the module's parameters only; a parameter living in Pyro's global
    store alone would drift apart on every rank without an error. ``pyro.module`` (the VAE's
    ``pyro_method``\ s) hands the store the module's own tensors, which pass.
    """
    owned = {p.data_ptr() for p in module.parameters()}
    for trace in traces:
        for name, site in trace.nodes.items():
            if site["type"] != "param":
                continue
            value = site["value"]
            value = getattr(value, "unconstrained", lambda v=value: v)()
            if not isinstance(value, Tensor) or value.data_ptr() not in owned:
                raise ValueError(f"pyro.param site {name!r} is not a parameter of the "
                                 f"{type(module).__name__} being trained; under "
                                 "torch.distributed it would not be synchronised across "
                                 "ranks. Declare it in the module (nn.Parameter or PyroParam)")


def _mean_terms(model_trace: Any, guide_trace: Any, n: int) -> dict[str, float]:
    """Per-datum means of rate, distortion and ELBO over ``n`` draws, as Python floats.

    Unscaled log-densities (:func:`~inference.objectives.elbo_terms`), so warm-up does not
    enter them; one device sync for both numbers.
    """
    with torch.no_grad():
        terms = elbo_terms(model_trace, guide_trace)
        rate, distortion = (torch.stack([terms.rate, terms.distortion]) / n).tolist()
    return {"elbo": -(rate + distortion), "rate": rate, "distortion": distortion}


def _summed_terms(model_trace: Any, guide_trace: Any) -> Tensor:
    """``[rate, distortion]`` summed over the draw, a tensor (computed inside a compiled
    graph, so no Python floats)."""
    with torch.no_grad():
        terms = elbo_terms(model_trace, guide_trace)
        return torch.stack([terms.rate, terms.distortion])


def _args(batch: Batch) -> tuple[tuple[Tensor, ...], int]:
    args = (batch,) if isinstance(batch, Tensor) else tuple(batch)
    if not args or not all(isinstance(a, Tensor) and a.dim() > 0 for a in args):
        raise ValueError("batch must be a tensor (N, ...) or a tuple of such tensors")
    return args, args[0].shape[0]


def _owner(fn: Any) -> nn.Module | None:
    """The module whose parameters ``fn`` uses: ``fn`` itself, or the object of a method."""
    if isinstance(fn, nn.Module):
        return fn
    owner = getattr(fn, "__self__", None)
    return owner if isinstance(owner, nn.Module) else None


def _resolve(vae_or_model: Any, guide: Any) -> tuple[Callable, Callable, nn.Module]:
    """``(model, guide, module holding both programs' parameters)``."""
    if guide is None:
        model, guide = getattr(vae_or_model, "model", None), getattr(vae_or_model, "guide", None)
        if not isinstance(vae_or_model, nn.Module) or not callable(model) or not callable(guide):
            raise ValueError(
                "vae_or_model must be an nn.Module with model and guide methods (e.g. a VAE) "
                f"when guide is None, got {type(vae_or_model).__name__}"
            )
        return model, guide, vae_or_model
    owners: list[nn.Module] = []
    for fn, name in ((vae_or_model, "vae_or_model"), (guide, "guide")):
        owner = _owner(fn)
        if owner is None:
            raise ValueError(
                f"{name} must be an nn.Module or a method of one, so that its parameters can "
                f"be optimised and checkpointed; got {type(fn).__name__}"
            )
        if all(owner is not o for o in owners):
            owners.append(owner)
    module = owners[0] if len(owners) == 1 else nn.ModuleList(owners)
    return vae_or_model, guide, module


def _make_elbo(objective: str, num_particles: int, renyi_alpha: float,
               vectorize: bool) -> ELBO:
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if objective != "renyi":
        if renyi_alpha != 0:
            raise ValueError(f"renyi_alpha applies to objective='renyi' only, got {renyi_alpha}")
        cls = (TraceELBOKeepingTraces if objective == "trace"
               else TraceMeanFieldELBOKeepingTraces)
        return cls(num_particles=num_particles, vectorize_particles=vectorize)
    if renyi_alpha == 1:
        raise ValueError("renyi_alpha must not be 1 (the ELBO itself: use objective='trace')")
    return RenyiELBOKeepingTraces(alpha=renyi_alpha, num_particles=num_particles,
                                  vectorize_particles=vectorize)


def _check_int(value: Any, name: str, *, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
