"""Abilities a model kind declares by inheriting them, so that tools ask ``isinstance`` and
never probe a model for a method (DESIGN: declare, don't probe).

- :class:`Representation`: ``features(x)``, the model's representation of data (a NADE's
  last hidden state, a VAE's or AAE's posterior mean, InfoGAN's shared body), read by linear
  probes and clustering (:mod:`inference.metrics.representation`);
- :class:`DataInitialised`: ``init_bias_from_data(x)``, a start of the output biases at the
  training data's marginals, which fitting calls before the first update;
- :class:`ClosedForm`: fitted from counts by ``fit`` rather than by gradients;
- :class:`ControlFigure`: ``control_figure_inputs(columns)``, the rows of a figure of what
  the model is told (InfoGAN's code traversal, the conditional GAN's grid of labels);
- :class:`StartsFrom`: ``start_from(model)``, part of the model started from another fitted
  model (a VAE's NADE decoder from a fitted NADE), before the first update.

Each is a plain mixin with no state and no ``__init__``; the kind's own file implements the
method. (:class:`~ppl_models.distributions.lazy.TrainingLoss` declares a fourth: a loss of
the model's own.)
"""

from __future__ import annotations

__all__ = ["ClosedForm", "ControlFigure", "DataInitialised", "Representation", "StartsFrom"]


class Representation:
    """Declares ``features(x) -> (N, F)``: the model's representation of data ``x``, in eval
    mode and without gradients."""

    def features(self, x):
        raise NotImplementedError


class DataInitialised:
    """Declares ``init_bias_from_data(x)``: set the output biases from training data ``x``
    (e.g. the log-odds of its marginals), before any update."""

    def init_bias_from_data(self, x) -> None:
        raise NotImplementedError


class ClosedForm:
    """Declares that the kind is fitted in closed form (``fit(x, alpha=..., beta=...)``, from
    counts), not by gradients; a resume refits it."""


class ControlFigure:
    """Declares ``control_figure_inputs(columns) -> {"name", "rows", "row_titles",
    "column_titles", "title"}``: the images of a figure that varies what the model is told
    (a code, a label) row by row, for a report."""

    def control_figure_inputs(self, columns: int = 8) -> dict:
        raise NotImplementedError


class StartsFrom:
    """Declares ``start_from(model) -> [parameters]``: take a fitted ``model``'s weights as
    the start of part of this one (e.g. a VAE whose NADE decoder starts as a fitted NADE,
    so that the VAE starts with the NADE's likelihood), before any update; the parameters
    so set are returned, for an optimiser to give them a rate of their own.

    :raises ValueError: for a ``model`` this one cannot start from.
    """

    def start_from(self, model) -> list:
        raise NotImplementedError
