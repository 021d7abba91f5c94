"""The model options of ``train``: which model, its size, its variable order, and for a VAE
its code, networks, likelihood and training objective."""

from __future__ import annotations

__all__ = [
    "MODELS",
    "ORDERS",
    "VAE_DEFAULTS",
    "add_model_arguments",
    "vae_options",
    "variable_order",
]

import argparse
from typing import Any

import torch

from inference.training import OBJECTIVES
from ppl_models.density_models import DENSITY_MODELS
from ppl_models.latent_models import LATENT_MODELS
from ppl_models.vae import ARCHITECTURES

ORDERS = ("raster", "random")
MODELS = DENSITY_MODELS + LATENT_MODELS
#: The VAE's options when not given. They default to None on the command line, so that
#: giving one to a density model is caught rather than silently ignored.
VAE_DEFAULTS = {
    "latent_dim": 32,
    "vae_hidden": [400],
    "architecture": "mlp",
    "likelihood": "bernoulli",
    "objective": "trace",
    "particles": 1,
    "kl_warmup": 0,
    "iw_samples": 1000,
}
# The command trains on binary data, so the grey-level likelihood is not offered.
_VAE_LIKELIHOODS = ("bernoulli", "nade")


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--model``, ``--hidden``, ``--order`` and the VAE's options to ``parser``."""
    parser.add_argument("--model", choices=MODELS, required=True,
                        help="independent / markov / full: fitted in closed form from counts; "
                             "fvsbn / nade: trained by maximum likelihood (exact NLL); vae: "
                             "trained by SVI, scored by the ELBO and an IWAE-K estimate")
    parser.add_argument("--hidden", type=int, default=500,
                        help="NADE hidden units (also of a VAE's NADE decoder)")
    parser.add_argument("--order", choices=ORDERS, default="raster",
                        help="variable order: raster, or a random permutation drawn from --seed")
    vae = parser.add_argument_group("VAE (--model vae)")
    d = VAE_DEFAULTS
    vae.add_argument("--latent-dim", type=int, default=None,
                     help=f"size of the code z (default {d['latent_dim']})")
    vae.add_argument("--vae-hidden", type=int, nargs="+", default=None,
                     help="encoder layer widths, reversed in the decoder (default "
                          f"{' '.join(map(str, d['vae_hidden']))})")
    vae.add_argument("--architecture", choices=ARCHITECTURES, default=None,
                     help=f"encoder/decoder networks (default {d['architecture']})")
    vae.add_argument("--likelihood", choices=_VAE_LIKELIHOODS, default=None,
                     help="p(x|z): independent Bernoulli pixels, or a conditional NADE "
                          f"(--hidden units) (default {d['likelihood']})")
    vae.add_argument("--objective", choices=OBJECTIVES, default=None,
                     help="trace: Trace_ELBO; meanfield: analytic KL; renyi: the IWAE bound "
                          f"with --particles samples (default {d['objective']})")
    vae.add_argument("--particles", type=int, default=None,
                     help=f"samples per datum in the objective (default {d['particles']})")
    vae.add_argument("--kl-warmup", type=int, default=None,
                     help="updates over which the KL weight rises from 0 to 1 (default "
                          f"{d['kl_warmup']}: none)")
    vae.add_argument("--iw-samples", type=int, default=None,
                     help="importance samples K of the test IWAE-K estimate (default "
                          f"{d['iw_samples']})")


def vae_options(args: argparse.Namespace) -> dict[str, Any] | None:
    """The VAE options with defaults filled in, or None for a density model.

    :raises ValueError: if a VAE option is given for a density model, or is out of range.
    """
    given = {k: getattr(args, k) for k in VAE_DEFAULTS if getattr(args, k) is not None}
    if args.model not in LATENT_MODELS:
        if given:
            names = ", ".join(f"--{k.replace('_', '-')}" for k in given)
            raise ValueError(f"{names} apply to --model vae only, not --model {args.model}")
        return None
    if args.order != "raster":
        raise ValueError("--order applies to the density models; a VAE's NADE decoder uses "
                         "raster order")
    options = {**VAE_DEFAULTS, **given}
    for name in ("latent_dim", "particles", "iw_samples"):
        if options[name] < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, "
                             f"got {options[name]}")
    if any(w < 1 for w in options["vae_hidden"]):
        raise ValueError(f"--vae-hidden must hold positive integers, got {options['vae_hidden']}")
    if options["kl_warmup"] < 0:
        raise ValueError(f"--kl-warmup must be >= 0, got {options['kl_warmup']}")
    return options


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
