"""The ``--device`` and ``--precision`` options of ``train``, ``evaluate`` and ``sample``.

The command reads its data and builds (or loads) its model on the CPU, then moves both to
``--device`` (:class:`~inference.training.Placement`); training runs its updates under
``--precision``'s autocast, while scores (validation, test NLL, IWAE, sample metrics) are
computed in float32. Files are written from CPU copies.
"""

from __future__ import annotations

__all__ = ["add_device_arguments", "placement_from"]

import argparse

from inference.training import PRECISIONS, Placement


def add_device_arguments(parser: argparse.ArgumentParser, *, precision: bool = True) -> None:
    """Add ``--device`` (and ``--precision`` when the command trains) to ``parser``."""
    parser.add_argument("--device", default="cpu",
                        help="where the model computes: cpu (default), cuda or cuda:N")
    if precision:
        parser.add_argument("--precision", choices=tuple(PRECISIONS), default="fp32",
                            help="the training updates' precision: fp32 (default), or bf16 / "
                                 "fp16 autocast (fp16 on CUDA only); scores stay float32")


def placement_from(args: argparse.Namespace) -> Placement:
    """The checked placement of ``args.device`` and ``args.precision`` (if present).

    :raises ValueError: naming the option (see :meth:`Placement.parse`).
    """
    return Placement.parse(args.device, getattr(args, "precision", None))
