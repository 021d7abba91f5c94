"""Keep freed memory in the process: what the command line and the scripts ask of the C
allocator before they train or score.

glibc's ``malloc`` serves large blocks (from 128 KiB, a threshold that grows to at most
32 MiB) with fresh ``mmap`` pages and returns them to the kernel on ``free``; it also trims
the top of its heap once enough there is free. A training step allocates and frees the same
activation-sized tensors every update, so every update pays page faults on memory it had a
moment before. On a virtual machine a first touch can cost far more than the work done on
the page: on the machines this project is measured on, writing 8 MiB of fresh pages took
32 ms and rewriting them 0.4 ms, and a PixelRNN update spent about a fifth of its time in
some 4,000 page faults (``benchmarks/pixelrnn_speed.py`` counts them).

:func:`keep_freed_memory` turns both off: every block comes from the heap and the heap is
never trimmed, so freed tensors are reused. The cost is that the process keeps its peak
memory until it exits, which a training or scoring command does anyway. It is a
process-wide setting, so the library's models never call it; a user's own training script
may. ``PPL_MODELS_RELEASE_MEMORY=1`` in the environment keeps glibc's defaults (to measure
the difference, or where the peak must be given back).
"""

from __future__ import annotations

__all__ = ["RELEASE_ENVIRONMENT", "keep_freed_memory"]

import ctypes
import os
import sys

#: The environment variable that keeps glibc's defaults: ``1`` (``0`` or unset: keep).
RELEASE_ENVIRONMENT = "PPL_MODELS_RELEASE_MEMORY"

# mallopt's parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
#: The largest trim threshold mallopt takes (an ``int``).
_NEVER = 2**31 - 1


def keep_freed_memory() -> bool:
    """Ask glibc's ``malloc`` to serve every block from its heap and never return freed
    memory to the kernel (``mallopt(M_MMAP_MAX, 0)``, ``mallopt(M_TRIM_THRESHOLD, 2^31 -
    1)``).

    :return: whether the setting took: False where :data:`RELEASE_ENVIRONMENT` is ``1``,
        or where the C library is not glibc (macOS, Windows, musl), which is left as it is.
    :raises ValueError: if :data:`RELEASE_ENVIRONMENT` is set to anything but 0 or 1.
    """
    release = os.environ.get(RELEASE_ENVIRONMENT, "0")
    if release not in ("0", "1"):
        raise ValueError(f"{RELEASE_ENVIRONMENT} must be 0 or 1, got {release!r}")
    if release == "1" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):  # no mallopt: not glibc
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mallopt returns 1 on success and 0 on error.
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _NEVER))
