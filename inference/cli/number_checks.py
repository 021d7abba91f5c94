"""Numeric command-line options checked once, with the flag named: a NaN or an infinity is
no learning rate, and argparse's ``type=float`` accepts both."""

from __future__ import annotations

__all__ = ["check_positive_finite", "check_positive_int", "check_seed"]

import math
from collections.abc import Mapping


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _get(options, name: str):
    # Parsed arguments, or a family's settings dict: both name options by their dest.
    return options.get(name) if isinstance(options, Mapping) else getattr(options, name)


def check_positive_int(args, *names: str, optional: bool = False) -> None:
    """Refuse options ``names`` of ``args`` (a namespace or a settings dict) that are not
    ints >= 1 (``None`` allowed if ``optional``)."""
    for name in names:
        value = _get(args, name)
        if value is None and optional:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{_flag(name)} must be a positive integer, got {value}")


def check_positive_finite(args, *names: str, optional: bool = False) -> None:
    """Refuse options ``names`` that are not finite numbers > 0 (``None`` if ``optional``)."""
    for name in names:
        value = _get(args, name)
        if value is None and optional:
            continue
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ValueError(f"{_flag(name)} must be a positive finite number, got {value}")


def check_seed(args) -> None:
    """Refuse a negative ``--seed``."""
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
