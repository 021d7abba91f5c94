"""A seed that governs the random draws of one diagnostic and leaves the caller's RNG alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["check_seed", "preserved_rng", "seeded"]


def check_seed(seed: int | None) -> None:
    """Refuse anything but ``None`` or a non-negative int.

    :param seed: the value to check.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be a non-negative int or None, got {seed!r}")


@contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Run the block with torch's RNG seeded by ``seed``, restoring the previous state after.

    Pyro samples from torch's global generator, so seeding torch fixes every draw a model or
    guide makes. ``seed=None`` draws from (and advances) the global state as usual.

    :param seed: non-negative int, or ``None`` to leave the RNG untouched.
    """
    check_seed(seed)
    if seed is None:
        yield
        return
    # Forking restores the caller's state afterwards, so a diagnostic run between training
    # steps does not change what the training run draws next.
    with preserved_rng():
        torch.manual_seed(seed)
        yield


@contextmanager
def preserved_rng() -> Iterator[None]:
    """Run the block on a copy of torch's RNG state (CPU and every CUDA device).

    Whatever the block draws, the global generators are back where they were afterwards.
    """
    with torch.random.fork_rng(devices=list(range(torch.cuda.device_count()))):
        yield
