"""ROC curves of several anomaly scores on one axis, each labelled with its AUROC."""

from __future__ import annotations

__all__ = ["save_roc_curves"]

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from inference.plots.png_path import check_png_path


def save_roc_curves(curves: Mapping[str, tuple], path: str | os.PathLike, *,
                    title: str | None = None) -> Path:
    """One ROC curve per score, with the chance diagonal.

    :param curves: ``{name: (fpr, tpr, auroc)}``: the false- and true-positive rates from
        :func:`inference.metrics.roc_points` (out-of-distribution positive) and the AUROC for
        the legend.
    :param path: destination PNG; its directory must exist.
    :param title: optional title, e.g. the in- and out-of-distribution sets.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError("curves must be a non-empty dict {name: (fpr, tpr, auroc)}")
    for name, value in curves.items():
        if len(value) != 3 or np.shape(value[0]) != np.shape(value[1]) \
                or np.ndim(value[0]) != 1:
            raise ValueError(f"curves[{name!r}] must be (fpr, tpr, auroc) with fpr and tpr "
                             "1-D of one length")
    path = check_png_path(path)
    fig = Figure(figsize=(4.6, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls=":", label="chance (0.50)")
    for k, (name, (fpr, tpr, auroc)) in enumerate(curves.items()):
        ax.plot(fpr, tpr, color=f"C{k % 10}", lw=1.4, label=f"{name} ({auroc:.2f})")
    ax.set_xlabel("false-positive rate (in-distribution flagged)")
    ax.set_ylabel("true-positive rate (OOD caught)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(fontsize=7, loc="lower right", title="score (AUROC)", title_fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=100)
    return path
