"""One model file for every kind: ``{format, version, kind, config, state, metadata}``.

``kind`` and ``config`` rebuild an untrained twin through :func:`ppl_models.registry.build`,
``state`` (its ``state_dict``) fills it, and ``metadata`` carries whatever the caller wants
to keep beside it (the command line stores the data set, binarisation and seed there). The
file is written atomically and read with ``torch.load(weights_only=True)``, so loading it
never runs code from it.
"""

from __future__ import annotations

__all__ = ["FORMAT", "VERSION", "load_model", "save_model"]

import json
import os
from pathlib import Path
from typing import Any

from torch import nn

from inference.training.checkpoint import load_checkpoint, save_checkpoint
from ppl_models import registry

FORMAT = "ppl-models model"
VERSION = 2


def save_model(path: str | os.PathLike, model: nn.Module,
               metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (and ``metadata``) to ``path`` atomically.

    :param path: destination file; its directory must exist.
    :param model: an instance of a registered kind.
    :param metadata: plain data (JSON-serialisable), or None.
    :raises ValueError: for an unregistered model, or a config or metadata that is not plain
        data.
    """
    kind = registry.kind_of(model)
    config, metadata = model.config, dict(metadata or {})
    for name, value in (("config", config), ("metadata", metadata)):
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{name} must be plain JSON data: {e}") from e
    save_checkpoint(path, {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "config": config,
        "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "metadata": metadata,
    })
    return Path(path)


def load_model(path: str | os.PathLike) -> tuple[nn.Module, dict[str, Any]]:
    """Read a file written by :func:`save_model`.

    :return: ``(model, metadata)``, the model on the CPU in training mode.
    :raises FileNotFoundError: if ``path`` does not exist.
    :raises ValueError: if the file is corrupt, holds pickled objects, is not a model file
        (e.g. a trainer's ``last.pt``), is of a newer version, names an unknown kind, or its
        tensors do not fit the configuration.
    """
    where = repr(str(path))
    if Path(path).is_dir():
        raise ValueError(f"{where} is a directory, not a model file")
    state = load_checkpoint(path, map_location="cpu")
    if state.get("format") != FORMAT:
        raise ValueError(f"{where} is not a ppl-models model file (expected the model.pt "
                         "that save_model or 'ppl-models train' writes)")
    version = state.get("version")
    if not isinstance(version, int) or version != VERSION:
        newer = isinstance(version, int) and version > VERSION
        raise ValueError(f"{where} has model-file version {version!r}; this ppl-models reads "
                         f"version {VERSION}" + (" (upgrade ppl-models)" if newer else ""))
    missing = {"kind", "config", "state", "metadata"} - state.keys()
    if missing:
        raise ValueError(f"{where} lacks {sorted(missing)}")
    kind = state["kind"]
    if kind not in registry.kinds():
        raise ValueError(f"{where} holds a model of kind {kind!r}, which is not registered "
                         f"(known: {', '.join(registry.kinds())})")
    try:
        model = registry.build(kind, **state["config"])
        model.load_state_dict(state["state"])
    except (TypeError, RuntimeError, ValueError) as e:
        raise ValueError(f"{where}: its tensors or config do not describe a {kind!r} model: "
                         f"{' '.join(str(e).split())}") from e
    return model, state["metadata"]
