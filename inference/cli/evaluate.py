"""``ppl-models evaluate``: exact NLL of a saved model on a split, as one JSON line."""

from __future__ import annotations

__all__ = ["add_parser", "run"]

import argparse
import math

from inference.cli.data_options import add_data_arguments, binarize_name, load_binary_splits
from inference.cli.evaluation import evaluate_density
from inference.cli.json_output import to_json
from inference.cli.model_file import load_model_file
from ppl_models.data.splits import SPLIT_NAMES


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "evaluate", help="exact NLL of a trained model (JSON line on stdout)",
        description="Score DIR/model.pt on a data split. The dataset, binarisation and split "
                    "seed default to the ones the model was trained with.")
    p.add_argument("--checkpoint", required=True, help="model.pt written by 'train'")
    add_data_arguments(p, required=False)
    p.add_argument("--split", choices=SPLIT_NAMES, default="test")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the embedded datasets' split and of stochastic binarisation "
                        "(default: the training run's)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    model, config = load_model_file(args.checkpoint)
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
    result = evaluate_density(model, splits.flat(args.split))
    print(to_json({
        "checkpoint": str(args.checkpoint),
        "model": config["model"],
        "dataset": dataset,
        "binarize": binarize_name(dataset, binarize),
        "split": args.split,
        "estimator": "exact",
        **result,
    }))
    return 0

