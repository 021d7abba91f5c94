"""The element-wise work of one LSTM scan step in C (``lstm_kernel.c``), forward and backward.

PixelRNN's scan (``_LSTMScan`` in :mod:`~ppl_models.distributions.pixelrnn`) does, per
step, one batched matrix product and then the gates' sigmoids, the cell and hidden states
and (backward) the gates' gradients: in torch some fifteen (forward) and twenty-five
(backward) separate calls on slabs of a few thousand floats, whose cost is mostly the
calls. The kernel does a step's element-wise work in one call. It is speed only:
``float32`` on the CPU outside a CPU autocast; elsewhere, where no C compiler is found
(:mod:`~ppl_models.distributions.c_library`), or with ``PPL_MODELS_LSTM_KERNEL=0``, the
scan keeps its torch code.
"""

from __future__ import annotations

__all__ = ["LSTMKernel", "lstm_kernel"]

import ctypes
import functools
import os
from pathlib import Path

import torch
from torch import Tensor

from ppl_models.distributions.c_library import load_c_library

SOURCE = Path(__file__).with_name("lstm_kernel.c")


def _strided(t: Tensor) -> tuple[int, int]:
    """``t`` (``(D, P, width)``, rows contiguous) as its data pointer and direction stride."""
    if t.dtype != torch.float32 or t.stride(2) != 1 or (t.shape[1] > 1
                                                        and t.stride(1) != t.shape[2]):
        raise ValueError(f"the LSTM kernel takes float32 rows in memory, got {t.dtype} "
                         f"strides {t.stride()} for shape {tuple(t.shape)}")
    return t.data_ptr(), t.stride(0)


class LSTMKernel:
    """The compiled library's two entry points, on ``(D, P, width)`` views whose rows are
    contiguous (directions may lie any stride apart): gates ``(D, P, 4h)`` in the order o,
    f, i, g (g doubled), states ``(D, P, h)``."""

    def __init__(self, library: ctypes.CDLL):
        pointer, size = ctypes.c_void_p, ctypes.c_int64
        self._step = library.lstm_step
        self._step.argtypes = [pointer, size] * 5 + [size] * 3
        self._backward = library.lstm_step_backward
        self._backward.argtypes = [pointer, size] * 7 + [size] * 3
        self._step.restype = self._backward.restype = None

    @staticmethod
    def accepts(*tensors: Tensor) -> bool:
        """Whether the kernel computes with these tensors: float32 on the CPU, and no CPU
        autocast asking for lower precision."""
        return (not torch.is_autocast_enabled("cpu")
                and all(t.dtype == torch.float32 and t.device.type == "cpu" for t in tensors))

    def step(self, s: Tensor, e_prev: Tensor, e_out: Tensor, h_out: Tensor,
             tanh_c: Tensor) -> None:
        """Overwrite the pre-activations ``s`` with their sigmoids and write the halved cell
        states ``e_out``, the states ``h_out`` and ``tanh_c``."""
        d, p, width = s.shape
        self._step(*_strided(s), *_strided(e_prev), *_strided(e_out), *_strided(h_out),
                   *_strided(tanh_c), d, p, width // 4)

    def step_backward(self, s: Tensor, tanh_c: Tensor, e_prev: Tensor, dh: Tensor,
                      de: Tensor, de_prev: Tensor, da: Tensor) -> None:
        """Write the gates' gradient ``da``, add the states' path to ``de`` and the
        continued cell states' gradient to ``de_prev`` (all in place)."""
        d, p, width = s.shape
        self._backward(*_strided(s), *_strided(tanh_c), *_strided(e_prev), *_strided(dh),
                       *_strided(de), *_strided(de_prev), *_strided(da), d, p, width // 4)


def lstm_kernel() -> LSTMKernel | None:
    """The compiled kernel, built on first use; None where it cannot be (see the module)."""
    if os.environ.get("PPL_MODELS_LSTM_KERNEL", "1") == "0":
        return None
    return _built()


@functools.cache
def _built() -> LSTMKernel | None:
    library = load_c_library(SOURCE, "the LSTM's C kernel")
    return None if library is None else LSTMKernel(library)
