r"""Is a fitted latent-variable model any good, and where does its ELBO go?

ELBO decomposition into rate and distortion (with per-dimension KL and active units),
analytic-vs-Monte-Carlo KL checks, importance-sampled log-likelihood with Pareto-k̂
reliability (ArviZ), and export to ArviZ ``InferenceData``: numbers only (the figures live in
:mod:`inference.plots`). Every term is read from Pyro traces of ``model(x)`` and ``guide(x)``;
nothing re-derives the ELBO.

For any decoder-based model (a prior and a decoder from codes to :math:`p(x \mid z)`: the VAE,
the AAE, a NADE decoder, a GAN generator with a stated observation model), annealed
importance sampling with HMC on Pyro's integrator estimates :math:`\log p(x)` without a
guide, bidirectional Monte Carlo brackets it on simulated data, and a generator's Gaussian
observation noise is chosen on validation data.
"""

from inference.diagnostics.active_units import active_units, unit_activity
from inference.diagnostics.annealed_importance_sampling import (
    AISResult,
    annealed_importance_sampling,
    reverse_annealed_importance_sampling,
)
from inference.diagnostics.annealing_schedule import SCHEDULES, annealing_schedule
from inference.diagnostics.arviz_export import to_inference_data
from inference.diagnostics.bidirectional_monte_carlo import BDMCResult, bidirectional_monte_carlo
from inference.diagnostics.elbo_decomposition import ELBODecomposition, elbo_decomposition
from inference.diagnostics.hmc_transition import hmc_transition
from inference.diagnostics.importance_log_likelihood import (
    ImportanceLL,
    importance_log_likelihood,
    pareto_k,
)
from inference.diagnostics.kl_check import KLCheck, guide_prior_kl_check, kl_check
from inference.diagnostics.kl_per_dimension import PerDimensionKL, kl_per_dimension
from inference.diagnostics.latent_plane import PLANE_METHODS, LatentPlane, latent_plane
from inference.diagnostics.observation_sigma import SigmaSelection, select_observation_sigma

__all__ = [
    "AISResult",
    "BDMCResult",
    "ELBODecomposition",
    "ImportanceLL",
    "KLCheck",
    "LatentPlane",
    "PLANE_METHODS",
    "PerDimensionKL",
    "SCHEDULES",
    "SigmaSelection",
    "active_units",
    "annealed_importance_sampling",
    "annealing_schedule",
    "bidirectional_monte_carlo",
    "elbo_decomposition",
    "guide_prior_kl_check",
    "hmc_transition",
    "importance_log_likelihood",
    "kl_check",
    "kl_per_dimension",
    "latent_plane",
    "pareto_k",
    "reverse_annealed_importance_sampling",
    "select_observation_sigma",
    "to_inference_data",
    "unit_activity",
]
