"""The adversarial autoencoder (Makhzani et al. 2016) beside a VAE with the same encoder,
decoder, code size and prior, on binarised MNIST: FID of their samples on one local
classifier's features, and their codes as features for a 100-label linear probe beside raw
pixels. Prints one JSON line.

    python benchmarks/aae_mnist.py --seed 0 --threads 1 --record

Both models are trained by ``ppl-models train``, without labels: the AAE by the recipe
``aae_mnist`` (``--recipe``: reconstruction NLL plus the adversarial term on codes, lambda =
1, in place of the KL), the VAE by ``aae_mnist_vae`` (``--vae-recipe``: SVI on
``Trace_ELBO``), each 20 epochs on the first 50,000 MNIST training images thresholded at
0.5; train keeps the AAE's epoch of best validation FID and the VAE's of best validation
ELBO. The shared options (``--epochs``, ``--set``, ``--smoke``, ``--seed``) override both
recipes alike, so the pair stays comparable. Scores, all in this run:

- **FID** against the binarised test images, from ``--n-eval`` samples each (``x ~ p(x |
  z)``, ``z ~ p(z)``, the same noise draws for both; binary, as the data), on the features
  of :func:`inference.metrics.feature_classifier` (``--classifier-dataset``, default the
  run's data set; cached, its hash in the output), beside the train-vs-test FID of as many
  real images (the floor);
- **linear probe** (:func:`inference.metrics.linear_probe`, cross-validated logistic
  regression) fitted on 10 labelled training images per class (100 labels, mean over
  ``--label-draws`` draws) and scored on the test split: the AAE's code (the mean of
  q(z | x)), the VAE's posterior mean, and raw pixels (the baseline).

The AAE paper reports 1.90 % error with 100 labels for its *semi-supervised* variant (a
categorical code trained with the labels); this measures the unsupervised code.

References

1. Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial Autoencoders", arXiv:1511.05644.
2. Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import feature_classifier, frechet_distance, linear_probe

#: A seconds-long pipeline check on the embedded MNIST-5k, not a result.
SMOKE = {"dataset": "mnist5k", "train_size": 256, "epochs": 1, "vae_hidden": [32],
         "latent_dim": 4}


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="aae_mnist", out="runs/aae_mnist", data=True,
                      record=True)
    p.add_argument("--vae-recipe", default="aae_mnist_vae",
                   help="the VAE's recipe (default aae_mnist_vae)")
    p.add_argument("--n-eval", type=int, default=5000, help="samples and test images for FID")
    p.add_argument("--label-draws", type=int, default=3)
    p.add_argument("--classifier-dataset", choices=("mnist5k", "mnist"), default=None,
                   help="the feature classifier's training set (default: the run's)")
    return p.parse_args(argv)


def probe(features_train, y_train, features_test, y_test, draws: int) -> dict:
    """Mean (and per-draw) test accuracy of the 100-label probe over ``draws`` label draws."""
    acc = [linear_probe(features_train, y_train, features_test, y_test, labels_per_class=10,
                        seed=d).accuracy for d in range(draws)]
    return {"accuracy": statistics.fmean(acc), "error": 1 - statistics.fmean(acc),
            "per_draw": acc}


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    overrides = recipe_overrides(args, SMOKE)
    runs = {name: train_recipe(recipe, Path(args.out) / name, **overrides)
            for name, recipe in (("aae", args.recipe), ("vae", args.vae_recipe))}
    config, splits = runs["aae"].config, runs["aae"].splits
    train, y_train = splits.train, splits.train_labels
    test, y_test = splits.test, splits.test_labels
    dataset = args.classifier_dataset or config["dataset"]
    classifier, info = feature_classifier(
        dataset, seed=0, data_path=config["data_path"] if dataset == "mnist" else None)
    n = min(args.n_eval, len(test))
    real = test[:n]
    fids = {}
    with torch.no_grad():
        for name, run in runs.items():
            torch.manual_seed(10_000 + args.seed)  # the same draws of the noise for both
            fids[name] = frechet_distance(real, run.model.sample(n), classifier)["fid"]
        fids["train_vs_test"] = frechet_distance(real, train[:n], classifier)["fid"]
        features = {"aae_code": runs["aae"].model.vae.features,
                    "vae_posterior_mean": runs["vae"].model.features,
                    "raw_pixels": lambda x: x.reshape(len(x), -1)}
        probes = {name: probe(f(train), y_train, f(test), y_test, args.label_draws)
                  for name, f in features.items()}
    result = {
        "benchmark": "aae_mnist", "recipes": {k: r.metrics["recipe"] for k, r in runs.items()},
        "seed": args.seed, "dataset": config["dataset"], "n_train": len(train),
        "epochs": {k: r.metrics["epochs"] for k, r in runs.items()},
        "kept_epoch": {k: r.metrics["best_epoch"] for k, r in runs.items()},
        "fid": fids, "n_eval": n,
        "probe_100_labels": probes, "aae_paper_semi_supervised_error_100_labels": 0.019,
        "extractor": info["name"], "extractor_sha256": info["weights_sha256"],
        "extractor_test_accuracy": info["test_accuracy"],
        "train_seconds": {k: r.metrics["fit_seconds"] for k, r in runs.items()},
        "wall_seconds": time.perf_counter() - started,
    }
    rows = [[label, "—" if fid is None else f"{fid:.1f}",
             "—" if code is None else f"{100 * probes[code]['accuracy']:.1f} %"]
            for label, fid, code in (("AAE", fids["aae"], "aae_code"),
                                     ("VAE", fids["vae"], "vae_posterior_mean"),
                                     ("raw pixels (baseline)", None, "raw_pixels"),
                                     ("train-vs-test floor", fids["train_vs_test"], None))]
    return finish(args, result, started=started, figures={
        "columns": ["model", "FID", "probe, 100 labels"], "rows": rows})


if __name__ == "__main__":
    main()
