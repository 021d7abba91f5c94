"""Where a figure goes: a path whose directory exists."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["check_png_path"]


def check_png_path(path: str | os.PathLike) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` after checking its directory exists.

    Every figure function checks its destination with this before drawing, so a bad path
    fails fast and with the same message everywhere.

    :param path: destination file.
    :raises ValueError: if ``path`` is not a path or its directory does not exist.
    """
    if not isinstance(path, str | os.PathLike):
        raise ValueError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"path's directory {str(path.parent)!r} does not exist")
    return path
