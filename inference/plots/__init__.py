"""Every figure, written straight to a PNG file without a display.

Image grids, NLL bars and training curves of any fitted model, and the figures of a fitted
latent-variable model: ELBO curves, per-dimension KL, the latent map, traversals, prior
samples, the rate-distortion plane and reconstructions; ROC curves and score histograms of
anomaly scores, and linear-probe accuracy against labels; the figures of a controlled
generator: rows of images titled by their code value, label or prompt. Each function takes
tensors, histories or callables (``decode``, ``reconstruct``, ``generate``) rather than a
model class, draws on a bare :class:`matplotlib.figure.Figure` rendered by the Agg canvas (no
pyplot state, no display, nothing left open) and returns the path it wrote.
"""

from inference.plots.adversarial_losses import save_adversarial_losses
from inference.plots.code_traversal import code_traversal_images, save_code_traversal
from inference.plots.conditional_grid import conditional_grid_images, save_conditional_grid
from inference.plots.elbo_curves import save_elbo_curves
from inference.plots.image_rows import image_rows_figure, save_image_rows
from inference.plots.kl_bars import save_kl_per_dimension
from inference.plots.latent_map import save_latent_map
from inference.plots.latent_traversals import save_latent_traversals
from inference.plots.mode_scatter import save_mode_scatter
from inference.plots.nll_bars import save_nll_bars
from inference.plots.pair_scatter import save_pair_scatter
from inference.plots.prior_samples import save_prior_samples
from inference.plots.probe_accuracy import save_probe_accuracy
from inference.plots.rate_distortion import save_rate_distortion
from inference.plots.reconstructions import save_reconstructions
from inference.plots.roc_curves import save_roc_curves
from inference.plots.sample_grid import image_grid, save_sample_grid
from inference.plots.score_histograms import save_score_histograms
from inference.plots.text_prompts import prompt_images, save_text_prompts
from inference.plots.training_curves import save_training_curves

__all__ = [
    "code_traversal_images",
    "conditional_grid_images",
    "image_grid",
    "image_rows_figure",
    "prompt_images",
    "save_adversarial_losses",
    "save_code_traversal",
    "save_conditional_grid",
    "save_elbo_curves",
    "save_image_rows",
    "save_kl_per_dimension",
    "save_latent_map",
    "save_mode_scatter",
    "save_pair_scatter",
    "save_latent_traversals",
    "save_nll_bars",
    "save_prior_samples",
    "save_probe_accuracy",
    "save_rate_distortion",
    "save_reconstructions",
    "save_roc_curves",
    "save_sample_grid",
    "save_score_histograms",
    "save_text_prompts",
    "save_training_curves",
]
