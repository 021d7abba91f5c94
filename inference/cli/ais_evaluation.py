r"""``evaluate --estimator ais``: annealed importance sampling of :math:`\log p(x)` for a model
that states its decoder and prior (:class:`~ppl_models.observation.DecoderDensity`: the VAE,
the AAE).

AIS (:func:`~inference.diagnostics.annealed_importance_sampling`, Neal 2001; Wu et al. 2017)
runs ``--ais-chains`` chains per image through ``--ais-steps`` temperatures from the prior to
the posterior, with HMC transitions. Each image's estimate is a stochastic *lower* bound on
its :math:`\log p(x)`, so the NLL reported is an upper bound in expectation, like the IWAE's,
and tightens with more steps. A GAN's generator has no stated observation model in its file
and is not offered (``benchmarks/ais_mnist.py`` states one and scores it).
"""

from __future__ import annotations

__all__ = ["AIS_CHAINS", "AIS_STEPS", "ais_kinds", "check_ais_model", "evaluate_ais"]

import math
from typing import Any

import torch
from torch import nn

from inference.metrics import bits_per_dim
from ppl_models import registry
from ppl_models.observation import DecoderDensity

#: Defaults: Wu et al. use 16 chains; 100 temperatures score the digits test split (180
#: images) of a default VAE in about 30 s on one core (measured: 18 s of CPU), where their
#: 1,000-10,000 temperatures on MNIST need a GPU.
AIS_CHAINS = 16
AIS_STEPS = 100


def ais_kinds() -> list[str]:
    """The registered kinds whose models state a decoder and a prior."""
    return [k for k in registry.kinds() if issubclass(registry.entry(k).cls, DecoderDensity)]


def check_ais_model(model: nn.Module) -> None:
    """Refuse a model that states no decoder and prior.

    :raises ValueError: naming the kind and the kinds AIS scores.
    """
    if not isinstance(model, DecoderDensity):
        raise ValueError(f"--estimator ais: --model {registry.kind_of(model)} states no "
                         "observation model p(x | z) to anneal towards (AIS scores "
                         f"{', '.join(ais_kinds())})")


def evaluate_ais(model: nn.Module, x: torch.Tensor, *, chains: int, steps: int,
                 seed: int) -> dict[str, Any]:
    """AIS estimate of the NLL of ``x``, nats per image.

    :param model: a :class:`~ppl_models.observation.DecoderDensity`.
    :param x: ``(N, ...)`` data as the model sees it (reshaped to the decoder's event shape).
    :param int chains: :math:`K` chains per image.
    :param int steps: :math:`T` temperatures.
    :param int seed: seeds every draw.
    :return: ``estimator`` ("AIS") with ``nll_nats``, ``stderr_nats`` (over the images),
        ``bits_per_dim``; ``ais_stderr_nats`` (the mean per-image delta-method error of the
        chains' weights), ``mean_ess`` (of :math:`K`), ``mean_acceptance``; ``ais_chains``,
        ``ais_steps``, ``ais_seed``, ``n`` and a ``note`` on what the number bounds.
    :raises ValueError: for a model that states no decoder and prior.
    """
    # Imported on use, as the latent family's diagnostics are (ArviZ's start-up).
    from inference.diagnostics import annealed_importance_sampling

    check_ais_model(model)
    was_training = model.training
    model.eval()
    try:
        decoder, prior = model.decoder_and_prior()
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
    return {
        "estimator": "AIS",
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
        "note": f"AIS with {chains} chains and {steps} temperatures (HMC transitions) from the "
                "prior to the posterior: a stochastic lower bound on log p(x), so the NLL is "
                "an upper bound in expectation on the true NLL; stderr_nats is over the "
                "images, ais_stderr_nats the chains' own per image",
    }
