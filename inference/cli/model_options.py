"""The model options of ``train``: which density model, its size and its variable order."""

from __future__ import annotations

__all__ = ["ORDERS", "add_model_arguments", "variable_order"]

import argparse

import torch

from ppl_models.density_models import DENSITY_MODELS

ORDERS = ("raster", "random")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--model``, ``--hidden`` and ``--order`` to ``parser``."""
    parser.add_argument("--model", choices=DENSITY_MODELS, required=True,
                        help="independent / markov / full: fitted in closed form from counts; "
                             "fvsbn / nade: trained by maximum likelihood")
    parser.add_argument("--hidden", type=int, default=500, help="NADE hidden units")
    parser.add_argument("--order", choices=ORDERS, default="raster",
                        help="variable order: raster, or a random permutation drawn from --seed")


def variable_order(order: str, dim: int, seed: int) -> torch.Tensor | None:
    """``None`` (raster order) or a permutation of ``range(dim)`` drawn from ``seed``.

    :param str order: one of :data:`ORDERS`.
    :param int dim: number of variables.
    :param int seed: seed of the permutation (its own generator: the global RNG is untouched).
    """
    if order == "raster":
        return None
    if order == "random":
        return torch.randperm(dim, generator=torch.Generator().manual_seed(seed))
    raise ValueError(f"--order must be one of {ORDERS}, got {order!r}")
