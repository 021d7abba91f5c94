r"""``evaluate --estimator ais``: annealed importance sampling of :math:`\log p(x)` for a model
that states a decoder and a prior, or for a generator once an observation model is stated.

Two abilities are scored, each declared by the kind's class (:mod:`ppl_models.observation`):

- a :class:`~ppl_models.observation.DecoderDensity` (the VAE, the AAE) states its own
  :math:`p(x \mid z)` and :math:`p(z)`, and is scored under them;
- a :class:`~ppl_models.observation.LatentGenerator` (DCGAN, the MLP GAN, the progressive
  GAN) samples :math:`x = G(z)`, :math:`z \sim p(z)`, and has no density of its own: it is
  scored under the observation model ``--observation`` states (there is no default),
  :math:`p(x) = \int p(x \mid G(z))\, p(z)\, dz` with
  :math:`p(x \mid G(z)) = \prod_d \mathrm{Bernoulli}(x_d;\, G(z)_d)` (``bernoulli``: a mass
  on binary images, so binary data only) or :math:`\mathcal{N}(x;\, G(z),\, \sigma^2 I)`
  (``gaussian``: a density on :math:`\mathbb{R}^D`), its :math:`\sigma` chosen from
  ``--sigmas`` on the validation split, as Wu et al. [1] do
  (:func:`~inference.diagnostics.select_observation_sigma`), the test split then scored at
  that :math:`\sigma` only.

AIS (:func:`~inference.diagnostics.annealed_importance_sampling`, Neal 2001; Wu et al.)
runs ``--ais-chains`` chains per image through ``--ais-steps`` temperatures from the prior to
the posterior, with HMC transitions. Each image's estimate is a stochastic *lower* bound on
its :math:`\log p(x)`, so the NLL reported is an upper bound in expectation, like the IWAE's,
and tightens with more steps.

References

1. Wu, Burda, Salakhutdinov, Grosse (2017). On the quantitative analysis of decoder-based
   generative models. ICLR.
"""

from __future__ import annotations

__all__ = ["AIS_CHAINS", "AIS_STEPS", "SIGMAS", "ais_kinds", "ais_scope", "check_ais_model",
           "check_observed_data", "evaluate_ais", "generator_kinds", "stated_decoder"]

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.distributions import Distribution

from inference.metrics import bits_per_dim
from ppl_models import registry
from ppl_models.observation import (
    BernoulliObservation,
    DecoderDensity,
    LatentGenerator,
    ObservedGenerator,
    observation_model,
)

#: Defaults: Wu et al. use 16 chains; 100 temperatures score the digits test split (180
#: images) of a default VAE in about 30 s on one core (measured: 18 s of CPU), where their
#: 1,000-10,000 temperatures on MNIST need a GPU.
AIS_CHAINS = 16
AIS_STEPS = 100

#: ``--sigmas``' default: a roughly geometric grid over the noise levels that matter for
#: images in [0, 1], from 0.01 (a generator that reproduces an image to about 2 grey levels
#: of 256) to 0.2 (a fifth of the range: every image blurred into its neighbours). Wu et al.
#: treat :math:`\sigma` as a hyperparameter chosen on validation data; widen the grid if the
#: choice lands on an end of it.
SIGMAS = (0.01, 0.02, 0.05, 0.1, 0.2)

_EPS = BernoulliObservation().eps
_FORMULAS = {"bernoulli": f"p(x | z) = prod_d Bernoulli(x_d; G(z)_d), G(z) clamped to "
                          f"[{_EPS:g}, 1 - {_EPS:g}]",
             "gaussian": "p(x | z) = N(x; G(z), sigma^2 I)"}


def _kinds_with(ability: type) -> list[str]:
    return [k for k in registry.kinds() if issubclass(registry.entry(k).cls, ability)]


def ais_kinds() -> list[str]:
    """The registered kinds whose models state a decoder and a prior."""
    return _kinds_with(DecoderDensity)


def generator_kinds() -> list[str]:
    """The registered kinds whose sampler is a plain generator with a stated prior, scored
    under an observation model that ``--observation`` states."""
    return _kinds_with(LatentGenerator)


def ais_scope() -> str:
    """The kinds AIS scores, in words, for messages and help."""
    return (f"{', '.join(ais_kinds())} (under their own decoder) and "
            f"{', '.join(generator_kinds())} (a generator, under --observation)")


def check_ais_model(model: nn.Module, observation: str | None = None,
                    sigmas: Sequence[float] | None = None) -> None:
    """Refuse a model AIS cannot score, or an observation model it cannot be given.

    :param model: the model to score.
    :param observation: ``--observation``: required for a generator, refused for a model
        with a decoder of its own.
    :param sigmas: ``--sigmas``: with ``--observation gaussian`` only, each positive.
    :raises ValueError: naming the option, the kind and the kinds AIS scores.
    """
    kind = registry.kind_of(model)
    if isinstance(model, DecoderDensity):
        if observation is not None:
            raise ValueError(f"--observation: --model {kind} states its own observation model "
                             "p(x | z) (its decoder) and is scored under it; --observation "
                             f"is for the generators of {', '.join(generator_kinds())}")
        if sigmas is not None:
            raise ValueError("--sigmas applies to --observation gaussian (a generator's "
                             f"observation noise); --model {kind} has its own decoder")
        return
    if not isinstance(model, LatentGenerator):
        raise ValueError(f"--estimator ais: --model {kind} states no observation model "
                         f"p(x | z) to anneal towards (AIS scores {ais_scope()})")
    allowed = model.observations
    if observation is None:
        raise ValueError(f"--estimator ais: --model {kind} is a generator without a density "
                         "of its own; state its observation model with --observation "
                         f"{{{','.join(allowed)}}} (bernoulli: its outputs as the pixel "
                         "probabilities of binary images; gaussian: N(G(z), sigma^2 I), sigma "
                         "chosen on the validation split from --sigmas)")
    if observation not in allowed:
        raise ValueError(f"--observation {observation}: --model {kind} declares only "
                         f"{', '.join(allowed)} (the observation models its generator's "
                         "outputs can parametrise)")
    if sigmas is not None:
        if observation != "gaussian":
            raise ValueError(f"--sigmas applies to --observation gaussian, not {observation}")
        bad = [s for s in sigmas if not (math.isfinite(s) and s > 0)]
        if not sigmas or bad:
            raise ValueError(f"--sigmas must be positive finite numbers (the Gaussian "
                             f"observation noise sigma), got {' '.join(map(str, sigmas))}")


def check_observed_data(observation: str | None, x: torch.Tensor, data: str) -> None:
    """Refuse ``--observation bernoulli`` on data that is not binary: a Bernoulli is a
    probability mass on {0, 1}, and its log-probability at a grey level is no density.

    :param x: the images to be scored.
    :param str data: the data set, as the message names it.
    :raises ValueError: naming the option and the data.
    """
    if observation == "bernoulli" and not bool(((x == 0) | (x == 1)).all()):
        raise ValueError(f"--observation bernoulli is a probability mass on binary images, "
                         f"and {data} holds grey levels (values other than 0 and 1): score "
                         "binary data (--binarize threshold or stochastic) or use "
                         "--observation gaussian")


def stated_decoder(model: nn.Module, observation: str | None = None,
                   sigma: float | None = None) -> tuple[Any, Distribution]:
    r"""``(decoder, prior)`` that AIS anneals between: a
    :class:`~ppl_models.observation.DecoderDensity`'s own, or a
    :class:`~ppl_models.observation.LatentGenerator`'s generator under the observation model
    ``observation`` (:class:`~ppl_models.observation.ObservedGenerator`).

    :param model: in eval mode (a generator's batch normalisation on its running statistics).
    :param observation: ``"bernoulli"`` or ``"gaussian"`` for a generator, else ``None``.
    :param sigma: the Gaussian's :math:`\sigma`.
    :raises ValueError: as :func:`check_ais_model`.
    """
    check_ais_model(model, observation)
    if isinstance(model, DecoderDensity):
        return model.decoder_and_prior()
    generator, prior = model.generator_and_prior()
    return ObservedGenerator(generator, observation_model(observation, sigma)), prior


def evaluate_ais(model: nn.Module, x: torch.Tensor, *, chains: int, steps: int, seed: int,
                 observation: str | None = None, sigmas: Sequence[float] | None = None,
                 valid: torch.Tensor | None = None) -> dict[str, Any]:
    """AIS estimate of the NLL of ``x``, nats per image.

    :param model: a :class:`~ppl_models.observation.DecoderDensity`, or a
        :class:`~ppl_models.observation.LatentGenerator` with ``observation`` given.
    :param x: ``(N, ...)`` data as the model sees it (reshaped to the decoder's event shape).
    :param int chains: :math:`K` chains per image.
    :param int steps: :math:`T` temperatures.
    :param int seed: seeds every draw (the same for every candidate :math:`\\sigma`).
    :param observation: ``"bernoulli"`` or ``"gaussian"``, a generator's stated observation
        model; ``None`` for a model with a decoder.
    :param sigmas: the Gaussian's candidates (default :data:`SIGMAS`).
    :param valid: ``(N_valid, ...)`` validation data that chooses the Gaussian's
        :math:`\\sigma`; required for ``"gaussian"``.
    :return: ``estimator`` ("AIS") with ``nll_nats``, ``stderr_nats`` (over the images),
        ``bits_per_dim``; ``ais_stderr_nats`` (the mean per-image delta-method error of the
        chains' weights), ``mean_ess`` (of :math:`K`), ``mean_acceptance``; ``ais_chains``,
        ``ais_steps``, ``ais_seed``, ``n`` and a ``note`` on what the number bounds. For a
        generator also ``observation``, ``observation_model`` (its formula) and, for the
        Gaussian, ``sigma`` and ``sigma_selection`` (every candidate's validation NLL).
    :raises ValueError: for a model AIS cannot score, or an observation model it cannot be
        given (:func:`check_ais_model`), or Bernoulli on grey levels.
    """
    # Imported on use, as the latent family's diagnostics are (ArviZ's start-up).
    from inference.diagnostics import annealed_importance_sampling, select_observation_sigma

    check_ais_model(model, observation, sigmas)
    check_observed_data(observation, x, "the data")
    stated: dict[str, Any] = {}
    was_training = model.training
    model.eval()
    try:
        sigma = None
        if observation == "gaussian":
            if valid is None:
                raise ValueError("--observation gaussian chooses sigma on validation data, "
                                 "and none was given")
            generator, prior = model.generator_and_prior()
            chosen = select_observation_sigma(generator, prior, valid,
                                              tuple(float(s) for s in (sigmas or SIGMAS)),
                                              num_chains=chains, num_steps=steps, seed=seed)
            sigma = chosen.sigma
            stated = {"sigma": sigma, "sigma_selection": {
                "sigmas": list(chosen.sigmas),
                "valid_nll_nats": [-v for v in chosen.log_likelihoods],
                "n_valid": len(valid), "chosen_by": "the lowest mean validation NLL (forward "
                                                    "AIS, same chains, steps and seed)"}}
        decoder, prior = stated_decoder(model, observation, sigma)
        with torch.no_grad():
            event_shape = decoder(prior.sample((1,))).event_shape
        # A NADE decoder scores flat pixel vectors; the data set gives images.
        x = x.reshape(len(x), *event_shape)
        result = annealed_importance_sampling(decoder, prior, x, num_chains=chains,
                                              num_steps=steps, seed=seed)
    finally:
        model.train(was_training)
    nll = -result.log_likelihood.double()
    dim = math.prod(event_shape)
    summary = result.summary()
    note = (f"AIS with {chains} chains and {steps} temperatures (HMC transitions) from the "
            "prior to the posterior: a stochastic lower bound on log p(x), so the NLL is an "
            "upper bound in expectation on the true NLL; stderr_nats is over the images, "
            "ais_stderr_nats the chains' own per image")
    if observation is not None:
        stated = {"observation": observation,
                  "observation_model": _FORMULAS[observation] + (
                      f", sigma = {stated['sigma']:g} chosen on the validation split"
                      if observation == "gaussian" else ""), **stated}
        mass = ("a probability mass on binary images" if observation == "bernoulli" else
                "a density on R^D (not a probability mass: not comparable with a mass on "
                "binary images, and negative NLLs are possible)")
        note = (f"p(x) = integral of p(x | G(z)) p(z) dz is a density under the stated "
                f"{observation} observation model ({stated['observation_model']}), {mass}; "
                f"the generator alone defines none. {note}")
    return {
        "estimator": "AIS",
        **stated,
        "nll_nats": nll.mean().item(),
        "stderr_nats": nll.std().item() / math.sqrt(len(nll)) if len(nll) > 1 else math.nan,
        "bits_per_dim": bits_per_dim(nll.mean().item(), dim),
        "ais_stderr_nats": summary["mean_stderr"],
        "mean_ess": summary["mean_ess"],
        "mean_acceptance": summary["mean_acceptance"],
        "ais_chains": chains,
        "ais_steps": steps,
        "ais_seed": seed,
        "n": len(x),
        "note": note,
    }
