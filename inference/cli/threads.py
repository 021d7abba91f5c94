"""The ``--threads`` option: how many CPU threads torch may use for one command."""

from __future__ import annotations

__all__ = ["add_threads_argument", "apply_threads"]

import argparse

import torch


def add_threads_argument(parser: argparse.ArgumentParser, default: int | None) -> None:
    """Add ``--threads`` to ``parser``; ``default`` None keeps torch's own choice."""
    parser.add_argument(
        "--threads", type=int, default=default,
        help="torch CPU threads (default: "
             + ("torch's choice" if default is None else str(default))
             + "). Small models gain nothing from more, and on a shared machine extra "
               "threads wait on each other")


def apply_threads(threads: int | None) -> None:
    """Set torch's intra-op thread count, if given."""
    if threads is None:
        return
    if threads < 1:
        raise ValueError(f"--threads must be a positive integer, got {threads}")
    torch.set_num_threads(threads)
