"""Where the library keeps what it makes once per machine and reuses: the digits and MNIST
feature classifiers' weights, NADE's compiled kernel."""

from __future__ import annotations

__all__ = ["default_cache_dir"]

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``$PPL_MODELS_CACHE``, else ``~/.cache/ppl-models``."""
    return Path(os.environ.get("PPL_MODELS_CACHE", Path.home() / ".cache" / "ppl-models"))
