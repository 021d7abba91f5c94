"""Shared by the anomaly benchmarks: every model's recipe trained by ``ppl-models train`` on
one data set (one class held out, or none), and every score of those runs. Imported as a
sibling module.

Models, one recipe each (``anomaly_<model>_<data>``, :data:`MODELS`): a NADE (raw NLL, and
its likelihood ratio against two backgrounds fitted by ``train --perturb`` to inputs whose
pixels are coin flips with the recipe's probability, Ren et al. 2019: a small NADE,
``background``, and independent Bernoulli pixels, ``independent_background``) and a
Bernoulli MLP VAE (−IWAE-K, K its recipe's ``iw_samples``). The baseline, measured in the
same run, is independent Bernoulli pixels counted on the NADE run's training images (closed
form, Beta(1, 1)). Every score comes from :func:`inference.metrics.anomaly_scores`; AUROC,
AUPRC and FPR at 95 % TPR from :func:`inference.metrics.detection_metrics` (scikit-learn).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from inference.cli.data_options import load_binary_splits
from inference.cli.recipe_run import TrainedRun, train_recipe
from inference.cli.script_options import recipe_overrides
from inference.metrics import anomaly_scores, detection_metrics
from ppl_models import registry
from ppl_models.data.splits import SPLIT_NAMES

MODELS = ("nade", "background", "independent_background", "vae")
METRICS = ("auroc", "auprc", "fpr_at_95_tpr")
BASELINE = "independent_nll (baseline)"
#: Seconds on the embedded MNIST-5k, not a result: 300 training images, one epoch, tiny
#: networks, IWAE-10.
SMOKE_DATA = {"dataset": "mnist5k", "train_size": 300, "epochs": 1}
SMOKE = {"nade": {"hidden": 8}, "background": {"hidden": 4}, "independent_background": {},
         "vae": {"latent_dim": 2, "vae_hidden": [16], "kl_warmup": 0, "iw_samples": 10}}
#: What every model's run must share: the same images, split and held out alike.
_SAME_DATA = ("dataset", "binarize", "seed", "train_size", "holdout_class")


def add_model_args(p: argparse.ArgumentParser, data: str) -> None:
    """The options every anomaly benchmark shares beyond the scripts' own (device included):
    which recipes, their budget."""
    p.add_argument("--recipes", default=data, metavar="DATA",
                   help="train the recipes anomaly_{nade,background,independent_background,"
                        "vae}_DATA (default %(default)s)")
    p.add_argument("--epochs", type=int, default=None,
                   help="every model's most epochs (default: its recipe's)")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="every model's training budget per split (default: its recipe's)")
    p.add_argument("--iw-samples", type=int, default=None,
                   help="K of the VAE's -IWAE-K, in train's test score and here (default: "
                        "its recipe's)")


def trained(args: argparse.Namespace, out: Path, **overrides) -> dict[str, TrainedRun]:
    """Every model of :data:`MODELS` trained from its recipe in ``out/<model>``, with the
    script's overrides (seed, threads, device, ``--epochs``, ``--max-seconds``, the VAE's
    ``--iw-samples``, ``--smoke``'s settings) and ``overrides`` (e.g. ``holdout_class=k``).

    :raises ValueError: if the recipes' runs did not share their data.
    """
    budget = {} if args.max_seconds is None else {"max_seconds": args.max_seconds}
    given = {"vae": {} if args.iw_samples is None else {"iw_samples": args.iw_samples}}
    runs = {}
    for model in MODELS:
        recipe = f"anomaly_{model}_{args.recipes}"
        own = argparse.Namespace(**{**vars(args), "recipe": recipe})
        runs[model] = train_recipe(recipe, out / model, **{
            **recipe_overrides(own, {**SMOKE_DATA, **SMOKE[model]}), **budget,
            **given.get(model, {}), **overrides})
    data = {model: {key: run.config.get(key) for key in _SAME_DATA}
            for model, run in runs.items()}
    if any(d != data["nade"] for d in data.values()):
        raise ValueError(f"the anomaly recipes must share their data, got {data}")
    return runs


def every_image_of(run: TrainedRun, label: int) -> torch.Tensor:
    """``(N, D)``: every image of class ``label`` in the three splits of ``run``'s data set,
    loaded as ``train`` loads it before holding the class out (so none it trained on)."""
    c = run.config
    whole = load_binary_splits(c["dataset"], c["data_path"], c["binarize"], c["seed"])
    return torch.cat([whole.flat(s)[whole.labels(s) == label] for s in SPLIT_NAMES])


def score_functions(runs: dict[str, TrainedRun]) -> dict:
    """Name -> function of ``(N, D)`` data giving ``(N,)`` scores (higher = anomalous)."""
    splits, nade, vae = runs["nade"].splits, runs["nade"].model, runs["vae"].model
    independent = registry.build("independent", dim=splits.dim).fit(
        splits.flat("train"), alpha=1, beta=1)
    shape, k = splits.image_shape, runs["vae"].config["iw_samples"]
    seed = runs["vae"].config["seed"]

    def ratio(background):
        return lambda x: anomaly_scores(nade, x, "likelihood_ratio", background=background)

    return {
        BASELINE: lambda x: anomaly_scores(independent, x, "nll"),
        "nade_nll": lambda x: anomaly_scores(nade, x, "nll"),
        "nade_ratio_independent_bg": ratio(runs["independent_background"].model),
        "nade_ratio_nade_bg": ratio(runs["background"].model),
        f"vae_neg_iwae_{k}": lambda x: anomaly_scores(
            vae, x.reshape(len(x), *shape), "neg_iwae", num_samples=k, seed=seed),
    }


def fit_summary(runs: dict[str, TrainedRun]) -> dict:
    """Training images, epochs run and training seconds of every model's run."""
    return {"n_train": len(runs["nade"].splits.train),
            **{f"{model}_epochs": run.metrics["epochs"] for model, run in runs.items()},
            "train_seconds": round(sum(run.metrics["fit_seconds"] for run in runs.values()), 1)}


def detect(scores, x_in, x_out) -> dict:
    """Detection metrics of every score, in-distribution ``x_in`` against ``x_out``."""
    result = {}
    for name, score in scores.items():
        m = detection_metrics(score(x_in), score(x_out))
        result[name] = {key: round(m[key], 4) for key in METRICS}
    return result


def mean_sd(rows: list[dict]) -> dict:
    """Per score and metric, mean and sample sd over ``rows`` (each ``{score: {metric: v}}``)."""
    out = {}
    for name in rows[0]:
        vals = {key: torch.tensor([r[name][key] for r in rows], dtype=torch.float64)
                for key in METRICS}
        out[name] = {key: round(v.mean().item(), 4) for key, v in vals.items()}
        if len(rows) > 1:
            out[name].update({f"{key}_sd": round(v.std().item(), 4) for key, v in vals.items()})
    return out

