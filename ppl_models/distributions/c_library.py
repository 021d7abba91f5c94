"""C kernels compiled on the machine that runs them: build once, cache, load with ctypes.

A kernel here is one C file of ``ppl_models/distributions`` (with the headers beside it),
compiled with the machine's C compiler (``$CC``, else ``cc``) at ``-O3 -march=native`` and
cached under ``$PPL_MODELS_CACHE`` (default ``~/.cache/ppl-models``), keyed by the sources,
the flags, the compiler and the CPU. Kernels are speed only: where no compiler is found or
the build fails, :func:`load_c_library` returns None (warning in the second case) and the
model keeps its torch implementation.
"""

from __future__ import annotations

__all__ = ["FLAGS", "load_c_library"]

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from ppl_models.cache_folder import default_cache_dir
from ppl_models.cpu_info import cpuinfo_field

FLAGS = ("-O3", "-march=native", "-fopenmp-simd", "-shared", "-fPIC")


def _cpu_key() -> str:
    """What ``-march=native`` depends on: the CPU's feature flags where Linux lists them."""
    return cpuinfo_field("flags") or platform.processor() or platform.machine()


def _build(compiler: str, source: Path, target: Path) -> None:
    """Compile to a temporary file beside ``target`` and rename it into place, so a
    concurrent process never loads a half-written library."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as folder:
        partial = Path(folder) / target.name
        subprocess.run([compiler, *FLAGS, str(source), "-o", str(partial)], check=True,
                       capture_output=True, text=True, timeout=300)
        os.replace(partial, target)


def load_c_library(source: Path, what: str) -> ctypes.CDLL | None:
    """The compiled ``source``, built on first use on this machine; None where it cannot
    be (see the module).

    :param source: the C file.
    :param what: the kernel's name in the warning a failed build gives ("NADE's C kernel").
    """
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        return None
    texts = [p.read_text() for p in (source, *sorted(source.parent.glob("*.h")))]
    key = hashlib.sha256("\0".join([*texts, *FLAGS, compiler, _cpu_key()])
                         .encode()).hexdigest()[:16]
    target = default_cache_dir() / f"{source.stem}-{key}.so"
    try:
        if not target.exists():
            _build(compiler, source, target)
        return ctypes.CDLL(str(target))
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", "") or error
        warnings.warn(f"{what} could not be built or loaded ({detail}); using the torch "
                      "implementation", RuntimeWarning, stacklevel=3)
        return None
