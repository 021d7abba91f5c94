r"""Bidirectional Monte Carlo (BDMC): sandwich :math:`\log p(x)` between AIS bounds on data
simulated from the model.

For :math:`(z_i, x_i)` drawn from the model, :math:`z_i \sim p(z)`,
:math:`x_i \sim p(x \mid z_i)`, the code :math:`z_i` is an exact sample of the posterior
:math:`p(z \mid x_i)`. Forward AIS from the prior gives a stochastic lower bound and reverse
AIS from :math:`z_i` a stochastic upper bound [1, 2]:

.. math::

    \mathbb{E}\,\log \hat p_{\mathrm{fwd}}(x_i) \;\le\; \log p(x_i) \;\le\;
    \mathbb{E}\,\bigl[-\log \widehat{p(x_i)^{-1}}_{\mathrm{rev}}\bigr],

and the gap between them bounds the error of forward AIS on such data; Wu et al. [3] read
it as the error of the same AIS settings on real data (an assumption: real images may be
harder than simulated ones).

The reverse run uses the forward run's step sizes in reverse order, so each of its
transitions is the forward transition at the same :math:`\beta_t` (HMC with a fixed step is
reversible), as the bound requires; they are fixed before the reverse run starts, so the
reverse weights stay unbiased for :math:`1/p(x_i)`.

References

1. Grosse, Ghahramani, Adams (2015). Sandwiching the marginal likelihood using bidirectional
   Monte Carlo. arXiv:1511.02543.
2. Grosse, Ancha, Roy (2016). Measuring the reliability of MCMC inference with
   bidirectional Monte Carlo. NeurIPS.
3. Wu, Burda, Salakhutdinov, Grosse (2017). On the quantitative analysis of decoder-based
   generative models. ICLR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor
from torch.distributions import Distribution

from inference.diagnostics.annealed_importance_sampling import (
    INITIAL_STEP_SIZE,
    AISResult,
    Decoder,
    annealed_importance_sampling,
    check_prior,
    reverse_annealed_importance_sampling,
)
from inference.diagnostics.hmc_transition import hmc_transition
from inference.diagnostics.paired_trace import check_count
from inference.diagnostics.seeded import check_seed, seeded

__all__ = ["BDMCResult", "bidirectional_monte_carlo"]


@dataclass(frozen=True)
class BDMCResult:
    r"""Both AIS bounds on simulated data.

    :param Tensor z: the simulated codes ``(n, L)``, exact posterior samples.
    :param Tensor x: the simulated data ``(n, *event_shape)``.
    :param AISResult lower: forward AIS, a stochastic lower bound per datum.
    :param AISResult upper: reverse AIS from ``z``, a stochastic upper bound per datum.
    """

    z: Tensor
    x: Tensor
    lower: AISResult
    upper: AISResult

    @property
    def gap(self) -> Tensor:
        """``(n,)``: upper minus lower bound, nats."""
        return self.upper.log_likelihood - self.lower.log_likelihood

    def summary(self) -> dict[str, Any]:
        """Averages as plain numbers (JSON-serialisable)."""
        return {"lower": self.lower.mean, "upper": self.upper.mean,
                "gap": self.gap.double().mean().item(), "n": len(self.x),
                "num_chains": self.lower.num_chains, "num_steps": self.lower.num_steps}


def bidirectional_monte_carlo(decoder: Decoder, prior: Distribution, n: int, *,
                              num_chains: int, num_steps: int, schedule: str = "sigmoid",
                              leapfrog_steps: int = 10, target_accept: float = 0.65,
                              initial_step_size: float = INITIAL_STEP_SIZE,
                              seed: int | None = None,
                              transition: Callable = hmc_transition) -> BDMCResult:
    r"""Simulate ``n`` pairs :math:`(z, x)` from the model and bound each :math:`\log p(x)`
    from both sides.

    The forward run adapts its step sizes (as :func:`annealed_importance_sampling
    <inference.diagnostics.annealed_importance_sampling>` with ``step_size="adaptive"``);
    the reverse run replays them backwards.

    :param callable decoder: codes ``(M, L)`` to :math:`p(x \mid z)` of batch shape ``(M,)``.
    :param prior: :math:`p(z)`, batch shape ``()``, event shape ``(L,)``.
    :param int n: how many pairs to simulate.
    :param seed: seeds the simulation and both runs (the caller's RNG is left as it was).

    The other arguments are :func:`~inference.diagnostics.annealed_importance_sampling`'s.
    """
    check_count(n, "n")
    check_seed(seed)
    check_prior(prior)
    if not callable(decoder):
        raise ValueError(f"decoder must be callable, got {type(decoder).__name__}")
    settings = dict(num_chains=num_chains, num_steps=num_steps, schedule=schedule,
                    leapfrog_steps=leapfrog_steps, target_accept=target_accept,
                    initial_step_size=initial_step_size, transition=transition)
    with seeded(seed):
        with torch.no_grad():
            z = prior.sample((n,))
            x = decoder(z).sample()
        lower = annealed_importance_sampling(decoder, prior, x, **settings)
        upper = reverse_annealed_importance_sampling(
            decoder, prior, x, z, step_size=lower.step_sizes.flip(0), **settings)
    return BDMCResult(z=z, x=x, lower=lower, upper=upper)
