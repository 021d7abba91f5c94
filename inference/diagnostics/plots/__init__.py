"""Figures of a fitted latent-variable model, written straight to PNG files.

Each function takes tensors or callables (``encode``/``decode``, ``reconstruct``) rather than a
model class, draws on a bare :class:`matplotlib.figure.Figure` rendered by the Agg canvas (no
pyplot state, no display, nothing left open) and returns the path it wrote.
"""

from inference.diagnostics.plots.elbo_curves import save_elbo_curves
from inference.diagnostics.plots.kl_bars import save_kl_per_dimension
from inference.diagnostics.plots.latent_map import save_latent_map
from inference.diagnostics.plots.latent_traversals import save_latent_traversals
from inference.diagnostics.plots.prior_samples import save_prior_samples
from inference.diagnostics.plots.rate_distortion import save_rate_distortion
from inference.diagnostics.plots.reconstructions import save_reconstructions

__all__ = [
    "save_elbo_curves",
    "save_kl_per_dimension",
    "save_latent_map",
    "save_latent_traversals",
    "save_prior_samples",
    "save_rate_distortion",
    "save_reconstructions",
]
