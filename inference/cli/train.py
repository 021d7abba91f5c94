"""``ppl-models train``: fit one model, score it on the test split, save everything.

The run directory receives ``model.pt`` (model + config), ``config.json``, ``history.json``,
``metrics.json``, ``samples.png`` and, for the networks, ``training_curves.png`` and the
trainer's ``checkpoints/last.pt`` for ``--resume``. A density model is scored by its exact
test NLL; a VAE by its test ELBO and an IWAE-K estimate (both named in ``metrics.json``), and
its run adds ``reconstructions.png`` and ELBO / rate / distortion curves.
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
from inference.cli.fitting import (
    PSEUDO_COUNT,
    FitResult,
    fit_network,
    fit_table_model,
    fit_vae,
)
from inference.cli.json_output import to_json, write_json
from inference.cli.model_file import save_model_file
from inference.cli.model_options import (
    VAE_DEFAULTS,
    add_model_arguments,
    vae_options,
    variable_order,
)
from inference.cli.sample import draw_samples
from inference.cli.threads import add_threads_argument, apply_threads
from inference.plots import save_sample_grid, save_training_curves
from inference.training import seed_everything
from ppl_models.data import DataSplits
from ppl_models.density_models import TABLE_MODELS, build_density_model, num_parameters
from ppl_models.latent_models import build_latent_model, is_latent_model

# A resumed run must be the same experiment; epochs, patience and time may change.
_RESUME_KEYS = ("model", "dataset", "data_path", "binarize", "hidden", "order", "seed",
                "batch_size", "lr", "latent_dim", "vae_hidden", "architecture", "likelihood",
                "objective", "particles", "kl_warmup")
CHECKPOINTS = "checkpoints"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="fit one model and write model.pt, metrics, plots",
        description="Fit one model, score it on the test split (a density model by its exact "
                    "NLL, a VAE by its ELBO and an IWAE-K estimate) and save model.pt, "
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
    vae = vae_options(args)
    apply_threads(args.threads)
    splits = load_binary_splits(args.dataset, args.data_path, args.binarize, args.seed)
    config = _config(args, splits, vae)
    model = _build(args, splits, vae)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _check_resume(out, config, args)
    write_json(out / "config.json", config)

    seed_everything(args.seed)
    fit = _fit(model, splits, args, out, vae)
    if vae is None:
        test = {"estimator": "exact", **evaluate_density(fit.model, splits.flat("test"))}
    else:
        # Imported on use, here and below: the diagnostics pull in ArviZ, seconds of start-up
        # that a density model's run need not pay.
        from inference.cli.vae_evaluation import evaluate_vae

        test = evaluate_vae(fit.model, splits.images("test"), iw_samples=vae["iw_samples"],
                            seed=args.seed)
    metrics = _metrics(config, fit, test, time.perf_counter() - started)
    _write_outputs(out, fit, config, metrics, splits)
    print(to_json(metrics))
    return 0


def _build(args, splits: DataSplits, vae: dict[str, Any] | None):
    if vae is not None:
        # Seeded here, so the initial weights do not depend on what ran before.
        seed_everything(args.seed)
        return build_latent_model(
            args.model, splits.image_shape, latent_dim=vae["latent_dim"],
            hidden=vae["vae_hidden"], architecture=vae["architecture"],
            likelihood=vae["likelihood"], nade_hidden=args.hidden)
    order = variable_order(args.order, splits.dim, args.seed)
    try:
        return build_density_model(args.model, splits.dim, hidden=args.hidden, order=order)
    except ValueError as e:
        raise ValueError(f"cannot build --model {args.model} for {args.dataset} "
                         f"({splits.dim} binary variables): {e}") from e


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


def _config(args, splits: DataSplits, vae: dict[str, Any] | None) -> dict[str, Any]:
    nade_inside = args.model == "nade" or (vae is not None and vae["likelihood"] == "nade")
    return {
        "model": args.model,
        "dataset": args.dataset,
        "data_path": args.data_path,
        "binarize": args.binarize or "threshold",
        "image_shape": list(splits.image_shape),
        "hidden": args.hidden if nade_inside else None,
        "order": args.order,
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "patience": args.patience,
        "max_seconds": args.max_seconds,
        "pseudo_count": args.pseudo_count if args.model in TABLE_MODELS else None,
        **{k: None if vae is None else vae[k] for k in VAE_DEFAULTS},
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


def _fit(model, splits: DataSplits, args, out: Path, vae: dict[str, Any] | None) -> FitResult:
    if args.model in TABLE_MODELS:
        return fit_table_model(model, splits.flat("train"), args.pseudo_count)
    common = dict(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                  patience=args.patience, max_seconds=args.max_seconds, seed=args.seed,
                  checkpoint_dir=out / CHECKPOINTS, resume=args.resume)
    if vae is not None:
        return fit_vae(model, splits.images("train"), splits.images("valid"),
                       objective=vae["objective"], particles=vae["particles"],
                       kl_warmup=vae["kl_warmup"], log_fn=_log_vae_epoch, **common)
    return fit_network(model, splits.flat("train"), splits.flat("valid"),
                       log_fn=_log_epoch, **common)


def _log_epoch(record: dict[str, Any]) -> None:
    print(f"epoch {record['epoch']}: train {record['train_loss']:.3f}, "
          f"valid {record['valid_loss']:.3f} nats ({record['seconds']:.1f} s)",
          file=sys.stderr, flush=True)


def _log_vae_epoch(record: dict[str, Any]) -> None:
    print(f"epoch {record['epoch']}: train loss {record['train_loss']:.3f}, valid ELBO "
          f"{record['valid_elbo']:.3f} (rate {record['valid_rate']:.3f}, distortion "
          f"{record['valid_distortion']:.3f}) nats ({record['seconds']:.1f} s)",
          file=sys.stderr, flush=True)


def _metrics(config, fit: FitResult, test: dict[str, Any], seconds: float) -> dict[str, Any]:
    history = fit.history
    # A VAE's validation loss is -ELBO, not an NLL; the key says which.
    best_key = "best_valid_neg_elbo_nats" if is_latent_model(fit.model) else "best_valid_nll_nats"
    return {
        "model": config["model"],
        "dataset": config["dataset"],
        "binarize": binarize_name(config["dataset"], config["binarize"]),
        "split": "test",
        **test,
        "num_parameters": num_parameters(fit.model),
        "fit": fit.method,
        "epochs": fit.epochs,
        "best_epoch": None if history is None else history.best_epoch,
        best_key: None if history is None else history.best_valid_loss,
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
    if is_latent_model(fit.model):
        from inference.cli.vae_figures import save_vae_figures

        save_vae_figures(out, fit.model, fit.history, splits.images("test"), config["seed"])
    elif fit.history is not None and fit.history.epochs:
        save_training_curves({config["model"]: fit.history}, out / "training_curves.png")
    samples = draw_samples(fit.model, 64, config["seed"])
    save_sample_grid(samples, out / "samples.png", image_shape=splits.image_shape,
                     title=f"{config['model']} on {config['dataset']}: 64 samples")
