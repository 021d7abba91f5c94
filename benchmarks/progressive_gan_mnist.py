"""Progressive GAN (Karras et al. 2018) on MNIST, 7 -> 14 -> 28, against DCGAN trained for
the same wall time: the recipe ``progressive_gan_mnist_cpu`` trained by ``ppl-models
train``, then ``progressive_gan_mnist_dcgan_baseline`` with ``max_seconds`` set to the
progressive run's fit time, both scored by the FID of ``--n-eval`` samples against the test
split on a local full-MNIST classifier's features, beside the train-vs-test floor; and the
progressive model's validation FID at the end of every epoch (train's selection metric, on
its own MNIST-5k classifier) with the stage and alpha reached. Prints one JSON line.

    python benchmarks/progressive_gan_mnist.py --seed 0 --threads 1 --record

Each run keeps the epoch whose samples had the best validation FID. The records before
issue 28 also trained a progressive GAN on Stacked MNIST (App. D: three stacked digits, 1000
modes) and counted its modes; ``train`` has no Stacked MNIST data set, so that figure is not
measured here.

References

1. Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
   Stability, and Variation", ICLR 2018.
2. Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
   Generative Adversarial Networks", ICLR 2016.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import feature_classifier, frechet_distance

#: Seconds-long pipeline checks on the embedded MNIST-5k, not results: both models tiny,
#: the DCGAN baseline at most two epochs whatever the progressive run took.
SMOKE = {"dataset": "mnist5k", "train_size": 128, "epochs": 1, "pg_channels": 4,
         "pg_latent_dim": 8, "fade_steps": 1, "stable_steps": 1, "eval_samples": 100}
SMOKE_BASELINE = {"epochs": 2, "dcgan_channels": 4, "latent_dim": 8, "eval_samples": 100}
#: What the baseline shares with the progressive run: its data and its seed.
SHARED = ("seed", "threads", "dataset", "data_path", "binarize", "train_size")


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="progressive_gan_mnist_cpu",
                      out="runs/progressive_gan_mnist", data=True, record=True)
    p.add_argument("--baseline-recipe", default="progressive_gan_mnist_dcgan_baseline",
                   help="the DCGAN trained for the progressive run's fit time")
    p.add_argument("--n-eval", type=int, default=10_000, help="samples scored")
    return p.parse_args(argv)


def per_epoch(run) -> list[dict]:
    """The progressive run's validation FID per epoch, with the stage and alpha reached."""
    rounds = math.ceil(len(run.splits.train) / run.config["batch_size"])
    side = run.model.input_shape[-1]
    rows = []
    for record in run.history["epochs"]:
        stage, alpha = run.model.schedule(record["epoch"] * rounds)
        rows.append({"epoch": record["epoch"], "stage": stage, "alpha": alpha,
                     "resolution": side >> (run.model.stages - 1 - stage),
                     "valid_fid": record["valid_fid"]})
    return rows


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    overrides = recipe_overrides(args, SMOKE)
    pgan = train_recipe(args.recipe, Path(args.out) / "progressive", **overrides)
    baseline = {k: overrides[k] for k in SHARED if k in overrides}
    baseline.update(SMOKE_BASELINE if args.smoke else {})
    dcgan = train_recipe(args.baseline_recipe, Path(args.out) / "dcgan", **baseline,
                         max_seconds=pgan.metrics["fit_seconds"])
    # The run's own data set: full MNIST, or MNIST-5k in a smoke run.
    classifier, info = feature_classifier(pgan.config["dataset"], seed=0,
                                          data_path=pgan.config["data_path"])
    n = min(args.n_eval, len(pgan.splits.test))
    test = pgan.splits.test[:n]

    def fid(model) -> float:
        torch.manual_seed(10_000 + args.seed)
        with torch.no_grad():
            fake = torch.cat([model.sample(min(1000, n - i)) for i in range(0, n, 1000)])
        return frechet_distance(test, fake, classifier)["fid"]

    result = {
        "benchmark": "progressive_gan_mnist", "recipe": pgan.metrics["recipe"],
        "baseline_recipe": dcgan.metrics["recipe"], "seed": args.seed,
        "dataset": pgan.config["dataset"], "n_train": len(pgan.splits.train), "n_eval": n,
        "pgan_fid": fid(pgan.model), "dcgan_fid": fid(dcgan.model),
        "fid_train_vs_test": frechet_distance(test, pgan.splits.train[:n], classifier)["fid"],
        "pgan_epochs": pgan.metrics["epochs"], "pgan_kept_epoch": pgan.metrics["best_epoch"],
        "pgan_per_epoch": per_epoch(pgan), "pgan_kept_stage": list(pgan.model.schedule()),
        "dcgan_epochs": dcgan.metrics["epochs"], "dcgan_kept_epoch": dcgan.metrics["best_epoch"],
        "pgan_train_seconds": pgan.metrics["fit_seconds"],
        "dcgan_train_seconds": dcgan.metrics["fit_seconds"],
        "extractor": info["name"], "extractor_sha256": info["weights_sha256"],
        "extractor_test_accuracy": info["test_accuracy"],
        "wall_seconds": time.perf_counter() - started,
    }
    row = [str(args.seed), f"{result['pgan_fid']:.1f}", f"{result['dcgan_fid']:.1f}",
           f"{result['fid_train_vs_test']:.1f}",
           f"{result['pgan_train_seconds']:.0f} / {result['dcgan_train_seconds']:.0f}"]
    return finish(args, result, started=started, figures={
        "columns": ["seed", "progressive FID", "DCGAN FID, same time", "floor",
                    "train s (each)"], "rows": [row]})


if __name__ == "__main__":
    main()
