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

import torch
from torch import nn

from inference.training.checkpoint import (
    load_checkpoint,
    remove_stale_temporaries,
    save_checkpoint,
)
from ppl_models import registry
from ppl_models.registry import ModelTooLarge

FORMAT = "ppl-models model"
VERSION = 2


def save_model(path: str | os.PathLike, model: nn.Module,
               metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (and ``metadata``) to ``path`` atomically.

    A model file has one writer at a time: the temporaries an earlier write of ``path``
    left when it was killed are removed first (only those named as :func:`save_checkpoint`
    names them).

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
    path = Path(path)
    if path.parent.is_dir():
        # A run killed while writing model.pt left a 0-byte .model.pt.*.tmp that nothing
        # else removes (the trainer cleans only its checkpoints/ directory).
        remove_stale_temporaries(path.parent, (path.name,))
    save_checkpoint(path, {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "config": config,
        # CPU copies: a model trained on a GPU loads where there is none.
        "state": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "metadata": metadata,
    })
    return Path(path)


def load_model(path: str | os.PathLike) -> tuple[nn.Module, dict[str, Any]]:
    """Read a file written by :func:`save_model`.

    :return: ``(model, metadata)``, the model on the CPU in training mode.
    :raises FileNotFoundError: if ``path`` does not exist.
    :raises ValueError: if the file is truncated or corrupt, holds pickled objects, is not a
        model file (e.g. a trainer's ``last.pt``), is of a newer version, names an unknown
        kind, its tensors do not fit the configuration (a
        :class:`~ppl_models.registry.ModelTooLarge` when the configuration asks for more
        than the file holds), or the model refuses their values.
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
    config, tensors = state["config"], state["state"]
    if not isinstance(config, dict) or not isinstance(tensors, dict):
        raise ValueError(f"{where}: its config and state must be dicts, got "
                         f"{type(config).__name__} and {type(tensors).__name__}")
    try:
        _refuse_more_than_held(kind, config, tensors)
        model = registry.build(kind, **config)
    except ModelTooLarge as e:
        raise ModelTooLarge(f"{where}: {e}", num_parameters=e.num_parameters,
                            formula=e.formula) from e
    except (TypeError, RuntimeError, ValueError) as e:
        raise ValueError(f"{where}: its tensors or config do not describe a {kind!r} model: "
                         f"{' '.join(str(e).split())}") from e
    try:
        model.load_state_dict(tensors)
    except RuntimeError as e:  # torch's missing, unexpected or mis-shaped keys
        raise ValueError(f"{where}: its tensors or config do not describe a {kind!r} model: "
                         f"{' '.join(str(e).split())}") from e
    except ValueError as e:  # values the model refuses (e.g. a probability of 1.5)
        raise ValueError(f"{where}: {e}") from e
    return model, state["metadata"]


def _refuse_more_than_held(kind: str, config: dict, tensors: dict) -> None:
    """Refuse a config that asks for more numbers than the file holds, before allocating.

    A tampered config (dim = 10^7 for a 64-pixel FVSBN) otherwise reached torch's allocator
    and its "can't allocate memory" text. The model is built on the meta device, which
    gives every shape and allocates nothing; a constructor that computes on tensor values
    (a given order, a Markov chain's parents) cannot run there and is built as usual.
    """
    try:
        with torch.device("meta"):
            skeleton = registry.build(kind, **config)
        planned = [(t.numel(), t.element_size()) for t in skeleton.state_dict().values()]
    except ModelTooLarge:
        raise
    except Exception:  # noqa: BLE001 - the real build below gives the authoritative error
        return
    needed = sum(n for n, _ in planned)
    needed_bytes = sum(n * size for n, size in planned)
    held = sum(t.numel() for t in tensors.values() if isinstance(t, torch.Tensor))
    if needed > held:
        raise ModelTooLarge(
            f"its tensors or config do not describe a {kind!r} model: the config "
            f"asks for a model of {needed:,} numbers ({_size(needed_bytes)}), the "
            f"file holds {held:,}; too large for this file, so it was refused before "
            "anything was allocated (was the config edited?)",
            num_parameters=needed, formula=f"the tensors of {kind}(**config)")


def _size(n_bytes: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n_bytes < 1024 or unit == "TiB":
            return f"{n_bytes:,.0f} {unit}" if unit == "B" else f"{n_bytes:,.1f} {unit}"
        n_bytes /= 1024
