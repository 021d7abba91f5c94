"""Where a run computes and in what precision: ``--device`` and ``--precision``, checked once.

A :class:`Placement` names a device (``cpu``, ``cuda``, ``cuda:N``) and a precision
(``fp32``; ``bf16`` or ``fp16`` as *autocast*: the networks' products in the low precision,
parameters, optimiser state and log-densities in float32). A model and its data are moved to
the device by :meth:`Placement.to`; the training step runs its loss under
:meth:`Placement.autocast`. Checkpoints and model files are written from CPU copies, so a
model trained on a GPU loads on a machine without one.
"""

from __future__ import annotations

__all__ = ["PRECISIONS", "Placement"]

import contextlib
from dataclasses import dataclass

import torch

#: ``--precision`` choices and the autocast dtype each stands for (``None``: no autocast).
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class Placement:
    """A checked device and precision.

    :ivar device: the torch device models and data live on.
    :ivar precision: one of :data:`PRECISIONS`.
    """

    device: torch.device = torch.device("cpu")
    precision: str = "fp32"

    @classmethod
    def parse(cls, device: str | torch.device | None = None,
              precision: str | None = None) -> Placement:
        """Check ``--device`` and ``--precision`` (``None``: ``cpu`` and ``fp32``).

        :raises ValueError: naming the option: an unknown device string, CUDA asked for where
            none is visible or an index past the devices present, an unknown precision, or
            ``fp16`` on the CPU (its autocast exists only on CUDA).
        """
        try:
            where = torch.device(device if device is not None else "cpu")
        except (RuntimeError, TypeError) as e:
            raise ValueError(f"--device: expected cpu, cuda or cuda:N, got {device!r}") \
                from e
        if where.type not in ("cpu", "cuda"):
            raise ValueError(f"--device: expected cpu, cuda or cuda:N, got {device!r}")
        if where.type == "cuda":
            if not torch.cuda.is_available():
                raise ValueError(f"--device {device}: no CUDA device is visible "
                                 "(torch.cuda.is_available() is False); use --device cpu")
            count = torch.cuda.device_count()
            if where.index is not None and where.index >= count:
                raise ValueError(f"--device {device}: only {count} CUDA device(s) are "
                                 f"visible (cuda:0 .. cuda:{count - 1})")
            if where.index is None:
                where = torch.device("cuda", torch.cuda.current_device())
        precision = "fp32" if precision is None else precision
        if precision not in PRECISIONS:
            raise ValueError(f"--precision: expected one of {list(PRECISIONS)}, got "
                             f"{precision!r}")
        if precision == "fp16" and where.type == "cpu":
            raise ValueError("--precision fp16: float16 autocast needs a CUDA device; on the "
                             "CPU use bf16")
        return cls(where, precision)

    def to(self, obj):
        """``obj`` on this placement's device: a module or a tensor, or a tuple, list or dict
        of them (e.g. a conditional sampler's labels and images); anything else as it is."""
        if isinstance(obj, torch.nn.Module | torch.Tensor):
            return obj.to(self.device)
        if isinstance(obj, tuple | list):
            return type(obj)(self.to(o) for o in obj)
        if isinstance(obj, dict):
            return {k: self.to(v) for k, v in obj.items()}
        return obj

    def autocast(self) -> contextlib.AbstractContextManager:
        """The context a step's loss runs in: autocast to the low precision, or nothing."""
        dtype = PRECISIONS[self.precision]
        if dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=dtype)

    def describe(self) -> str:
        """``"cpu, fp32"``, ``"cuda:0 (NVIDIA H100), bf16 autocast"``: for reports."""
        name = str(self.device)
        if self.device.type == "cuda":
            name += f" ({torch.cuda.get_device_name(self.device)})"
        return name + ("" if self.precision == "fp32" else f", {self.precision} autocast")
