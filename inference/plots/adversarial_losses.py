"""Both players' training losses per epoch, and the discriminator's mean outputs."""

from __future__ import annotations

__all__ = ["save_adversarial_losses"]

import os
from pathlib import Path

from matplotlib.figure import Figure

from inference.plots.history_epochs import as_history
from inference.plots.png_path import check_png_path


def save_adversarial_losses(history, path: str | os.PathLike, *, title: str = "") -> Path:
    """Plot ``train_d_loss`` and ``train_g_loss`` (and mean D on real / fake) per epoch.

    :param history: a :class:`~inference.training.History` (or its ``to_dict()``) of an
        :class:`~inference.training.AdversarialStep` run.
    :param path: destination PNG.
    """
    path = check_png_path(path)
    h = as_history(history)
    epochs = [e["epoch"] for e in h.epochs]
    fig = Figure(figsize=(8.0, 3.2), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    for key, label in (("train_d_loss", "discriminator"), ("train_g_loss", "generator")):
        values = [e.get(key) for e in h.epochs]
        if any(v is not None for v in values):
            ax.plot(epochs, values, marker=".", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss (mean over the epoch's updates)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    for key, label in (("train_d_real", "D(x), data"), ("train_d_fake", "D(G(z))")):
        values = [e.get(key) for e in h.epochs]
        if any(v is not None for v in values):
            ax2.plot(epochs, values, marker=".", label=label)
    ax2.set_ylim(0, 1)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("mean discriminator output")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=100)
    return path
