r"""KL warm-up: weigh the latent sites' log-densities by :math:`\beta`, rising from 0 to 1.

Early in training a VAE's rate term can pull every posterior onto the prior before the
decoder has learnt to use the code ("posterior collapse"). Bowman et al. [1] and Sønderby
et al. [2] anneal the KL weight linearly from 0 to 1, so the optimised objective is

.. math:: D + \beta R, \qquad \beta_t = \min(1, t / T),

with :math:`t` the number of updates taken and :math:`T` the warm-up length
(:func:`kl_warmup_beta`). :class:`LatentScale` applies :math:`\beta` to any model/guide
pair; the rate and distortion a step reports stay unscaled
(:mod:`inference.objectives.elbo_terms`).

References

1. Bowman, Vilnis, Vinyals, Dai, Jozefowicz & Bengio, "Generating Sentences from a
   Continuous Space", CoNLL 2016.
2. Sønderby, Raiko, Maaløe, Sønderby & Winther, "Ladder Variational Autoencoders",
   NeurIPS 2016.
"""

from __future__ import annotations

from typing import Any

from pyro.poutine.messenger import Messenger

__all__ = ["LatentScale", "kl_warmup_beta"]


def kl_warmup_beta(num_updates: int, warmup_steps: int) -> float:
    r""":math:`\beta = \min(1, t / T)` after ``num_updates`` updates; 1 when ``T = 0``.

    :param int num_updates: :math:`t`, updates taken so far (>= 0).
    :param int warmup_steps: :math:`T`, updates over which :math:`\beta` rises; 0 for none.
    """
    if num_updates < 0 or warmup_steps < 0:
        raise ValueError(f"num_updates and warmup_steps must be >= 0, got {num_updates!r} "
                         f"and {warmup_steps!r}")
    if warmup_steps == 0:
        return 1.0
    return min(1.0, num_updates / warmup_steps)


class LatentScale(Messenger):
    """Multiply the log-density of every latent (unobserved) sample site by ``beta``.

    A handler rather than a ``beta`` argument of the model: the model stays the generative
    program it claims to be, the step works for any model/guide pair, and scaling the latent
    sites in *both* programs turns the ELBO's KL term (Monte Carlo in ``Trace_ELBO``, analytic
    in ``TraceMeanField_ELBO``, which scales it by the guide site's scale) into
    :math:`\\beta\\,\\mathrm{KL}` while the likelihood keeps weight 1. ``poutine.scale`` cannot
    do this: it scales every site, observations included, and refuses ``beta = 0``.

    Use it like any handler: ``LatentScale(0.5)(model)``.

    :param float beta: the weight, ``>= 0`` (0 drops the latent terms from the objective).
    """

    def __init__(self, beta: float) -> None:
        if not beta >= 0:  # also refuses NaN
            raise ValueError(f"beta must be >= 0, got {beta!r}")
        super().__init__()
        self.beta = beta

    def _process_message(self, msg: dict[str, Any]) -> None:
        if msg["type"] == "sample" and not msg["is_observed"]:
            msg["scale"] = self.beta * msg["scale"]
