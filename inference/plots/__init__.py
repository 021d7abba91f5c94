"""Figures of fitted models, written straight to PNG files without a display.

Each function draws on a bare :class:`matplotlib.figure.Figure` rendered by the Agg canvas,
so nothing touches pyplot's global state or needs a display, and no figure is left open.
"""

from inference.plots.nll_bars import save_nll_bars
from inference.plots.sample_grid import image_grid, save_sample_grid
from inference.plots.training_curves import save_training_curves

__all__ = ["image_grid", "save_nll_bars", "save_sample_grid", "save_training_curves"]
