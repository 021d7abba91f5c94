"""``ppl-models report``: every density model on one binarised dataset, in one directory.

Independent and Markov models are fitted in closed form (Beta(1, 1) pseudo-counts, so the
test NLL is finite); FVSBN and NADE are trained by maximum likelihood within a time budget
with early stopping on the validation split; the full joint is built only if its table fits
(it does not for 64 or more pixels, and its parameter count says why). Every model is scored
by its exact test NLL. Written to OUT: ``metrics.json``, ``README.md`` (the table),
``nll_bars.png``, ``training_curves.png``, ``samples_<model>.png``, ``data_samples.png``
and ``models/<model>.pt`` (usable with ``ppl-models evaluate`` / ``sample``).
"""

from __future__ import annotations

__all__ = ["add_parser", "run"]

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from inference.cli.data_options import add_data_arguments, binarize_name, load_binary_splits
from inference.cli.evaluation import evaluate_density
from inference.cli.fitting import PSEUDO_COUNT, FitResult, fit_network, fit_table_model
from inference.cli.json_output import write_json
from inference.cli.model_file import save_model_file
from inference.cli.report_markdown import report_markdown
from inference.cli.sample import draw_samples
from inference.cli.threads import add_threads_argument, apply_threads
from inference.plots import save_nll_bars, save_sample_grid, save_training_curves
from inference.training import seed_everything
from ppl_models.data import DataSplits
from ppl_models.density_models import build_density_model, num_parameters
from ppl_models.distributions import ChainRuleBernoulli, full_parents

TABLE_KINDS = ("independent", "markov", "full")
NETWORK_KINDS = ("fvsbn", "nade")
# FVSBN converges several times faster than NADE; NADE gets whatever FVSBN leaves.
_FVSBN_SHARE = 1 / 3
_NUM_SAMPLES = 64


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report", help="fit and compare all models on one dataset",
        description="Fit every density model on one binarised dataset (the full joint only if "
                    "its table fits) and write metrics.json, README.md, sample grids, training "
                    "curves and an NLL bar chart to --out.")
    p.add_argument("--out", default="report", help="directory to write (default: report)")
    add_data_arguments(p, required=False, default="digits")
    p.add_argument("--budget-seconds", type=float, default=60.0,
                   help="training time for FVSBN and NADE together (default 60)")
    p.add_argument("--hidden", type=int, default=100, help="NADE hidden units (default 100)")
    p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--max-epochs", type=int, default=500)
    p.add_argument("--patience", type=int, default=20,
                   help="early stopping: epochs without validation improvement")
    p.add_argument("--seed", type=int, default=0)
    add_threads_argument(p, default=1)
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _check_numbers(args)
    apply_threads(args.threads)
    splits = load_binary_splits(args.dataset, args.data_path, args.binarize, args.seed)
    out = Path(args.out)
    (out / "models").mkdir(parents=True, exist_ok=True)
    config = {
        "dataset": args.dataset,
        "data_path": args.data_path,
        "binarize": args.binarize or "threshold",
        "image_shape": list(splits.image_shape),
        "seed": args.seed,
        "order": "raster",
    }
    seed_everything(args.seed)
    models, fits = _fit_all(splits, args)
    for kind, fit in fits.items():
        save_model_file(out / "models" / f"{kind}.pt", fit.model,
                        dict(config, model=kind, hidden=args.hidden if kind == "nade" else None))
    metrics = _metrics(args, splits, models)
    _write_figures(out, splits, fits, models, metrics)
    metrics["wall_seconds"] = time.perf_counter() - started
    write_json(out / "metrics.json", metrics)
    (out / "README.md").write_text(report_markdown(metrics))
    print(report_markdown(metrics, table_only=True))
    print(f"wrote {out}/ in {metrics['wall_seconds']:.0f} s")
    return 0


def _fit_all(splits: DataSplits, args) -> tuple[dict[str, dict[str, Any]], dict[str, FitResult]]:
    """Table models first (instant), then the networks sharing one time budget."""
    models: dict[str, dict[str, Any]] = {}
    fits: dict[str, FitResult] = {}
    for kind in TABLE_KINDS:
        models[kind], fit = _table_entry(kind, splits)
        if fit is not None:
            fits[kind] = fit
    deadline = time.perf_counter() + args.budget_seconds
    for kind in NETWORK_KINDS:
        left = deadline - time.perf_counter()
        budget = left * _FVSBN_SHARE if kind == "fvsbn" else left
        fits[kind] = _train(kind, splits, args, max(budget, 1e-3))
        models[kind] = _entry(fits[kind], splits)
        models[kind]["stopped_by"] = _stopped_by(fits[kind].history, args)
        _log(f"{kind}: test NLL {models[kind]['nll_nats']:.3f} nats "
             f"after {fits[kind].epochs} epochs ({fits[kind].seconds:.1f} s)")
    return models, fits


def _check_numbers(args) -> None:
    if not args.budget_seconds > 0:
        raise ValueError(f"--budget-seconds must be positive, got {args.budget_seconds}")
    for name in ("hidden", "batch_size", "max_epochs", "patience"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, "
                             f"got {getattr(args, name)}")
    if not args.lr > 0:
        raise ValueError(f"--lr must be positive, got {args.lr}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")


def _table_entry(kind: str, splits: DataSplits) -> tuple[dict[str, Any], FitResult | None]:
    """Fit a table model, or say why the full joint cannot even be built."""
    try:
        model = build_density_model(kind, splits.dim)
    except ValueError as e:
        count = ChainRuleBernoulli.count_parameters(full_parents(list(range(splits.dim))))
        _log(f"{kind}: refused ({_scientific(count)} parameters)")
        return {
            "status": "refused",
            "num_parameters": str(count),  # an exact integer beyond what JSON numbers hold
            "num_parameters_formula": f"2^{splits.dim} - 1",
            "num_parameters_approx": _scientific(count),
            "reason": str(e),
        }, None
    fit = fit_table_model(model, splits.flat("train"), PSEUDO_COUNT)
    entry = _entry(fit, splits)
    _log(f"{kind}: test NLL {entry['nll_nats']:.3f} nats")
    return entry, fit


def _train(kind: str, splits: DataSplits, args, budget: float) -> FitResult:
    model = build_density_model(kind, splits.dim, hidden=args.hidden)
    return fit_network(model, splits.flat("train"), splits.flat("valid"),
                       epochs=args.max_epochs, batch_size=args.batch_size, lr=args.lr,
                       patience=args.patience, max_seconds=budget, seed=args.seed)


def _stopped_by(history, args) -> str:
    """Why training ended; only "time budget" makes the epoch count depend on the machine."""
    if len(history.epochs) >= args.max_epochs:
        return "max epochs"
    if len(history.epochs) - (history.best_epoch or 0) >= args.patience:
        return "early stopping"
    return "time budget"


def _entry(fit: FitResult, splits: DataSplits) -> dict[str, Any]:
    test = evaluate_density(fit.model, splits.flat("test"))
    history = fit.history
    return {
        "status": "fitted",
        "nll_nats": test["nll_nats"],
        "stderr_nats": test["stderr_nats"],
        "bits_per_dim": test["bits_per_dim"],
        "n_test": test["n"],
        "num_parameters": num_parameters(fit.model),
        "epochs": fit.epochs,
        "best_epoch": None if history is None else history.best_epoch,
        "seconds": fit.seconds,
        "fit": fit.method,
    }


def _metrics(args, splits: DataSplits, models) -> dict[str, Any]:
    return {
        "dataset": args.dataset,
        "image_shape": list(splits.image_shape),
        "dim": splits.dim,
        "sizes": splits.sizes(),
        "binarize": binarize_name(args.dataset, args.binarize),
        "estimator": "exact",
        "unit": "nats per image (test split); bits/dim = nats / (D ln 2)",
        "order": "raster",
        "seed": args.seed,
        "budget_seconds": args.budget_seconds,
        "hidden": args.hidden,
        "lr": args.lr,
        "patience": args.patience,
        "pseudo_count": PSEUDO_COUNT,
        "models": models,
    }


def _write_figures(out: Path, splits: DataSplits, fits, models, metrics) -> None:
    shape = splits.image_shape
    title = f"{metrics['dataset']}, {metrics['binarize']} binarisation"
    save_sample_grid(splits.flat("test")[:_NUM_SAMPLES], out / "data_samples.png",
                     image_shape=shape, title=f"{title}: test images")
    for kind, fit in fits.items():
        save_sample_grid(draw_samples(fit.model, _NUM_SAMPLES, metrics["seed"]),
                         out / f"samples_{kind}.png", image_shape=shape,
                         title=f"{kind}: {_NUM_SAMPLES} samples")
    histories = {k: f.history for k, f in fits.items() if f.history and f.history.epochs}
    if histories:
        save_training_curves(histories, out / "training_curves.png")
    fitted = {k: m for k, m in models.items() if m["status"] == "fitted"}
    save_nll_bars({k: m["nll_nats"] for k, m in fitted.items()}, out / "nll_bars.png",
                  stderr={k: m["stderr_nats"] for k, m in fitted.items()}, title=title)


def _scientific(count: int) -> str:
    """A (possibly huge) positive int as ``d.dde+X`` without converting it to float."""
    digits = str(count)
    if len(digits) <= 6:
        return digits
    mantissa = round(int(digits[:4]) / 1000, 2)
    return f"{mantissa:.2f}e{len(digits) - 1}" if mantissa < 10 else f"1.00e{len(digits)}"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

