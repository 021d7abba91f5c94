"""The NADE recursion in C: forward and backward fused over the hidden units.

:class:`~ppl_models.distributions.NADE`'s teacher-forced pass does, per position, a sigmoid,
a dot product and an update of the running pre-activation, each over ``H`` hidden units
(Larochelle & Murray 2011, eq. 3-5; the backward is their Algorithm 1). Written with torch
ops, each is a separate pass over an ``(N, H)`` slab, and the pass is bound by the sigmoid's
and the slabs' memory traffic; ``nade_kernel.c`` does all of a position's work in one loop
over units held in L1, with an exp the compiler vectorises, and in the backward recomputes
the hidden units one slice of 64 units at a time instead of storing ``N x D x H`` of them.

The C file is compiled once per machine (:mod:`~ppl_models.distributions.c_library`: its
C compiler, ``-O3 -march=native``, cached under ``$PPL_MODELS_CACHE``). Where no compiler is
found, the build fails, or ``PPL_MODELS_NADE_KERNEL=0`` is set, :func:`nade_kernel` returns
None and NADE keeps its torch implementation: the kernel is speed only (``float32`` on the
CPU, outside a CPU autocast), never a requirement. Work is split over
``torch.get_num_threads()`` threads by rows (forward) and by hidden units (backward);
``ctypes`` releases the GIL during each call.
"""

from __future__ import annotations

__all__ = ["NADEKernel", "nade_kernel", "torch_only"]

import contextlib
import ctypes
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from ppl_models.distributions.c_library import load_c_library

SOURCE = Path(__file__).with_name("nade_kernel.c")
#: Work below this many hidden-unit updates stays on one thread: a thread hand-off costs
#: more than it saves.
_PARALLEL_FROM = 1 << 20
_SLICE = 64  # the C file's SLICE: backward ranges start on its multiples


class NADEKernel:
    """The compiled library's two entry points, with tensors in and out.

    Shapes as ``_NADELogits`` (:mod:`ppl_models.distributions.nade`): ``x (N, D)``,
    ``c (N|1, H)``, ``W (D, H)``, ``V (D, H)``, all contiguous ``float32`` on the CPU.
    """

    def __init__(self, library: ctypes.CDLL):
        pointer, size = ctypes.c_void_p, ctypes.c_int64
        self._logits = library.nade_logits
        self._logits.argtypes = [pointer, pointer, size, pointer, pointer, pointer,
                                 size, size, size, size, size]
        self._backward = library.nade_logits_backward
        self._backward.argtypes = [pointer, pointer, size, pointer, pointer, pointer,
                                   pointer, pointer, pointer, size, size, size, size, size]
        self._logits.restype = self._backward.restype = ctypes.c_int

    @staticmethod
    def accepts(*tensors: torch.Tensor) -> bool:
        """Whether the kernel computes with these tensors: float32 on the CPU, and no CPU
        autocast asking for lower precision (``--precision bf16`` is then honoured by the
        torch code)."""
        return (not torch.is_autocast_enabled("cpu")
                and all(t.dtype == torch.float32 and t.device.type == "cpu" for t in tensors))

    @staticmethod
    def _bias(c: torch.Tensor) -> tuple[torch.Tensor, int]:
        """``c`` as rows in memory and its row stride (0: one row shared by all)."""
        if c.shape[0] == 1 or c.stride(0) == 0:
            return c[:1].contiguous(), 0
        return c.contiguous(), c.shape[1]

    def logits(self, x, c, W, V) -> torch.Tensor:
        """``(N, D)``: :math:`V_d^\\top \\mathrm{sigm}(a_d)` for every row and position."""
        (n, dim), hidden = x.shape, W.shape[1]
        x, W, V = x.contiguous(), W.contiguous(), V.contiguous()
        c, c_stride = self._bias(c)
        out = x.new_empty(n, dim)
        args = (x.data_ptr(), c.data_ptr(), c_stride, W.data_ptr(), V.data_ptr(),
                out.data_ptr(), n, dim, hidden)
        _run(self._logits, args, n, 1, n * dim * hidden)
        return out

    def grads(self, x, c, W, V, g) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(dc (N, H), dW, dV)``: the gradients of ``sum(g * logits(x, c, W, V))``."""
        (n, dim), hidden = x.shape, W.shape[1]
        x, W, V, g = x.contiguous(), W.contiguous(), V.contiguous(), g.contiguous()
        c, c_stride = self._bias(c)
        dc, dW, dV = x.new_empty(n, hidden), torch.zeros_like(W), torch.zeros_like(V)
        args = (x.data_ptr(), c.data_ptr(), c_stride, W.data_ptr(), V.data_ptr(),
                g.data_ptr(), dc.data_ptr(), dW.data_ptr(), dV.data_ptr(), n, dim, hidden)
        _run(self._backward, args, hidden, _SLICE, n * dim * hidden)
        return dc, dW, dV


def _run(function, args, total: int, grain: int, work: int) -> None:
    """Call ``function(*args, start, stop)`` over ``[0, total)`` in ranges on multiples of
    ``grain``, one per thread; raise if any range ran out of memory."""
    threads = min(torch.get_num_threads(), -(-total // grain))
    if threads <= 1 or work < _PARALLEL_FROM:
        failed = [function(*args, 0, total)]
    else:
        step = -(-total // (threads * grain)) * grain
        ranges = [(s, min(s + step, total)) for s in range(0, total, step)]
        pool = _pool(len(ranges), os.getpid())
        failed = list(pool.map(lambda r: function(*args, *r), ranges))
    if any(failed):
        raise MemoryError("NADE kernel: could not allocate its working buffers")


@functools.cache
def _pool(workers: int, pid: int) -> ThreadPoolExecutor:
    # Keyed by the process: a forked child inherits the parent's pool without its threads,
    # and work handed to it would wait forever.
    return ThreadPoolExecutor(workers, thread_name_prefix="nade-kernel")


_switched_off = False


@contextlib.contextmanager
def torch_only():
    """Within this block NADE uses its torch implementation (for measuring the two)."""
    global _switched_off
    before, _switched_off = _switched_off, True
    try:
        yield
    finally:
        _switched_off = before


def nade_kernel() -> NADEKernel | None:
    """The compiled kernel, built on first use; None where it cannot be (see the module)."""
    if _switched_off or os.environ.get("PPL_MODELS_NADE_KERNEL", "1") == "0":
        return None
    return _built()


@functools.cache
def _built() -> NADEKernel | None:
    library = load_c_library(SOURCE, "NADE's C kernel")
    return None if library is None else NADEKernel(library)
