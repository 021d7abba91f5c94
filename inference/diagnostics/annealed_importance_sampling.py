r"""Annealed importance sampling (AIS) of :math:`\log p(x)` for a decoder-based model.

A decoder :math:`p(x \mid z)` and a prior :math:`p(z)` define
:math:`p(x) = \int p(x \mid z)\, p(z)\, dz`: a VAE's or an AAE's decoder, a NADE decoder, or
a GAN generator once an observation model is stated (:mod:`ppl_models.observation`).
AIS [1] follows the geometric path from the prior to the posterior,

.. math::

    \pi_t(z) \propto f_t(z) = p(z)\, p(x \mid z)^{\beta_t}, \qquad
    0 = \beta_0 < \beta_1 < \dots < \beta_T = 1,

drawing :math:`z_0 \sim p(z)` and, for :math:`t = 1, \dots, T`, adding
:math:`(\beta_t - \beta_{t-1}) \log p(x \mid z_{t-1})` to the chain's log-weight before a
transition :math:`z_t \sim \mathcal{T}_t(\cdot \mid z_{t-1})` that leaves :math:`\pi_t`
invariant (the last, at :math:`\beta_T`, would not change the weight and is skipped). Each
weight is an unbiased estimate of :math:`p(x)`, so with :math:`K` chains

.. math::

    \log \hat p(x) = \log \frac1K \sum_{k=1}^K w_k, \qquad
    \log w_k = \sum_{t=1}^T (\beta_t - \beta_{t-1}) \log p(x \mid z^{(k)}_{t-1}),

a stochastic **lower** bound, :math:`\mathbb{E} \log \hat p(x) \le \log p(x)` (Jensen). With
:math:`T = 1` there is no transition and it is importance sampling from the prior.

**Reverse AIS** [2] runs the same path backwards from an exact posterior sample
:math:`z_T \sim p(z \mid x)` (available for data simulated from the model): its weights
:math:`\log v_k = \sum_{t=1}^T (\beta_{t-1} - \beta_t) \log p(x \mid z^{(k)}_t)` are unbiased
for :math:`1 / p(x)`, so :math:`-\log \frac1K \sum_k v_k` is a stochastic **upper** bound.
:func:`~inference.diagnostics.bidirectional_monte_carlo` runs both.

The transitions are HMC (:func:`~inference.diagnostics.hmc_transition.hmc_transition`),
vectorised over images and chains, with potential
:math:`U_t(z) = -\log p(z) - \beta_t \log p(x \mid z)`. The step size is adapted per image as
Wu et al. do [3]: an exponential moving average of the chains' acceptance probability
(weight 0.9 on the past) above ``target_accept`` multiplies the step by 1.02, below it by
0.98, within [1e-4, 0.5]. Adapting on the chains' own states makes the transitions depend
slightly on the past; a fixed step size (a number, or one per transition and image) keeps
AIS exactly unbiased.

The effective sample size :math:`(\sum_k w_k)^2 / \sum_k w_k^2` and the delta-method standard
error :math:`\sqrt{(K / \mathrm{ESS} - 1) / (K - 1)}` of :math:`\log \hat p` are computed as
for :func:`~inference.diagnostics.importance_log_likelihood`.

References

1. Neal (2001). Annealed importance sampling. Statistics and Computing 11(2), 125-139.
2. Grosse, Ghahramani, Adams (2015). Sandwiching the marginal likelihood using bidirectional
   Monte Carlo. arXiv:1511.02543.
3. Wu, Burda, Salakhutdinov, Grosse (2017). On the quantitative analysis of decoder-based
   generative models. ICLR.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch.distributions import Distribution

from inference.diagnostics.annealing_schedule import annealing_schedule
from inference.diagnostics.hmc_transition import hmc_transition
from inference.diagnostics.paired_trace import check_count, check_data
from inference.diagnostics.seeded import check_seed, seeded

__all__ = ["AISResult", "annealed_importance_sampling", "reverse_annealed_importance_sampling"]

# Wu et al. (2017), their released code: initial step, bounds, factors, averaging weight.
INITIAL_STEP_SIZE = 0.01
STEP_SIZE_BOUNDS = (1e-4, 0.5)
STEP_SIZE_FACTORS = (1.02, 0.98)
ACCEPTANCE_SLOWNESS = 0.9

Decoder = Callable[[Tensor], Distribution]


@dataclass(frozen=True)
class AISResult:
    r"""Per-image AIS estimate of :math:`\log p(x)`, in nats.

    :param Tensor log_likelihood: ``(N,)``; a stochastic lower bound (``bound="lower"``,
        forward AIS) or upper bound (``bound="upper"``, reverse AIS).
    :param Tensor log_weights: ``(N, K)``: forward, :math:`\log w_k`; reverse,
        :math:`\log v_k` (estimates of :math:`-\log p(x)`).
    :param Tensor ess: effective sample size of each image's weights, ``(N,)``.
    :param Tensor stderr: delta-method standard error of ``log_likelihood``, ``(N,)``.
    :param Tensor acceptance: mean acceptance probability over the chains, per transition
        and image, ``(T - 1, N)``, in the order the run made them.
    :param Tensor step_sizes: the leapfrog step size of each transition, ``(T - 1, N)``.
    :param int num_chains: :math:`K`.
    :param int num_steps: :math:`T`.
    :param str bound: ``"lower"`` or ``"upper"``.
    """

    log_likelihood: Tensor
    log_weights: Tensor
    ess: Tensor
    stderr: Tensor
    acceptance: Tensor
    step_sizes: Tensor
    num_chains: int
    num_steps: int
    bound: str

    @property
    def mean(self) -> float:
        """Average over the images, nats per image."""
        return self.log_likelihood.double().mean().item()

    @property
    def mean_acceptance(self) -> Tensor:
        """``(N,)``: each image's acceptance probability averaged over the transitions."""
        return self.acceptance.mean(0)

    def summary(self) -> dict[str, Any]:
        """Averages as plain numbers (JSON-serialisable)."""
        return {"log_likelihood": self.mean, "nll": -self.mean, "bound": self.bound,
                "num_chains": self.num_chains, "num_steps": self.num_steps,
                "mean_ess": self.ess.double().mean().item(),
                "mean_stderr": self.stderr.double().mean().item(),
                "mean_acceptance": self.acceptance.double().mean().item()
                if self.acceptance.numel() else None}


def annealed_importance_sampling(decoder: Decoder, prior: Distribution, x: Tensor, *,
                                 num_chains: int, num_steps: int, schedule: str = "sigmoid",
                                 leapfrog_steps: int = 10,
                                 step_size: str | float | Tensor = "adaptive",
                                 target_accept: float = 0.65,
                                 initial_step_size: float = INITIAL_STEP_SIZE,
                                 seed: int | None = None,
                                 transition: Callable = hmc_transition) -> AISResult:
    r"""Forward AIS: a stochastic lower bound on :math:`\log p(x_i)` for every image.

    :param callable decoder: codes ``(M, L)`` to :math:`p(x \mid z)`, a distribution of batch
        shape ``(M,)``: a ``LazyDistribution`` called with the codes as context, a VAE's
        ``decode``, or a :class:`~ppl_models.observation.ObservedGenerator`.
    :param prior: :math:`p(z)`, batch shape ``()``, event shape ``(L,)``.
    :param Tensor x: images ``(N, *event_shape)`` of the decoder's distribution.
    :param int num_chains: :math:`K` chains per image.
    :param int num_steps: :math:`T \ge 1` increments of :math:`\beta` (``T - 1`` transitions).
    :param str schedule: ``"sigmoid"`` or ``"linear"``
        (:func:`~inference.diagnostics.annealing_schedule.annealing_schedule`).
    :param int leapfrog_steps: leapfrog steps per HMC transition.
    :param step_size: ``"adaptive"`` (per image, towards ``target_accept``), a positive
        number for every transition and image, or a positive tensor ``(T - 1, N)`` giving
        each transition's step per image in the order the run makes them.
    :param float target_accept: acceptance probability the adaptation aims at.
    :param float initial_step_size: the adaptation's first step (Wu et al.: 0.01), within
        [1e-4, 0.5].
    :param seed: seeds every draw (the caller's RNG is left as it was); ``None`` draws from
        the global RNG.
    :param callable transition: ``transition(z, potential, step_size, leapfrog_steps)`` to
        ``(z_next, acceptance_probability)``, as
        :func:`~inference.diagnostics.hmc_transition.hmc_transition`; injectable so that a
        broken one can be shown to fail.
    """
    check_data(x)
    _check_counts(num_chains, num_steps, leapfrog_steps)
    with seeded(seed):
        z = check_prior(prior).sample((num_chains, len(x)))
        setup = _Setup.check(decoder, prior, x, z, num_chains, num_steps, schedule,
                             leapfrog_steps, step_size, target_accept, initial_step_size,
                             transition)
        return setup.run(z, setup.betas, "lower")


def reverse_annealed_importance_sampling(decoder: Decoder, prior: Distribution, x: Tensor,
                                         z: Tensor, *, num_chains: int, num_steps: int,
                                         schedule: str = "sigmoid", leapfrog_steps: int = 10,
                                         step_size: str | float | Tensor = "adaptive",
                                         target_accept: float = 0.65,
                                         initial_step_size: float = INITIAL_STEP_SIZE,
                                         seed: int | None = None,
                                         transition: Callable = hmc_transition) -> AISResult:
    r"""Reverse AIS from exact posterior samples: a stochastic upper bound on
    :math:`\log p(x_i)`.

    All ``num_chains`` chains of image ``i`` start from ``z[i]``, which must be an exact
    draw of :math:`p(z \mid x_i)`, e.g. the code that generated a simulated ``x_i``;
    otherwise the result bounds nothing. The arguments are those of
    :func:`annealed_importance_sampling`, plus:

    :param Tensor z: ``(N, L)``, one posterior sample per image.
    """
    check_data(x)
    _check_counts(num_chains, num_steps, leapfrog_steps)
    check_seed(seed)
    check_prior(prior)
    latent = prior.event_shape[0]
    if not isinstance(z, Tensor) or z.shape != (len(x), latent):
        got = tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__
        raise ValueError(f"z must have shape (N, L) = ({len(x)}, {latent}), got {got}")
    with seeded(seed):
        like = prior.sample(())  # the prior's dtype and device
        start = z.detach().to(like).expand(num_chains, *z.shape).clone()
        setup = _Setup.check(decoder, prior, x, start, num_chains, num_steps, schedule,
                             leapfrog_steps, step_size, target_accept, initial_step_size,
                             transition)
        return setup.run(start, setup.betas.flip(0), "upper")


@dataclass(frozen=True)
class _Setup:
    """The checked arguments of one AIS run."""

    decoder: Decoder
    prior: Distribution
    x: Tensor
    betas: Tensor
    leapfrog_steps: int
    step_size: str | Tensor
    target_accept: float
    initial_step_size: float
    transition: Callable

    @classmethod
    def check(cls, decoder, prior, x, z, num_chains, num_steps, schedule, leapfrog_steps,
              step_size, target_accept, initial_step_size, transition) -> _Setup:
        for name, value in (("decoder", decoder), ("transition", transition)):
            if not callable(value):
                raise ValueError(f"{name} must be callable, got {type(value).__name__}")
        if isinstance(target_accept, bool) or not isinstance(target_accept, (int, float)) \
                or not 0 < target_accept < 1:
            raise ValueError(f"target_accept must be a number in (0, 1), got {target_accept!r}")
        low, high = STEP_SIZE_BOUNDS
        if isinstance(initial_step_size, bool) \
                or not isinstance(initial_step_size, (int, float)) \
                or not low <= initial_step_size <= high:
            raise ValueError(f"initial_step_size must be a number in [{low}, {high}], got "
                             f"{initial_step_size!r}")
        x = _check_x(decoder, x, z)
        betas = annealing_schedule(schedule, num_steps, z.dtype).to(z.device)
        steps = _check_step_size(step_size, num_steps, len(x), z)
        return cls(decoder, prior, x, betas, leapfrog_steps, steps, float(target_accept),
                   float(initial_step_size), transition)

    def log_likelihood(self, z: Tensor) -> Tensor:
        r""":math:`\log p(x_i \mid z)` of ``(K, N, L)`` codes, ``(K, N)``; :math:`-\infty`
        for a code that is not finite."""
        finite, safe = _finite(z)
        value = _log_likelihood(self.decoder, safe, self.x)
        return torch.where(finite, value, torch.full_like(value, -math.inf))

    def run(self, z: Tensor, betas: Tensor, bound: str) -> AISResult:
        """Anneal ``(K, N, L)`` chains along ``betas`` (in the direction of travel)."""
        num_chains, n = z.shape[:2]
        log_w = z.new_zeros(num_chains, n)
        steps = _StepSizes(self.step_size, self.target_accept, self.initial_step_size, n, z)
        acceptance = []
        for t in range(1, len(betas)):
            with torch.no_grad():
                log_w = log_w + (betas[t] - betas[t - 1]) * self.log_likelihood(z)
            if t == len(betas) - 1:
                break
            z, accept = self.transition(z, self._potential(betas[t]), steps.current(),
                                        self.leapfrog_steps)
            mean_accept = accept.detach().mean(0)
            acceptance.append(mean_accept)
            steps.update(mean_accept)
        return _result(log_w.T.detach(), acceptance, steps.history(), bound, n, z)

    def _potential(self, beta: Tensor) -> Callable[[Tensor], Tensor]:
        def potential(z: Tensor) -> Tensor:
            finite, safe = _finite(z)
            energy = -(self.prior.log_prob(safe) + beta * self.log_likelihood(safe))
            return torch.where(finite, energy, torch.full_like(energy, math.inf))

        return potential


class _StepSizes:
    """The step size per image: given, or adapted towards a target acceptance (Wu et al.)."""

    def __init__(self, step_size: str | Tensor, target: float, initial: float, n: int,
                 z: Tensor) -> None:
        self.given = None if isinstance(step_size, str) else step_size
        self.target = target
        self.step = z.new_full((n,), initial)
        self.average = z.new_full((n,), target)
        self.used: list[Tensor] = []

    def current(self) -> Tensor:
        if self.given is not None:
            self.step = self.given[len(self.used)]
        self.used.append(self.step)
        return self.step

    def update(self, accept: Tensor) -> None:
        if self.given is not None:
            return
        self.average = ACCEPTANCE_SLOWNESS * self.average + (1 - ACCEPTANCE_SLOWNESS) * accept
        up, down = STEP_SIZE_FACTORS
        factor = torch.where(self.average > self.target, up, down)
        self.step = (self.step * factor).clamp(*STEP_SIZE_BOUNDS)

    def history(self) -> list[Tensor]:
        return self.used


def _result(log_weights: Tensor, acceptance: list[Tensor], steps: list[Tensor], bound: str,
            n: int, z: Tensor) -> AISResult:
    num_chains = log_weights.shape[1]
    weights = log_weights.double()
    log_mean = weights.logsumexp(1) - math.log(num_chains)
    ess = (2 * weights.logsumexp(1) - (2 * weights).logsumexp(1)).exp()
    if num_chains == 1:
        stderr = torch.full_like(ess, math.nan)
    else:
        # Var(mean w) / (mean w)^2 with the sample variance, written through the ESS.
        stderr = ((num_chains / ess - 1).clamp(min=0) / (num_chains - 1)).sqrt()
    empty = z.new_zeros(0, n)
    return AISResult(
        log_likelihood=(log_mean if bound == "lower" else -log_mean).to(z.dtype),
        log_weights=log_weights, ess=ess.to(z.dtype), stderr=stderr.to(z.dtype),
        acceptance=torch.stack(acceptance) if acceptance else empty,
        step_sizes=torch.stack(steps) if steps else empty, num_chains=num_chains,
        num_steps=len(steps) + 1, bound=bound)


def _finite(z: Tensor) -> tuple[Tensor, Tensor]:
    """Which ``(K, N, L)`` codes are finite ``(K, N)``, and the codes with the others set to 0.

    A diverging leapfrog trajectory reaches non-finite codes, which a validating
    distribution would refuse with an error; they are scored at zero density instead (the
    proposal is then rejected), the models evaluated on finite stand-ins only.
    """
    finite = torch.isfinite(z).all(-1)
    return finite, torch.where(finite.unsqueeze(-1), z, torch.zeros_like(z))


def _log_likelihood(decoder: Decoder, z: Tensor, x: Tensor) -> Tensor:
    """``log p(x_i | z_ki)`` for ``z`` ``(K, N, L)``, in one call of the decoder on
    ``(K N, L)`` codes (so any decoder that takes a batch of codes will do); ``(K, N)``."""
    num_chains, n, latent = z.shape
    rows = x.unsqueeze(0).expand(num_chains, *x.shape).reshape(num_chains * n, *x.shape[1:])
    return decoder(z.reshape(num_chains * n, latent)).log_prob(rows).reshape(num_chains, n)


def check_prior(prior) -> Distribution:
    """Refuse anything but a distribution of batch shape ``()`` and event shape ``(L,)``.

    :param prior: the value to check.
    """
    if not isinstance(prior, Distribution) or prior.batch_shape != () \
            or len(prior.event_shape) != 1:
        got = (f"batch shape {tuple(prior.batch_shape)}, event shape "
               f"{tuple(prior.event_shape)}" if isinstance(prior, Distribution)
               else type(prior).__name__)
        raise ValueError(f"prior must be a distribution with batch shape () and event shape "
                         f"(L,), got {got}")
    return prior


def _check_x(decoder: Decoder, x: Tensor, z: Tensor) -> Tensor:
    """``x`` in the codes' dtype and on their device, once its shape is the decoder's event
    shape."""
    with torch.no_grad():
        event = tuple(decoder(z[0, :1]).event_shape)
    if tuple(x.shape[1:]) != event:
        expected = ", ".join(["N", *map(str, event)])
        raise ValueError(f"x must have shape ({expected}), the decoder's event shape after "
                         f"the data dimension, got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"x must be a floating tensor, got dtype {x.dtype}")
    return x.to(device=z.device, dtype=z.dtype)


def _check_step_size(step_size, num_steps: int, n: int, z: Tensor) -> str | Tensor:
    if isinstance(step_size, str):
        if step_size != "adaptive":
            raise ValueError(f"step_size must be 'adaptive', a positive number or a tensor, "
                             f"got {step_size!r}")
        return step_size
    if isinstance(step_size, Tensor):
        if step_size.shape != (num_steps - 1, n):
            raise ValueError(f"step_size must have shape (num_steps - 1, N) = "
                             f"({num_steps - 1}, {n}), got {tuple(step_size.shape)}")
        steps = step_size.detach().to(device=z.device, dtype=z.dtype)
    elif isinstance(step_size, (int, float)) and not isinstance(step_size, bool):
        steps = z.new_full((num_steps - 1, n), float(step_size))
    else:
        raise ValueError(f"step_size must be 'adaptive', a positive number or a tensor, got "
                         f"{type(step_size).__name__}")
    if not (torch.isfinite(steps).all() and (steps > 0).all()):
        raise ValueError("step_size must be positive and finite")
    return steps


def _check_counts(num_chains, num_steps, leapfrog_steps) -> None:
    check_count(num_chains, "num_chains")
    check_count(num_steps, "num_steps")
    check_count(leapfrog_steps, "leapfrog_steps")
