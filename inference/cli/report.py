"""``ppl-models report``: every kind with a report recipe (``inference/recipes/
report_<kind>.toml``: its settings, its share of the budget and, where not the report's, its
data set), on one binarised dataset, in one directory.

Each kind is fitted as its family fits it (:mod:`inference.cli.families`): the exact family in
closed form (Beta(1, 1) pseudo-counts, so the test NLL is finite) or by maximum likelihood,
the latent family by SVI; the trained kinds share one time budget (each kind's
recipe's ``share`` of it, and the rest to those without one), with early stopping on the
validation split. A kind too large to build (the full joint at 64 or more pixels) is listed
as refused with its parameter count. Each row names its estimator: exact, or ELBO and IWAE-K
for a latent model; an implicit model (the small DCGAN) gets sample metrics in a table of
its own, never a likelihood. A kind whose report recipe names ``data`` is fitted on that data
set instead of the report's (the GAN on the ring of 8 Gaussians, scored by mode coverage and the
high-quality fraction). Written to OUT: ``metrics.json``, ``README.md`` (the table),
an anomaly AUROC table (each model's own score, test split against inverted images, noise
and constant images), ``nll_bars.png``, ``training_curves.png``, the families' figures (e.g.
``rate_distortion.png``), the figures of controlled generators (a model with
``control_figure_inputs``: InfoGAN's ``code_traversal_infogan.png``, the conditional GAN's
``conditional_grid_conditional_gan.png``, fitted on the data's labels),
``samples_<kind>.png``, ``data_samples.png`` and
``models/<kind>.pt`` (usable with ``ppl-models evaluate`` / ``sample``).
"""

from __future__ import annotations

__all__ = ["add_parser", "run"]

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from inference.cli.data_options import add_data_arguments, binarize_name, load_binary_splits
from inference.cli.device_options import add_device_arguments, placement_from
from inference.cli.families import RunSettings, family_cli, needs_labels
from inference.cli.fitting import FitResult
from inference.cli.json_output import write_json
from inference.cli.model_options import (
    add_model_arguments,
    build_for_data,
    cli_kinds,
    family_settings,
    kind_options,
    option_dests,
    report_recipe,
)
from inference.cli.number_checks import check_positive_finite, check_positive_int, check_seed
from inference.cli.report_anomaly import anomaly_table
from inference.cli.report_controls import save_control_figures
from inference.cli.report_markdown import report_markdown
from inference.cli.sample import draw_samples
from inference.cli.threads import add_threads_argument, apply_threads
from inference.persistence import save_model
from inference.plots import save_nll_bars, save_sample_grid, save_training_curves
from inference.training import seed_everything
from ppl_models import registry
from ppl_models.data import DataSplits
from ppl_models.registry import ModelTooLarge

_NUM_SAMPLES = 64


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "report", help="fit and compare all models on one dataset",
        description="Fit every model kind on one binarised dataset (a kind too large to build "
                    "is listed as refused) and write metrics.json, README.md, sample grids, "
                    "training curves, the families' figures and an NLL bar chart to --out. "
                    "Model options default to each kind's report setting.")
    p.add_argument("--out", default="report", help="directory to write (default: report)")
    add_data_arguments(p, required=False, default="digits")
    p.add_argument("--budget-seconds", type=float, default=165.0,
                   help="training time for all trained models together (default 165; each "
                        "kind may use its recipe's share, the last ones the rest)")
    add_model_arguments(p, model_required=False)
    p.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--max-epochs", type=int, default=500)
    p.add_argument("--patience", type=int, default=20,
                   help="early stopping: epochs without validation improvement")
    p.add_argument("--seed", type=int, default=0)
    add_threads_argument(p, default=1)
    add_device_arguments(p)
    p.set_defaults(run=run)
    return p


def report_kinds() -> tuple[str, ...]:
    """The kinds in the report, in registration order: every kind with a report setting that
    the command line offers; those whose data is made with labels
    (:func:`~inference.cli.families.needs_labels`) are fitted when the report's data has
    them (see :func:`_labelled`)."""
    return tuple(k for k in cli_kinds() if report_recipe(k) is not None)


def _labelled(kind: str, splits: DataSplits) -> bool:
    """Whether ``kind`` can be fitted on ``splits``: it needs no labels, or every split has
    them."""
    return not needs_labels(kind) or all(splits.labels(s) is not None
                                         for s in ("train", "valid", "test"))


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    _check_numbers(args)
    apply_threads(args.threads)
    args.placement = placement_from(args)
    splits = load_binary_splits(args.dataset, args.data_path, args.binarize, args.seed)
    out = Path(args.out)
    (out / "models").mkdir(parents=True, exist_ok=True)
    config = {
        "dataset": args.dataset,
        "data_path": args.data_path,
        "binarize": args.binarize or "threshold",
        "image_shape": list(splits.image_shape),
        "seed": args.seed,
    }
    seed_everything(args.seed)
    data = {k: _kind_data(k, splits, args) for k in report_kinds()}
    for kind in [k for k, d in data.items() if not _labelled(k, d)]:
        _log(f"{kind}: left out ({data[kind].name} has no labels to train it on)")
        del data[kind]
    entries, fits, settings = _fit_all(data, args)
    for kind, fit in fits.items():
        save_model(out / "models" / f"{kind}.pt", fit.model,
                   metadata=_model_config(config, kind, fit, settings[kind], args, data[kind]))
    metrics = _metrics(args, splits, entries, settings)
    metrics["device"] = args.placement.describe()
    # The anomaly table asks how unusual other images are to a model of the report's images.
    metrics["anomaly"] = anomaly_table({k: f for k, f in fits.items() if data[k] is splits},
                                       splits, args.seed)
    metrics["figures"] = _write_figures(out, splits, data, fits, entries, metrics)
    metrics["wall_seconds"] = time.perf_counter() - started
    write_json(out / "metrics.json", metrics)
    (out / "README.md").write_text(report_markdown(metrics))
    print(report_markdown(metrics, table_only=True))
    print(f"wrote {out}/ in {metrics['wall_seconds']:.0f} s")
    return 0


def _training_order(kinds: tuple[str, ...]) -> list[str]:
    """Kinds with a budget share first, then those that take whatever is left."""
    shared = [k for k in kinds if "share" in report_recipe(k).report]
    return shared + [k for k in kinds if k not in shared]


def _kind_data(kind: str, splits: DataSplits, args) -> DataSplits:
    """The data ``kind`` is fitted on: its report recipe's ``[report] data`` if it names one,
    else the report's, binarised as its ``[data] binarize`` says (e.g. ``"none"``: the
    samplers train on the grey levels), else as the report's."""
    recipe = report_recipe(kind)
    name = recipe.report.get("data") or splits.name
    binarize = recipe.settings["data"].get("binarize")
    if name == splits.name and binarize is None:
        return splits
    path = args.data_path if name == args.dataset else None
    return load_binary_splits(name, path, binarize or args.binarize, args.seed)


def _fit_all(data: dict[str, DataSplits], args):
    kinds = tuple(data)
    entries: dict[str, dict[str, Any]] = {}
    fits: dict[str, FitResult] = {}
    settings: dict[str, dict[str, Any]] = {}
    deadline = time.perf_counter() + args.budget_seconds
    for kind in _training_order(kinds):
        family = family_cli(registry.family_of(kind))
        settings[kind] = family_settings(kind, args, report=True)
        family.check(settings[kind])
        left = deadline - time.perf_counter()
        share = report_recipe(kind).report.get("share")
        budget = left if share is None else min(left, args.budget_seconds * share)
        splits = data[kind]
        started = time.perf_counter()
        try:
            model = build_for_data(kind, splits, args, settings[kind], args.seed, report=True)
        except ModelTooLarge as e:
            entries[kind] = {**_refusal(kind, e), "recipe": f"report_{kind}", "seed": args.seed}
            continue
        # Fitted and scored on the device; the figures are drawn from the CPU copy after.
        model, splits = args.placement.to(model), splits.to(args.placement.device)
        training = report_recipe(kind).settings["training"]
        run_settings = RunSettings(epochs=min(args.max_epochs,
                                              training.get("epochs", args.max_epochs)),
                                   batch_size=training.get("batch_size", args.batch_size),
                                   lr=training.get("lr", args.lr), patience=args.patience,
                                   max_seconds=max(budget, 1e-3), seed=args.seed,
                                   placement=args.placement)
        fits[kind] = family.fit(model, splits, settings[kind], run_settings)
        entries[kind] = family.report_entry(fits[kind], splits, settings[kind], args.seed)
        fits[kind].model = fits[kind].model.cpu()
        entries[kind]["options"] = kind_options(kind, args, report=True)
        entries[kind]["dataset"] = splits.name
        entries[kind]["binarize"] = binarize_name(
            splits.name, report_recipe(kind).settings["data"].get("binarize") or args.binarize)
        entries[kind]["recipe"] = f"report_{kind}"
        entries[kind]["seed"] = args.seed
        # Building, fitting and scoring the kind: what it adds to the report's wall time.
        entries[kind]["wall_seconds"] = time.perf_counter() - started
        if fits[kind].history is not None:
            entries[kind]["stopped_by"] = _stopped_by(fits[kind].history, args)
        _log(family.summary(kind, entries[kind]))
    return ({k: entries[k] for k in kinds}, {k: fits[k] for k in kinds if k in fits},
            settings)


def _refusal(kind: str, error: ModelTooLarge) -> dict[str, Any]:
    approx = _scientific(error.num_parameters)
    _log(f"{kind}: refused ({approx} parameters)")
    return {
        "status": "refused",
        "num_parameters": str(error.num_parameters),  # exact, beyond what JSON numbers hold
        "num_parameters_formula": error.formula,
        "num_parameters_approx": approx,
        "reason": str(error),
    }


def _model_config(config: dict[str, Any], kind: str, fit: FitResult,
                  settings: dict[str, Any], args, splits: DataSplits) -> dict[str, Any]:
    """What ``models/<kind>.pt`` records of the run, for ``evaluate`` and ``sample``: the
    data it was fitted on among it."""
    family = family_cli(registry.family_of(kind))
    dests = option_dests(kind)
    options = {dests[k]: v for k, v in kind_options(kind, args, report=True).items()}
    binarize = report_recipe(kind).settings["data"].get("binarize")
    if splits.name != config["dataset"]:
        config = dict(config, dataset=splits.name, data_path=None,
                      binarize=binarize or "threshold", image_shape=list(splits.image_shape))
    elif binarize is not None:
        config = dict(config, binarize=binarize)
    return dict(config, model=kind, family=family.name, **options,
                **family.run_config(fit.model, settings))


def _check_numbers(args) -> None:
    check_positive_finite(args, "budget_seconds", "lr")
    check_positive_int(args, "batch_size", "max_epochs", "patience")
    check_seed(args)


def _stopped_by(history, args) -> str:
    """Why training ended; only "time budget" makes the epoch count depend on the machine."""
    if len(history.epochs) >= args.max_epochs:
        return "max epochs"
    # Without a monitored metric (a sampler) there is no best epoch and no early stopping.
    if (history.best_epoch is not None
            and len(history.epochs) - history.best_epoch >= args.patience):
        return "early stopping"
    return "time budget"


def _metrics(args, splits: DataSplits, entries, settings) -> dict[str, Any]:
    estimators: dict[str, str] = {}
    family_options: dict[str, Any] = {}
    for kind, kind_settings in settings.items():
        family = family_cli(registry.family_of(kind))
        estimators.update(family.report_estimators(kind_settings))
        family_options.update(kind_settings)
    return {
        "dataset": args.dataset,
        "image_shape": list(splits.image_shape),
        "dim": splits.dim,
        "sizes": splits.sizes(),
        "binarize": binarize_name(args.dataset, args.binarize),
        "estimators": estimators,
        "unit": "nats per image (test split); bits/dim = nats / (D ln 2)",
        "seed": args.seed,
        "budget_seconds": args.budget_seconds,
        "lr": args.lr,
        "patience": args.patience,
        # The families' settings (e.g. pseudo_count, objective, iw_samples), flat.
        **family_options,
        "models": entries,
    }


def _write_figures(out: Path, splits: DataSplits, data: dict[str, DataSplits], fits, entries,
                   metrics) -> list[list[str]]:
    shape = splits.image_shape
    title = f"{metrics['dataset']}, {metrics['binarize']} binarisation"
    figures = [["nll_bars.png", "test NLL per model (a latent model's is its IWAE-K estimate)"]]
    save_sample_grid(splits.flat("test")[:_NUM_SAMPLES], out / "data_samples.png",
                     image_shape=shape, title=f"{title}: test images")
    for kind, fit in fits.items():
        # Drawn as the family draws them (a sampler of points as a scatter over the modes).
        family = family_cli(registry.family_of(kind))
        condition = family.sample_condition(fit.model, data[kind], _NUM_SAMPLES)
        family.save_samples(
            draw_samples(fit.model, _NUM_SAMPLES, metrics["seed"], condition),
            out / f"samples_{kind}.png",
            dataset=data[kind].name, image_shape=tuple(data[kind].image_shape),
            title=f"{kind}: {_NUM_SAMPLES} samples")
    # Loss curves of likelihood-scored models only: a sampler's losses are its family's figure.
    histories = {_curve_name(k, entries[k]): f.history for k, f in fits.items()
                 if f.history and f.history.epochs and "nll_nats" in entries[k]}
    if histories:
        save_training_curves(histories, out / "training_curves.png",
                             ylabel="NLL or -ELBO (nats / image)")
        figures.append(["training_curves.png", "validation loss (an NLL, or a -ELBO) and "
                                               "train loss (dashed) per epoch"])
    fitted = {k: m for k, m in entries.items() if m["status"] == "fitted" and "nll_nats" in m}
    bars = {_bar_name(k, m): m for k, m in fitted.items()}
    save_nll_bars({k: m["nll_nats"] for k, m in bars.items()}, out / "nll_bars.png",
                  stderr={k: m["stderr_nats"] for k, m in bars.items()}, title=title)
    for family in dict.fromkeys(registry.family_of(k) for k in fits):
        family_fits = {k: f for k, f in fits.items() if registry.family_of(k) == family}
        figures += [list(f) for f in family_cli(family).report_figures(out, family_fits,
                                                                        entries)]
    # A model that offers control_figure_inputs (a code traversal, a grid of labels) gets
    # its figure, whatever its kind.
    figures += [list(f) for f in save_control_figures(out, fits, metrics["seed"])]
    figures.append(["data_samples.png", "test images"])
    figures += [[f"samples_{k}.png", f"{_NUM_SAMPLES} samples from {k}"] for k in fits]
    return figures


def _curve_name(kind: str, entry: dict[str, Any]) -> str:
    return kind if entry["estimator"] == "exact" else f"{kind} (-ELBO)"


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
