"""Timing training steps against each other in turns, for speed ratios on a shared machine.

Contenders that take turns batch by batch (the order alternating) see the same noisy
neighbours, so the ratio of their times is steadier than that of runs made one after the
other; ``benchmarks/vae_svi_speed.py`` and ``benchmarks/adversarial_step_speed.py`` report
medians of such epochs.
"""

from __future__ import annotations

__all__ = ["interleaved_epoch"]

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def interleaved_epoch(steps: Mapping[str, Any], batches: Iterable,
                      context: Callable[[], contextlib.AbstractContextManager] =
                      contextlib.nullcontext) -> dict[str, float]:
    """Seconds each of ``steps`` (``{name: object with train_step(batch)}``) spent on
    ``batches``, taking turns batch by batch, each step inside a fresh ``context()`` (e.g.
    an autocast)."""
    seconds = dict.fromkeys(steps, 0.0)
    names = list(steps)
    for b, batch in enumerate(batches):
        for name in names if b % 2 == 0 else names[::-1]:
            start = time.perf_counter()
            with context():
                steps[name].train_step(batch)
            seconds[name] += time.perf_counter() - start
    return seconds
