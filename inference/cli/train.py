"""``ppl-models train``: fit one model, score it on the test split, save everything.

The run directory receives ``model.pt`` (:func:`inference.persistence.save_model`, with the
run's configuration as metadata), ``config.json``, ``history.json``, ``metrics.json``,
``samples.png`` and, for a model trained by gradients, the trainer's ``checkpoints/last.pt``
for ``--resume`` and the family's figures (training curves; for a latent model also
reconstructions and ELBO / rate / distortion curves). How a kind is fitted and scored is its
family's business (:mod:`inference.cli.families`): an exact model by its exact test NLL, a
latent model by its test ELBO and an IWAE-K estimate, each named in ``metrics.json``.

Under ``torchrun --nproc_per_node=N -m inference.cli.main train ...`` (``python -m
torch.distributed.run``) the same command trains on N processes
(:mod:`inference.training.distributed`): every rank reads the data and builds the model from
the same seed, the Trainer splits every ``--batch-size`` batch over the ranks, and rank 0
alone writes the run directory and scores the test split.
"""

from __future__ import annotations

__all__ = ["add_parser", "run"]

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

from inference.cli.data_options import (
    add_data_arguments,
    binarize_name,
    load_binary_splits,
    run_splits,
)
from inference.cli.device_options import add_device_arguments, placement_from
from inference.cli.families import FamilyCLI, RunSettings, family_cli
from inference.cli.families.family import selected_by
from inference.cli.fitting import FitResult
from inference.cli.json_output import to_json, write_json
from inference.cli.model_options import (
    add_model_arguments,
    build_for_data,
    family_settings,
    kind_options,
    option_dests,
    refuse_foreign_options,
)
from inference.cli.number_checks import check_positive_finite, check_positive_int, check_seed
from inference.cli.recipe_options import add_recipe_argument, apply_recipe, resolved_recipe
from inference.cli.resume_check import check_last_checkpoint
from inference.cli.sample import draw_samples
from inference.cli.threads import add_threads_argument, apply_threads
from inference.persistence import save_model
from inference.training import Placement, distributed, seed_everything
from ppl_models import registry
from ppl_models.data import REAL_DATASETS, DataSplits
from ppl_models.registry import num_parameters

# A resumed run must be the same experiment; these may change.
_MAY_CHANGE = ("epochs", "patience", "max_seconds")
CHECKPOINTS = "checkpoints"


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "train", help="fit one model and write model.pt, metrics, plots",
        description="Fit one model, score it on the test split (a density model by its exact "
                    "NLL, a VAE by its ELBO and an IWAE-K estimate) and save model.pt, "
                    "metrics.json, history.json and plots in --out.")
    add_recipe_argument(p)
    add_model_arguments(p)
    add_data_arguments(p, required=False)
    p.add_argument("--train-size", type=int, default=None,
                   help="train on the first N training images only (default: all; with "
                        "--holdout-class, the first N of the other classes)")
    p.add_argument("--valid-size", type=int, default=None,
                   help="validate (early stopping, the kept epoch) on N validation images "
                        "drawn at random, the same N for every run (default: all)")
    p.add_argument("--holdout-class", type=int, default=None, metavar="K",
                   help="remove the images of class K from the training and validation "
                        "splits and keep them in the test split (a held-out class for anomaly "
                        "detection); only for a data set labelled in every split")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    p.add_argument("--patience", type=int, default=None,
                   help="stop after N epochs without validation improvement")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="stop after the first epoch that ends past S seconds of training")
    p.add_argument("--seed", type=int, default=0)
    add_threads_argument(p, default=None)
    add_device_arguments(p)
    p.add_argument("--out", required=True, help="run directory")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoints/last.pt (models trained by gradients)")
    p.set_defaults(run=run, parser=p)
    return p


def run(args: argparse.Namespace) -> int:
    # Before anything that may fail differently per rank; a no-op without torchrun. The
    # backend follows the device: gloo on the CPU, nccl on CUDA (each rank its LOCAL_RANK).
    placement = placement_from(args)
    joined = not distributed.initialised()
    group = distributed.init_from_env(placement.device)
    if group is not None and placement.device.type == "cuda":
        placement = Placement.parse(f"cuda:{torch.cuda.current_device()}", placement.precision)
    args.placement = placement
    try:
        return _run(args, group)
    finally:
        if group is not None and joined:
            distributed.shutdown()


def _run(args: argparse.Namespace, group: distributed.Group | None) -> int:
    started = time.perf_counter()
    main = group is None or group.rank == 0
    recipe = apply_recipe(args.parser, args, _train_words(args.argv))
    for name in ("model", "dataset"):
        if getattr(args, name) is None:
            raise ValueError(f"--{name} is required (or a --recipe that sets {name})")
    kind = args.model
    family = family_cli(registry.family_of(kind))
    _check_numbers(args)
    refuse_foreign_options(kind, args)
    settings = family_settings(kind, args)
    family.check(settings)
    apply_threads(args.threads)
    splits = run_splits(load_binary_splits(args.dataset, args.data_path, args.binarize,
                                           args.seed),
                        args.holdout_class, args.train_size, args.valid_size)
    model = build_for_data(kind, splits, args, settings, args.seed)
    family.check_data(model, splits, settings)  # before the run directory is written
    # Fitted and scored on the device; figures and files are made from CPU copies after.
    on_cpu, splits = splits, splits.to(args.placement.device)
    model = args.placement.to(model)
    config = _config(args, splits, model, family, settings)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    _check_resume(out, config, args, family.resumable(model), quiet=not main)
    if args.resume and family.resumable(model):
        check_last_checkpoint(out / CHECKPOINTS / "last.pt", model, args.epochs)
    # Every rank has read the old config.json before rank 0 replaces it.
    distributed.barrier()
    if main:
        write_json(out / "config.json", config)
        _write_recipe(out, args, recipe, config)

    seed_everything(args.seed)
    run_settings = RunSettings(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                               patience=args.patience, max_seconds=args.max_seconds,
                               seed=args.seed, checkpoint_dir=out / CHECKPOINTS,
                               resume=args.resume, placement=args.placement)
    fit = family.fit(model, splits, settings, run_settings, log=True)
    if not main:
        return 0
    test = family.evaluate(fit.model, splits, "test", settings, args.seed)
    fit.model = fit.model.cpu()
    metrics = _metrics(config, fit, family, test, time.perf_counter() - started)
    metrics["device"] = args.placement.describe()
    metrics["recipe"] = {"name": None if recipe is None else recipe.name,
                         "overrides": args.recipe_overrides if recipe is not None else None}
    _write_outputs(out, fit, family, config, metrics, on_cpu)
    print(to_json(metrics))
    return 0


def _train_words(argv: list[str]) -> list[str]:
    """The words after the ``train`` subcommand."""
    return argv[argv.index("train") + 1:] if "train" in argv else argv


def _write_recipe(out: Path, args, recipe, config: dict[str, Any]) -> None:
    """``recipe.toml``: every setting the run used, so ``--recipe OUT/recipe.toml`` reruns
    it; the recipe it came from and the command line's overrides in its header."""
    source = "the command line" if recipe is None else f"recipe {recipe.name}"
    overrides = {k: v for k, v in args.recipe_overrides.items() if k != "model"}
    header = (f"Resolved by ppl-models train from {source}"
              + (f"; overridden on the command line: {overrides}" if recipe and overrides
                 else ""))
    resolved = resolved_recipe(
        recipe.name if recipe else f"{config['model']}_{config['dataset']}",
        recipe.description if recipe else f"{config['model']} on {config['dataset']}",
        recipe.reproduces if recipe else None, config, args.parser)
    (out / "recipe.toml").write_text(resolved.to_toml(header))


def _check_numbers(args) -> None:
    check_positive_int(args, "epochs", "batch_size")
    check_positive_int(args, "patience", "train_size", "valid_size", optional=True)
    check_positive_finite(args, "lr")
    check_positive_finite(args, "max_seconds", optional=True)
    check_seed(args)


def _config(args, splits: DataSplits, model, family: FamilyCLI, settings) -> dict[str, Any]:
    """The run as plain data: config.json, and the model file's metadata."""
    kind = args.model
    dests = option_dests(kind)
    return {
        "model": kind,
        "family": family.name,
        "dataset": args.dataset,
        "data_path": args.data_path,
        # Real-valued sets are not binarised: store None so evaluate reloads them as they are.
        "binarize": args.binarize or (None if args.dataset in REAL_DATASETS else "threshold"),
        "train_size": args.train_size,
        "valid_size": args.valid_size,
        "holdout_class": args.holdout_class,
        "image_shape": list(splits.image_shape),
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "patience": args.patience,
        "max_seconds": args.max_seconds,
        **{dests[name]: value for name, value in kind_options(kind, args).items()},
        **family.run_config(model, settings),
    }


def _check_resume(out: Path, config: dict[str, Any], args, resumable: bool,
                  quiet: bool = False) -> None:
    if not args.resume:
        if (out / CHECKPOINTS / "last.pt").is_file() and not quiet:
            print(f"note: starting afresh in {out}; pass --resume to continue from "
                  f"{out / CHECKPOINTS / 'last.pt'}", file=sys.stderr)
        return
    if not resumable:
        if quiet:
            return
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
    keys = sorted((previous.keys() | config.keys()) - set(_MAY_CHANGE))
    changed = [k for k in keys if previous.get(k) != config.get(k)]
    if changed:
        diffs = ", ".join(f"{k}: {previous.get(k)!r} -> {config.get(k)!r}" for k in changed)
        raise ValueError(f"--resume: {out} holds a different run ({diffs}); use another --out "
                         "or drop --resume")


def _metrics(config, fit: FitResult, family: FamilyCLI, test: dict[str, Any],
             seconds: float) -> dict[str, Any]:
    history = fit.history
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
        # Named for what the validation loss is: an NLL, or a -ELBO (a sampler has none).
        **family.best_figures(history, config),
        # What chose the kept epoch, when it is not the validation loss (a sample metric).
        **selected_by(history),
        "fit_seconds": fit.seconds,
        "wall_seconds": seconds,
        "seed": config["seed"],
    }


def _write_outputs(out: Path, fit: FitResult, family: FamilyCLI, config, metrics,
                   splits: DataSplits) -> None:
    save_model(out / "model.pt", fit.model, metadata=config)
    history = fit.history.to_dict() if fit.history is not None else {
        "epochs": [], "best_epoch": None, "best_valid_loss": None, "note": fit.method}
    write_json(out / "history.json", history)
    write_json(out / "metrics.json", metrics)
    family.train_figures(out, fit, splits, config["seed"])
    samples = draw_samples(fit.model, 64, config["seed"],
                           family.sample_condition(fit.model, splits, 64))
    family.save_samples(samples, out / "samples.png", dataset=config["dataset"],
                        image_shape=splits.image_shape,
                        title=f"{config['model']} on {config['dataset']}: 64 samples")
