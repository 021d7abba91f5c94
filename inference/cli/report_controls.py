"""The report's figures of controlled generators: for every fitted model that offers
``control_figure_inputs(columns)`` (defined in the model's own file, e.g. InfoGAN's code
traversal or a conditional GAN's grid of labels), its rows of images under their titles.

The report never asks which kind a model is: a model with the method gets the figure, drawn
by :func:`inference.plots.save_image_rows` from what the method returns (``name``, ``rows``
``(R, K, C, H, W)``, ``row_titles``, ``column_titles``, ``title``), with the noise drawn from
the report's seed so that the figure is reproducible.
"""

from __future__ import annotations

__all__ = ["CONTROL_COLUMNS", "save_control_figures"]

from pathlib import Path

import torch

from inference.plots import save_image_rows
from ppl_models.abilities import ControlFigure

#: Columns of each control figure.
CONTROL_COLUMNS = 8


def save_control_figures(out: Path, fits, seed: int) -> list[tuple[str, str]]:
    """Write ``<name>_<kind>.png`` for each fitted model that declares a
    :class:`~ppl_models.abilities.ControlFigure`.

    :param out: the report's directory.
    :param fits: ``{kind: FitResult}``.
    :param int seed: seeds the noise of every figure.
    :return: ``[(file name, what it shows), ...]``.
    """
    written = []
    for kind, fit in fits.items():
        if not isinstance(fit.model, ControlFigure):
            continue
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            spec = fit.model.control_figure_inputs(columns=CONTROL_COLUMNS)
        name = f"{spec['name']}_{kind}.png"
        save_image_rows(spec["rows"], out / name, spec["row_titles"],
                        column_titles=spec.get("column_titles"),
                        title=f"{kind}: {spec['title']}")
        written.append((name, f"{kind}: {spec['title']}"))
    return written
