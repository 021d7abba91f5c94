"""``ppl-models report``: every model on one binarised dataset, in one directory.

Independent and Markov models are fitted in closed form (Beta(1, 1) pseudo-counts, so the
test NLL is finite); FVSBN and NADE are trained by maximum likelihood and the VAE by SVI,
sharing one time budget, with early stopping on the validation split; the full joint is built
only if its table fits (it does not for 64 or more pixels, and its parameter count says why).
The density models are scored by their exact test NLL; the VAE, whose likelihood has no
closed form, by its test ELBO and an IWAE-K estimate, and each row names its estimator.
Written to OUT: ``metrics.json``, ``README.md`` (the table), ``nll_bars.png``,
``training_curves.png``, ``rate_distortion.png``, ``samples_<model>.png``,
``data_samples.png`` and ``models/<model>.pt`` (usable with ``ppl-models evaluate`` /
``sample``).
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
from inference.cli.fitting import (
    PSEUDO_COUNT,
    FitResult,
    fit_network,
    fit_table_model,
    fit_vae,
)
from inference.cli.json_output import write_json
from inference.cli.model_file import save_model_file
from inference.cli.report_markdown import report_markdown
from inference.cli.sample import draw_samples
from inference.cli.threads import add_threads_argument, apply_threads
from inference.plots import save_nll_bars, save_sample_grid, save_training_curves
from inference.training import OBJECTIVES, seed_everything
from ppl_models.data import DataSplits
from ppl_models.density_models import build_density_model, num_parameters
from ppl_models.distributions import ChainRuleBernoulli, full_parents
from ppl_models.latent_models import build_latent_model

TABLE_KINDS = ("independent", "markov", "full")
NETWORK_KINDS = ("fvsbn", "nade")
LATENT_KINDS = ("vae",)
# Shares of the training budget. FVSBN converges several times faster than NADE and the VAE
# (on digits, measured: ~3 s, ~17 s and ~10 s to early stopping at the defaults); NADE,
# trained last, gets whatever the other two leave.
_SHARES = {"fvsbn": 1 / 4, "vae": 1 / 4}
_TRAINING_ORDER = ("fvsbn", "vae", "nade")
_NUM_SAMPLES = 64


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report", help="fit and compare all models on one dataset",
        description="Fit every model on one binarised dataset (the full joint only if its "
                    "table fits) and write metrics.json, README.md, sample grids, training "
                    "curves, a rate-distortion figure and an NLL bar chart to --out.")
    p.add_argument("--out", default="report", help="directory to write (default: report)")
    add_data_arguments(p, required=False, default="digits")
    p.add_argument("--budget-seconds", type=float, default=50.0,
                   help="training time for FVSBN, the VAE and NADE together (default 50; "
                        "FVSBN and the VAE may each use a quarter, NADE the rest)")
    p.add_argument("--hidden", type=int, default=100, help="NADE hidden units (default 100)")
    p.add_argument("--latent-dim", type=int, default=8, help="VAE code size (default 8)")
    p.add_argument("--vae-hidden", type=int, nargs="+", default=[200],
                   help="VAE encoder layer widths, reversed in the decoder (default 200)")
    p.add_argument("--objective", choices=OBJECTIVES, default="meanfield",
                   help="VAE objective (default meanfield: the ELBO with the analytic KL)")
    p.add_argument("--iw-samples", type=int, default=500,
                   help="importance samples K of the VAE's test IWAE-K estimate (default 500)")
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
        save_model_file(out / "models" / f"{kind}.pt", fit.model, _model_config(config, kind, args))
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
    for kind in _TRAINING_ORDER:
        left = deadline - time.perf_counter()
        budget = min(left, args.budget_seconds * _SHARES[kind]) if kind in _SHARES else left
        if kind in LATENT_KINDS:
            fits[kind] = _train_vae(splits, args, max(budget, 1e-3))
            models[kind] = _vae_entry(fits[kind], splits, args)
            _log(f"{kind}: test {models[kind]['estimator']} NLL {models[kind]['nll_nats']:.3f}, "
                 f"-ELBO {models[kind]['neg_elbo_nats']:.3f} nats after {fits[kind].epochs} "
                 f"epochs ({fits[kind].seconds:.1f} s)")
        else:
            fits[kind] = _train(kind, splits, args, max(budget, 1e-3))
            models[kind] = _entry(fits[kind], splits)
            _log(f"{kind}: test NLL {models[kind]['nll_nats']:.3f} nats "
                 f"after {fits[kind].epochs} epochs ({fits[kind].seconds:.1f} s)")
        models[kind]["stopped_by"] = _stopped_by(fits[kind].history, args)
    order = TABLE_KINDS + NETWORK_KINDS + LATENT_KINDS
    return {k: models[k] for k in order}, {k: fits[k] for k in order if k in fits}


def _model_config(config: dict[str, Any], kind: str, args) -> dict[str, Any]:
    """What ``models/<kind>.pt`` records of the run, for ``evaluate`` and ``sample``."""
    extra = {"model": kind, "hidden": args.hidden if kind == "nade" else None}
    if kind in LATENT_KINDS:
        extra.update(latent_dim=args.latent_dim, vae_hidden=list(args.vae_hidden),
                     architecture="mlp", likelihood="bernoulli", objective=args.objective,
                     particles=1, kl_warmup=0, iw_samples=args.iw_samples)
    return dict(config, **extra)


def _check_numbers(args) -> None:
    if not args.budget_seconds > 0:
        raise ValueError(f"--budget-seconds must be positive, got {args.budget_seconds}")
    for name in ("hidden", "batch_size", "max_epochs", "patience", "latent_dim", "iw_samples"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be a positive integer, "
                             f"got {getattr(args, name)}")
    if any(w < 1 for w in args.vae_hidden):
        raise ValueError(f"--vae-hidden must hold positive integers, got {args.vae_hidden}")
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
    # The initial weights come from the seed, not from wherever the models trained before
    # left the RNG (their epoch counts, hence their draws, depend on the time budget).
    seed_everything(args.seed)
    model = build_density_model(kind, splits.dim, hidden=args.hidden)
    return fit_network(model, splits.flat("train"), splits.flat("valid"),
                       epochs=args.max_epochs, batch_size=args.batch_size, lr=args.lr,
                       patience=args.patience, max_seconds=budget, seed=args.seed)


def _train_vae(splits: DataSplits, args, budget: float) -> FitResult:
    seed_everything(args.seed)  # as in _train
    vae = build_latent_model("vae", splits.image_shape, latent_dim=args.latent_dim,
                             hidden=args.vae_hidden)
    return fit_vae(vae, splits.images("train"), splits.images("valid"),
                   epochs=args.max_epochs, objective=args.objective, batch_size=args.batch_size,
                   lr=args.lr, patience=args.patience, max_seconds=budget, seed=args.seed)


def _vae_entry(fit: FitResult, splits: DataSplits, args) -> dict[str, Any]:
    # Imported on use, here and in _write_figures: the diagnostics pull in ArviZ, seconds of
    # start-up that every other command would pay, since the parser imports this module.
    from inference.cli.vae_evaluation import evaluate_vae

    scores = evaluate_vae(fit.model, splits.images("test"), iw_samples=args.iw_samples,
                          seed=args.seed)
    return {
        "status": "fitted",
        **{k: scores[k] for k in (
            "estimator", "nll_nats", "stderr_nats", "bits_per_dim", "elbo_estimator",
            "neg_elbo_nats", "neg_elbo_stderr_nats", "neg_elbo_bits_per_dim", "rate_nats",
            "distortion_nats", "active_units", "mean_ess", "max_pareto_k",
            "fraction_reliable", "iw_samples", "iw_seed")},
        "n_test": scores["n"],
        "num_parameters": num_parameters(fit.model),
        "latent_dim": args.latent_dim,
        "vae_hidden": list(args.vae_hidden),
        "epochs": fit.epochs,
        "best_epoch": fit.history.best_epoch,
        "seconds": fit.seconds,
        "fit": fit.method,
    }


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
        "estimator": "exact",
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
        "estimators": {
            "exact": "log-likelihood in closed form (the density models)",
            "ELBO": "evidence lower bound, mean over guide draws: its NLL is an upper bound",
            f"IWAE-{args.iw_samples}": f"importance-weighted bound with {args.iw_samples} "
                                       "guide draws per image: an upper bound on the NLL in "
                                       "expectation, tighter than the ELBO",
        },
        "unit": "nats per image (test split); bits/dim = nats / (D ln 2)",
        "order": "raster",
        "seed": args.seed,
        "budget_seconds": args.budget_seconds,
        "hidden": args.hidden,
        "vae": {"latent_dim": args.latent_dim, "hidden": list(args.vae_hidden),
                "objective": args.objective, "iw_samples": args.iw_samples},
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
    histories = {_curve_name(k): f.history for k, f in fits.items()
                 if f.history and f.history.epochs}
    if histories:
        save_training_curves(histories, out / "training_curves.png",
                             ylabel="NLL or -ELBO (nats / image)")
    fitted = {k: m for k, m in models.items() if m["status"] == "fitted"}
    bars = {_bar_name(k, m): m for k, m in fitted.items()}
    save_nll_bars({k: m["nll_nats"] for k, m in bars.items()}, out / "nll_bars.png",
                  stderr={k: m["stderr_nats"] for k, m in bars.items()}, title=title)
    from inference.cli.vae_figures import save_vae_rate_distortion

    for kind in LATENT_KINDS:
        exact = {k: m["nll_nats"] for k, m in fitted.items() if m["estimator"] == "exact"}
        best = min(exact, key=exact.get)
        save_vae_rate_distortion(out / "rate_distortion.png", fits[kind].history,
                                 models[kind], references={f"{best}, exact NLL": exact[best]})


def _curve_name(kind: str) -> str:
    return f"{kind} (-ELBO)" if kind in LATENT_KINDS else kind


def _bar_name(kind: str, entry: dict[str, Any]) -> str:
    return kind if entry["estimator"] == "exact" else f"{kind} ({entry['estimator']})"


def _scientific(count: int) -> str:
    """A (possibly huge) positive int as ``d.dde+X`` without converting it to float."""
    digits = str(count)
    if len(digits) <= 6:
        return digits
    mantissa = round(int(digits[:4]) / 1000, 2)
    return f"{mantissa:.2f}e{len(digits) - 1}" if mantissa < 10 else f"1.00e{len(digits)}"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

