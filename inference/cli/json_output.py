"""JSON as the command writes it: strict (no NaN / Infinity), so any parser reads it."""

from __future__ import annotations

__all__ = ["to_json", "write_json"]

import json
import math
import os
from pathlib import Path
from typing import Any


def _finite(obj: Any) -> Any:
    # Python's json writes NaN, which is not JSON; a missing value is null.
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """``obj`` as strict JSON text, non-finite floats written as ``null``."""
    return json.dumps(_finite(obj), indent=indent, allow_nan=False)


def write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` to ``path`` as indented strict JSON with a final newline."""
    path = Path(path)
    path.write_text(to_json(obj, indent=2) + "\n")
    return path
