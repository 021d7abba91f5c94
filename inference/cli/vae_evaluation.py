r"""A VAE scored on a split: the ELBO and an importance-weighted NLL, each named for what it is.

Neither number is exact. The ELBO is a lower bound on :math:`\log p(x)`; the IWAE-K estimate
:math:`\log \frac{1}{K} \sum_k p(x, z_k) / q(z_k \mid x)` (Burda et al. 2016) is a lower bound
in expectation that tightens with :math:`K`. So both NLLs reported here are upper bounds (in
expectation) on the true NLL, and a density model's exact NLL is compared with them as such.

The draws are seeded: the same model, data, ``K`` and seed give the same numbers, so
``ppl-models evaluate`` reproduces what ``train`` reported.
"""

from __future__ import annotations

__all__ = ["ELBO_SAMPLES", "evaluate_vae", "iwae_name"]

import math
from typing import Any

import torch

from inference.diagnostics import elbo_decomposition, importance_log_likelihood
from inference.metrics import bits_per_dim
from ppl_models.vae import VAE

#: Guide draws per image behind the reported ELBO (and its rate and distortion).
ELBO_SAMPLES = 10
# Images and importance samples per vectorised pass: ~30 MB per (chunk, batch, 784) tensor
# for MNIST. The draws depend on both, so they are constants, not options.
_BATCH = 100
_CHUNK = 100


def iwae_name(num_samples: int) -> str:
    """The estimator's name as reports print it, e.g. ``"IWAE-1000"``."""
    return f"IWAE-{num_samples}"


def evaluate_vae(vae: VAE, x: torch.Tensor, *, iw_samples: int, seed: int) -> dict[str, Any]:
    """ELBO, rate, distortion and IWAE-K NLL of ``x``, per image, in nats and bits/dim.

    :param vae: a trained VAE.
    :param x: ``(N, C, H, W)`` images in the likelihood's support.
    :param int iw_samples: ``K``, importance samples per image.
    :param int seed: seeds the importance draws; the ELBO's draws use ``seed + 1``, so the
        two estimates do not share draws.
    :return: ``estimator`` (``"IWAE-K"``) with ``nll_nats``, ``stderr_nats`` (over the
        images), ``bits_per_dim``; ``elbo_estimator`` with ``neg_elbo_nats``,
        ``neg_elbo_stderr_nats``, ``neg_elbo_bits_per_dim``, ``rate_nats``,
        ``distortion_nats``, ``active_units``; the importance weights' ``mean_ess``,
        ``max_pareto_k`` and ``fraction_reliable`` (:math:`\\hat k < 0.7`); ``iw_samples``,
        ``iw_seed``, ``n`` and a ``note`` on what the numbers bound.
    """
    if isinstance(iw_samples, bool) or not isinstance(iw_samples, int) or iw_samples < 1:
        raise ValueError(f"iw_samples must be a positive int, got {iw_samples!r}")
    was_training = vae.training
    vae.eval()
    try:
        iw = importance_log_likelihood(vae.model, vae.guide, x, iw_samples,
                                       chunk_size=min(_CHUNK, iw_samples), seed=seed,
                                       batch_size=_BATCH)
        dec = elbo_decomposition(vae.model, vae.guide, x, ELBO_SAMPLES, seed=seed + 1,
                                 vectorize_particles=True, batch_size=_BATCH)
    finally:
        vae.train(was_training)
    dim = math.prod(x.shape[1:])
    nll, neg_elbo = -iw.log_likelihood.double(), -dec.elbo.double()
    iw_summary = iw.summary()
    return {
        "estimator": iwae_name(iw_samples),
        "nll_nats": nll.mean().item(),
        "stderr_nats": _stderr(nll),
        "bits_per_dim": bits_per_dim(nll.mean().item(), dim),
        "elbo_estimator": f"ELBO, {ELBO_SAMPLES} guide draws per image",
        "neg_elbo_nats": neg_elbo.mean().item(),
        "neg_elbo_stderr_nats": _stderr(neg_elbo),
        "neg_elbo_bits_per_dim": bits_per_dim(neg_elbo.mean().item(), dim),
        "rate_nats": dec.mean_rate,
        "distortion_nats": dec.mean_distortion,
        "active_units": dec.active_units,
        "mean_ess": iw_summary["mean_ess"],
        "max_pareto_k": iw_summary["max_pareto_k"],
        "fraction_reliable": iw_summary["fraction_reliable"],
        "iw_samples": iw_samples,
        "iw_seed": seed,
        "n": len(x),
        "note": "ELBO and IWAE-K are stochastic lower bounds on log p(x), so both NLLs are "
                "upper bounds (in expectation) on the true NLL; neither is exact",
    }


def _stderr(values: torch.Tensor) -> float:
    """Standard error of the mean over the images (NaN for one image)."""
    return values.std().item() / math.sqrt(len(values)) if len(values) > 1 else math.nan
