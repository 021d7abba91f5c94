"""The ``model.pt`` file a run leaves: a model plus how its data was made.

It is a weights-only checkpoint (see :func:`~inference.training.save_checkpoint`): the
model as :func:`~ppl_models.density_models.density_model_state` (a density model, exact
``log_prob``) or :func:`~ppl_models.latent_models.latent_model_state` (a VAE, whose
likelihood is only bounded or estimated) writes it, and the run's configuration (dataset,
binarisation, seed, image shape), so ``evaluate`` and ``sample`` need nothing but the file.
The model's ``kind`` tells the two families apart.
"""

from __future__ import annotations

__all__ = ["load_model_file", "save_model_file"]

import os
from pathlib import Path
from typing import Any

from inference.training import load_checkpoint, save_checkpoint
from ppl_models.density_models import density_model_state, load_density_model
from ppl_models.latent_models import (
    LATENT_MODELS,
    is_latent_model,
    latent_model_state,
    load_latent_model,
)

_FORMAT = "ppl-models density model"
_VERSION = 1


def save_model_file(path: str | os.PathLike, model, config: dict[str, Any]) -> Path:
    """Write ``model`` and ``config`` to ``path`` atomically.

    :param path: destination file; its directory must exist.
    :param model: any model from :func:`~ppl_models.density_models.build_density_model` or
        :func:`~ppl_models.latent_models.build_latent_model`.
    :param dict config: primitives only; must hold ``"dataset"`` and ``"image_shape"``.
    """
    missing = {"dataset", "image_shape"} - config.keys()
    if missing:
        raise ValueError(f"config lacks {sorted(missing)}")
    save_checkpoint(path, {
        "format": _FORMAT,
        "version": _VERSION,
        "dataset": config["dataset"],
        "config": dict(config),
        "model": latent_model_state(model) if is_latent_model(model)
        else density_model_state(model),
    })
    return Path(path)


def load_model_file(path: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """Read a file written by :func:`save_model_file`.

    :return: ``(model, config)``.
    :raises ValueError: if the file is corrupt or not a model file (e.g. a trainer's
        ``last.pt``); :class:`FileNotFoundError` if it does not exist.
    """
    state = _read(path)
    if state.get("format") != _FORMAT:
        raise ValueError(f"{str(path)!r} is not a ppl-models model file (expected the "
                         "model.pt that 'ppl-models train' writes)")
    if state.get("version") != _VERSION:
        raise ValueError(f"{str(path)!r} has model-file version {state.get('version')!r}; "
                         f"this ppl-models reads version {_VERSION}")
    model_state = state["model"]
    if isinstance(model_state, dict) and model_state.get("kind") in LATENT_MODELS:
        return load_latent_model(model_state), state["config"]
    return load_density_model(model_state), state["config"]


def _read(path) -> dict[str, Any]:
    return load_checkpoint(path, map_location="cpu")
