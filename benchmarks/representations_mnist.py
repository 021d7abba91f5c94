"""Linear probe and k-means accuracy of NADE, VAE, AAE and InfoGAN features on the fixed
binarized MNIST, against raw pixels and PCA of the same size.

Each model is a recipe run by ``ppl-models train`` without labels on the first 10,000 rows of
the binarized *train* split, within its ``max_seconds`` (``representations_mnist_nade``,
``_vae``, ``_aae``, ``_infogan``). Their representations -- a NADE's hidden state at the last
position, the VAE's posterior mean, the AAE's code, InfoGAN's shared discriminator/Q body:
each model's own ``features(x)``, called through :func:`inference.metrics.model_features` --
and the baselines computed in the same run (raw pixels, and PCA fitted on the probe's
training rows at the NADE's and the VAE's sizes) are probed with cross-validated logistic
regression (:func:`inference.metrics.linear_probe`) at 10 labels per class (mean over
``--label-draws`` random draws) and at all labels, and clustered by k-means
(:func:`inference.metrics.kmeans_accuracy`). Only the binarized test rows are labelled, so
the probe trains on a seeded random half of (``--probe-limit`` of) them and is scored on the
other half. Prints one JSON line.

    python benchmarks/representations_mnist.py --probe-limit 4000 --label-draws 3 --record
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import kmeans_accuracy, linear_probe, model_features
from ppl_models.data import load_binarized_mnist_test_labels

RECIPES = {"nade": "representations_mnist_nade", "vae": "representations_mnist_vae",
           "aae": "representations_mnist_aae", "infogan": "representations_mnist_infogan"}
#: Seconds on the embedded 8x8 digits, not a result: tiny models, one epoch each.
SMOKE_DATA = {"dataset": "digits", "train_size": 400, "epochs": 1}
SMOKE = {"nade": {"hidden": 8}, "vae": {"latent_dim": 2, "vae_hidden": [16], "kl_warmup": 0},
         "aae": {"latent_dim": 2, "vae_hidden": [16]},
         "infogan": {"infogan_channels": 4, "infogan_hidden": 16}}


def parse_args(argv=None):
    p = script_parser(__doc__, out="runs/representations_mnist", data=True, record=True)
    p.add_argument("--max-seconds", type=float, default=None,
                   help="every model's training budget (default: its recipe's)")
    p.add_argument("--label-draws", type=int, default=5)
    p.add_argument("--labels-per-class", type=int, default=10)
    p.add_argument("--probe-limit", type=int, default=None,
                   help="use only this many of the labelled test rows")
    return p.parse_args(argv)


def fitted(args, kind: str):
    """The recipe of ``kind`` trained, in ``OUT/<kind>``."""
    own = argparse.Namespace(**{**vars(args), "recipe": RECIPES[kind]})
    budget = {} if args.max_seconds is None else {"max_seconds": args.max_seconds}
    return train_recipe(RECIPES[kind], Path(args.out) / kind, **{
        **recipe_overrides(own, {**SMOKE_DATA, **SMOKE[kind]}), **budget})


def probe_halves(args, run):
    """The labelled test rows, shuffled by the seed and cut in half: ``(x, y)`` twice."""
    labels = run.splits.test_labels
    if labels is None:  # the binarized test labels sit beside binarized_mnist.npz
        labels = load_binarized_mnist_test_labels(
            Path(run.config["data_path"]).parent / "binarized_mnist_test_labels.npz")
    keep = torch.randperm(len(labels), generator=torch.Generator().manual_seed(args.seed))
    keep = keep[: args.probe_limit]
    half = len(keep) // 2
    images = run.splits.images("test")
    return [(images[i], labels[i].numpy()) for i in (keep[:half], keep[half:])]


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    runs = {kind: fitted(args, kind) for kind in RECIPES}
    (x_tr, y_tr), (x_te, y_te) = probe_halves(args, runs["nade"])
    pixels = (x_tr.flatten(1).numpy(), x_te.flatten(1).numpy())
    features = {}
    for kind, run in runs.items():
        f_tr, f_te = (model_features(run.model, x).numpy() for x in (x_tr, x_te))
        features[f"{kind} ({f_tr.shape[1]})"] = (f_tr, f_te)
        if kind in ("nade", "vae"):  # PCA of the same size, fitted on the probe's rows
            pca = PCA(f_tr.shape[1], random_state=args.seed).fit(pixels[0])
            features[f"PCA ({f_tr.shape[1]}, baseline)"] = tuple(map(pca.transform, pixels))
    features[f"pixels ({pixels[0].shape[1]}, baseline)"] = pixels
    few_labels = args.labels_per_class * len(np.unique(y_tr))
    results = {}
    for name, (f_tr, f_te) in features.items():
        few = [linear_probe(f_tr, y_tr, f_te, y_te, labels_per_class=args.labels_per_class,
                            seed=args.seed + d).accuracy for d in range(args.label_draws)]
        results[name] = {
            f"probe_{few_labels}_labels": float(np.mean(few)),
            f"probe_{few_labels}_labels_sd": float(np.std(few, ddof=1)) if len(few) > 1 else None,
            f"probe_{len(y_tr)}_labels": linear_probe(f_tr, y_tr, f_te, y_te,
                                                      seed=args.seed).accuracy,
            "kmeans_accuracy": kmeans_accuracy(f_te, y_te, seed=args.seed)}
    line = {"benchmark": "representations_mnist", "seed": args.seed,
            "recipes": {kind: run.metrics["recipe"] for kind, run in runs.items()},
            "epochs": {kind: run.metrics["epochs"] for kind, run in runs.items()},
            "probe_rows": [len(y_tr), len(y_te)], "label_draws": args.label_draws,
            "results": results}
    rows = [[name, f"{100 * r[f'probe_{few_labels}_labels']:.1f}",
             f"{100 * r[f'probe_{len(y_tr)}_labels']:.1f}", f"{100 * r['kmeans_accuracy']:.1f}"]
            for name, r in results.items()]
    return finish(args, line, started=started, figures={
        "columns": ["features (size)", f"probe, {few_labels} labels",
                    f"probe, {len(y_tr):,} labels", "k-means"], "rows": rows})


if __name__ == "__main__":
    main()
