"""Global random state: seed it, capture it, restore it.

The captured state is made of tensors, ints, floats and ``None`` only, so it can be stored in
a checkpoint loaded with ``weights_only=True``; restoring it makes a resumed run draw exactly
the numbers an uninterrupted one would have drawn.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pyro
import torch

__all__ = ["rng_state", "seed_everything", "set_rng_state"]


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and every CUDA device), Python's :mod:`random` and numpy's global RNG.

    :param int seed: a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    # Pyro draws from torch's RNG; its helper seeds torch, random and numpy together.
    pyro.set_rng_seed(seed)


def rng_state() -> dict[str, Any]:
    """Capture the global RNG states of torch (CPU, and CUDA if available), Python and numpy.

    :return: a dict of tensors and primitives, safe for ``torch.load(weights_only=True)``.
    """
    version, internal, gauss_next = random.getstate()
    # numpy's legacy global RNG is what user code reaches through np.random.*; capture it.
    _, keys, pos, has_gauss, cached_gaussian = np.random.get_state()  # noqa: NPY002
    state = {
        "torch": torch.get_rng_state(),
        "python": {
            "version": version,
            "internal": torch.tensor(internal, dtype=torch.int64),
            "gauss_next": gauss_next,
        },
        "numpy": {
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore the global RNG states captured by :func:`rng_state`.

    CUDA states are restored only if CUDA is available and the state holds them.

    :param dict state: as returned by :func:`rng_state`.
    """
    if not isinstance(state, dict) or not {"torch", "python", "numpy"} <= state.keys():
        raise ValueError("state must be a dict from rng_state() with keys torch, python, numpy")
    torch.set_rng_state(state["torch"])
    py = state["python"]
    internal = tuple(int(v) for v in py["internal"].tolist())
    random.setstate((py["version"], internal, py["gauss_next"]))
    npy = state["numpy"]
    keys = npy["keys"].numpy().astype(np.uint32)
    np.random.set_state(  # noqa: NPY002
        ("MT19937", keys, npy["pos"], npy["has_gauss"], npy["cached_gaussian"])
    )
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
