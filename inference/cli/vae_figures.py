"""The figures of a VAE run: ELBO / rate / distortion curves, reconstructions, the
rate-distortion plane."""

from __future__ import annotations

__all__ = ["save_vae_figures", "save_vae_rate_distortion"]

from pathlib import Path
from typing import Any

import torch

from inference.diagnostics.seeded import seeded
from inference.plots import save_elbo_curves, save_rate_distortion, save_reconstructions
from inference.training import History
from ppl_models.vae import VAE

_NUM_RECONSTRUCTIONS = 16


def save_vae_figures(out: Path, vae: VAE, history: History, images: torch.Tensor,
                     seed: int) -> list[Path]:
    """Write ``training_curves.png`` (ELBO, rate, distortion per epoch, train and validation)
    and ``reconstructions.png`` (the first test images above their decoded guide means).

    :param out: the run directory.
    :param vae: the trained model.
    :param history: its training history.
    :param images: ``(N, C, H, W)`` test images.
    :param int seed: seeds a NADE decoder's reconstruction, which is a draw.
    """
    paths = []
    if history.epochs:
        paths.append(save_elbo_curves(history, out / "training_curves.png"))
    with seeded(seed):
        paths.append(save_reconstructions(
            images, vae.reconstruct, out / "reconstructions.png", num=_NUM_RECONSTRUCTIONS,
            title="test images (top), decoded guide means (bottom)"))
    return paths


def save_vae_rate_distortion(path: Path, history: History, scores: dict[str, Any], *,
                             references: dict[str, float] | None = None) -> Path:
    """The validation (rate, distortion) path over the epochs, the test point, and lines of
    constant ``R + D`` at the test -ELBO, the IWAE-K NLL and any ``references``.

    :param path: destination PNG.
    :param history: the VAE's training history.
    :param dict scores: from :func:`~inference.cli.vae_evaluation.evaluate_vae`.
    :param references: further labelled NLLs in nats, e.g. an exact density model's.
    """
    levels = {"test -ELBO": scores["neg_elbo_nats"],
              f"test {scores['estimator']} NLL": scores["nll_nats"], **(references or {})}
    return save_rate_distortion(
        history, path, points={"test": (scores["rate_nats"], scores["distortion_nats"])},
        levels=levels, title="VAE: validation rate and distortion per epoch")
