"""Numeric command-line options checked once, with the flag named: a NaN or an infinity is
no learning rate, and argparse's ``type=float`` accepts both."""

from __future__ import annotations

__all__ = ["check_positive_finite", "check_positive_int", "check_seed"]

import math


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def check_positive_int(args, *names: str, optional: bool = False) -> None:
    """Refuse options ``names`` of ``args`` that are not ints >= 1 (``None`` if ``optional``)."""
    for name in names:
        value = getattr(args, name)
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{_flag(name)} must be a positive integer, got {value}")


def check_positive_finite(args, *names: str, optional: bool = False) -> None:
    """Refuse options ``names`` that are not finite numbers > 0 (``None`` if ``optional``)."""
    for name in names:
        value = getattr(args, name)
        if value is None and optional:
            continue
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ValueError(f"{_flag(name)} must be a positive finite number, got {value}")


def check_seed(args) -> None:
    """Refuse a negative ``--seed``."""
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
