"""Both players' training losses per epoch, and samples of a 2-D sampler over the true modes."""

from __future__ import annotations

__all__ = ["save_adversarial_losses", "save_mode_scatter"]

import os
from collections.abc import Mapping
from pathlib import Path

import torch
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


def save_mode_scatter(samples: Mapping[str, torch.Tensor], means: torch.Tensor,
                      path: str | os.PathLike, *, title: str = "") -> Path:
    """One panel per entry of ``samples`` (e.g. per epoch): points ``(N, 2)`` over the true
    means (red crosses).

    :param samples: ``{panel title: (N, 2) samples}``, at least one.
    :param Tensor means: ``(K, 2)``.
    """
    if not isinstance(samples, Mapping) or not samples:
        raise ValueError("samples must be a non-empty dict {title: (N, 2) tensor}")
    path = check_png_path(path)
    fig = Figure(figsize=(2.6 * len(samples), 2.8), layout="constrained")
    axes = fig.subplots(1, len(samples), squeeze=False)[0]
    lim = float(means.abs().max()) * 1.4
    for ax, (name, x) in zip(axes, samples.items(), strict=True):
        x = x.detach().cpu()
        if x.dim() != 2 or x.shape[1] != 2:
            raise ValueError(f"samples[{name!r}] must be (N, 2), got {tuple(x.shape)}")
        ax.scatter(x[:, 0], x[:, 1], s=1, alpha=0.3)
        ax.scatter(means[:, 0], means[:, 1], marker="x", c="red", s=20)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_title(name, fontsize=9)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=100)
    return path
