"""``ppl-models evaluate``: a saved model scored on a split, as one JSON line.

A density model gets its exact NLL; a VAE its ELBO and an IWAE-K estimate of the NLL, both
bounds and named so (``estimator``, ``elbo_estimator``). The VAE's importance draws are seeded
by the training run's seed unless ``--iw-seed`` says otherwise, so with the same ``K`` the
figure ``train`` reported comes back.
"""

from __future__ import annotations

__all__ = ["add_parser", "run"]

import argparse
import math

from inference.cli.data_options import add_data_arguments, binarize_name, load_binary_splits
from inference.cli.evaluation import evaluate_density
from inference.cli.json_output import to_json
from inference.cli.model_file import load_model_file
from inference.cli.model_options import VAE_DEFAULTS
from inference.cli.threads import add_threads_argument, apply_threads
from ppl_models.data.splits import SPLIT_NAMES
from ppl_models.latent_models import is_latent_model


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate", help="test NLL of a trained model: exact, or ELBO and IWAE-K for a VAE "
                         "(JSON line on stdout)",
        description="Score DIR/model.pt on a data split. The dataset, binarisation and split "
                    "seed default to the ones the model was trained with.")
    p.add_argument("--checkpoint", required=True, help="model.pt written by 'train'")
    add_data_arguments(p, required=False)
    p.add_argument("--split", choices=SPLIT_NAMES, default="test")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the embedded datasets' split and of stochastic binarisation "
                        "(default: the training run's)")
    p.add_argument("--iw-samples", type=int, default=None,
                   help="VAE only: importance samples K of the IWAE-K estimate (default "
                        f"{VAE_DEFAULTS['iw_samples']})")
    p.add_argument("--iw-seed", type=int, default=None,
                   help="VAE only: seed of the importance draws (default: the training run's "
                        "seed, which 'train' used)")
    add_threads_argument(p, default=None)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    apply_threads(args.threads)
    model, config = load_model_file(args.checkpoint)
    latent = is_latent_model(model)
    if not latent and (args.iw_samples is not None or args.iw_seed is not None):
        raise ValueError(f"--iw-samples and --iw-seed apply to a VAE; --model "
                         f"{config['model']} has an exact NLL")
    dataset = args.dataset or config["dataset"]
    # A stored path belongs to the stored dataset; another dataset needs its own.
    data_path = args.data_path
    if data_path is None and dataset == config["dataset"]:
        data_path = config.get("data_path")
    binarize = args.binarize or config.get("binarize")
    seed = config.get("seed", 0) if args.seed is None else args.seed
    splits = load_binary_splits(dataset, data_path, binarize, seed)
    dim = math.prod(config["image_shape"])
    if splits.dim != dim:
        raise ValueError(f"--dataset {dataset} has {splits.dim} variables per image but the "
                         f"model has {dim}")
    if latent:
        result = _evaluate_vae(model, splits.images(args.split), args, config)
    else:
        result = {"estimator": "exact", **evaluate_density(model, splits.flat(args.split))}
    print(to_json({
        "checkpoint": str(args.checkpoint),
        "model": config["model"],
        "dataset": dataset,
        "binarize": binarize_name(dataset, binarize),
        "split": args.split,
        **result,
    }))
    return 0


def _evaluate_vae(model, x, args, config) -> dict:
    iw_samples = args.iw_samples if args.iw_samples is not None else VAE_DEFAULTS["iw_samples"]
    iw_seed = args.iw_seed if args.iw_seed is not None else config.get("seed", 0)
    if iw_samples < 1:
        raise ValueError(f"--iw-samples must be a positive integer, got {iw_samples}")
    if iw_seed < 0:
        raise ValueError(f"--iw-seed must be >= 0, got {iw_seed}")
    # Imported on use: the diagnostics pull in ArviZ, seconds of start-up that evaluating a
    # density model need not pay.
    from inference.cli.vae_evaluation import evaluate_vae

    return evaluate_vae(model, x, iw_samples=iw_samples, seed=iw_seed)

