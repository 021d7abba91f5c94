"""``ppl-models train``: fit one density model, score it on the test split, save everything.

The run directory receives ``model.pt`` (model + config), ``config.json``, ``history.json``,
``metrics.json`` (exact test NLL), ``samples.png`` and, for the networks,
``training_curves.png`` and the trainer's ``checkpoints/last.pt`` for ``--resume``.
"""

from __future__ import annotations

__all__ = ["add_parser", "run"]

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from inference.cli.data_options import add_data_arguments, binarize_name, load_binary_splits
from inference.cli.evaluation import evaluate_density
from inference.cli.fitting import PSEUDO_COUNT, FitResult, fit_network, fit_table_model
from inference.cli.json_output import to_json, write_json
from inference.cli.model_file import save_model_file
from inference.cli.model_options import add_model_arguments, variable_order
from inference.cli.sample import draw_samples
from inference.cli.threads import add_threads_argument, apply_threads
from inference.plots import save_sample_grid, save_training_curves
from inference.training import seed_everything
from ppl_models.data import DataSplits
from ppl_models.density_models import TABLE_MODELS, build_density_model, num_parameters

# A resumed run must be the same experiment; epochs, patience and time may change.
_RESUME_KEYS = ("model", "dataset", "data_path", "binarize", "hidden", "order", "seed",
                "batch_size", "lr")
CHECKPOINTS = "checkpoints"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="fit one model and write model.pt, metrics, plots",
        description="Fit one density model, score it by its exact test NLL, and save model.pt, "
                    "metrics.json, history.json and plots in --out.")
    add_model_arguments(p)
    add_data_arguments(p)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    p.add_argument("--patience", type=int, default=None,
                   help="stop after N epochs without validation improvement")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="stop after the first epoch that ends past S seconds of training")
    p.add_argument("--pseudo-count", type=float, default=PSEUDO_COUNT,
                   help="Beta(a, a) pseudo-counts of the table models (default 1: finite "
                        "test NLL; 0: maximum likelihood)")
    p.add_argument("--seed", type=int, default=0)
    add_threads_argument(p, default=None)
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoints/last.pt (networks only)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _check_numbers(args)
    apply_threads(args.threads)
    splits = load_binary_splits(args.dataset, args.data_path, args.binarize, args.seed)
    config = _config(args, splits)
    order = variable_order(args.order, splits.dim, args.seed)
    try:
        model = build_density_model(args.model, splits.dim, hidden=args.hidden, order=order)
    except ValueError as e:
        raise ValueError(f"cannot build --model {args.model} for {args.dataset} "
                         f"({splits.dim} binary variables): {e}") from e
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _check_resume(out, config, args)
    write_json(out / "config.json", config)

    seed_everything(args.seed)
    fit = _fit(model, splits, args, out)
    test = evaluate_density(fit.model, splits.flat("test"))
    metrics = _metrics(config, fit, test, time.perf_counter() - started)
    _write_outputs(out, fit, config, metrics, splits)
    print(to_json(metrics))
    return 0


def _check_numbers(args) -> None:
    for name in ("epochs", "batch_size", "hidden"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, "
                             f"got {getattr(args, name)}")
    if args.patience is not None and args.patience < 1:
        raise ValueError(f"--patience must be a positive integer, got {args.patience}")
    if args.max_seconds is not None and not args.max_seconds > 0:
        raise ValueError(f"--max-seconds must be positive, got {args.max_seconds}")
    if not args.lr > 0:
        raise ValueError(f"--lr must be positive, got {args.lr}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")


def _config(args, splits: DataSplits) -> dict[str, Any]:
    return {
        "model": args.model,
        "dataset": args.dataset,
        "data_path": args.data_path,
        "binarize": args.binarize or "threshold",
        "image_shape": list(splits.image_shape),
        "hidden": args.hidden if args.model == "nade" else None,
        "order": args.order,
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "patience": args.patience,
        "max_seconds": args.max_seconds,
        "pseudo_count": args.pseudo_count if args.model in TABLE_MODELS else None,
    }


def _check_resume(out: Path, config: dict[str, Any], args) -> None:
    if not args.resume:
        if (out / CHECKPOINTS / "last.pt").is_file():
            print(f"note: starting afresh in {out}; pass --resume to continue from "
                  f"{out / CHECKPOINTS / 'last.pt'}", file=sys.stderr)
        return
    if args.model in TABLE_MODELS:
        print(f"note: --model {args.model} is fitted in closed form; --resume refits it",
              file=sys.stderr)
        return
    previous_file = out / "config.json"
    if not previous_file.is_file():
        return
    try:
        previous = json.loads(previous_file.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"--resume: {previous_file} is not valid JSON: {e}") from e
    changed = [k for k in _RESUME_KEYS if previous.get(k) != config[k]]
    if changed:
        diffs = ", ".join(f"{k}: {previous.get(k)!r} -> {config[k]!r}" for k in changed)
        raise ValueError(f"--resume: {out} holds a different run ({diffs}); use another --out "
                         "or drop --resume")


def _fit(model, splits: DataSplits, args, out: Path) -> FitResult:
    train = splits.flat("train")
    if args.model in TABLE_MODELS:
        return fit_table_model(model, train, args.pseudo_count)

    def log(record):
        print(f"epoch {record['epoch']}: train {record['train_loss']:.3f}, "
              f"valid {record['valid_loss']:.3f} nats ({record['seconds']:.1f} s)",
              file=sys.stderr, flush=True)

    return fit_network(model, train, splits.flat("valid"), epochs=args.epochs,
                       batch_size=args.batch_size, lr=args.lr, patience=args.patience,
                       max_seconds=args.max_seconds, seed=args.seed,
                       checkpoint_dir=out / CHECKPOINTS, resume=args.resume, log_fn=log)


def _metrics(config, fit: FitResult, test: dict[str, float], seconds: float) -> dict[str, Any]:
    history = fit.history
    return {
        "model": config["model"],
        "dataset": config["dataset"],
        "binarize": binarize_name(config["dataset"], config["binarize"]),
        "split": "test",
        "estimator": "exact",
        "nll_nats": test["nll_nats"],
        "stderr_nats": test["stderr_nats"],
        "bits_per_dim": test["bits_per_dim"],
        "n": test["n"],
        "num_parameters": num_parameters(fit.model),
        "fit": fit.method,
        "epochs": fit.epochs,
        "best_epoch": None if history is None else history.best_epoch,
        "best_valid_nll_nats": None if history is None else history.best_valid_loss,
        "fit_seconds": fit.seconds,
        "wall_seconds": seconds,
        "seed": config["seed"],
    }


def _write_outputs(out: Path, fit: FitResult, config, metrics, splits: DataSplits) -> None:
    save_model_file(out / "model.pt", fit.model, config)
    history = fit.history.to_dict() if fit.history is not None else {
        "epochs": [], "best_epoch": None, "best_valid_loss": None, "note": fit.method}
    write_json(out / "history.json", history)
    write_json(out / "metrics.json", metrics)
    if fit.history is not None and fit.history.epochs:
        save_training_curves({config["model"]: fit.history}, out / "training_curves.png")
    samples = draw_samples(fit.model, 64, config["seed"])
    save_sample_grid(samples, out / "samples.png", image_shape=splits.image_shape,
                     title=f"{config['model']} on {config['dataset']}: 64 samples")
