"""DCGAN (Radford et al. 2016) on MNIST, the recipe ``dcgan_mnist`` trained by ``ppl-models
train``: FID against the test split beside the train-vs-test floor, KID, precision / recall
and the class histogram (all 10 classes present, KL to uniform) of ``--n-eval`` samples, on
the features of a locally trained MNIST classifier. Prints one JSON line.

    python benchmarks/dcgan_mnist.py --seed 0 --threads 1 --record

The kept generator is the one train kept (the generator EMA, the epoch with the best
validation FID). The classifier is trained on ``--classifier-dataset``'s training images
(cached; its weights' hash is in the output). The real test images' own class KL is the
class histogram's floor.
"""

from __future__ import annotations

import time

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import (
    class_histogram,
    feature_classifier,
    frechet_distance,
    kernel_distance,
    precision_recall,
)

#: A seconds-long pipeline check on the embedded MNIST-5k, not a result.
SMOKE = {"dataset": "mnist5k", "train_size": 256, "epochs": 1, "dcgan_channels": 4,
         "latent_dim": 8}


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="dcgan_mnist", out="runs/dcgan_mnist", data=True,
                      record=True)
    p.add_argument("--n-eval", type=int, default=10_000, help="samples scored")
    p.add_argument("--classifier-dataset", choices=("mnist", "mnist5k"), default=None,
                   help="the feature classifier's training set (default: the run's)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    splits, model = run.splits, run.model
    dataset = args.classifier_dataset or run.config["dataset"]
    classifier, info = feature_classifier(
        dataset, seed=0, data_path=run.config["data_path"] if dataset == "mnist" else None)
    n = min(args.n_eval, len(splits.test))
    test = splits.test[:n]
    torch.manual_seed(10_000 + args.seed)
    with torch.no_grad():
        fake = torch.cat([model.sample(1000) for _ in range(-(-n // 1000))])[:n]
    hist = class_histogram(fake, classifier)
    pr = precision_recall(classifier.features(test[:5000]), classifier.features(fake[:5000]))
    result = {
        "benchmark": "dcgan_mnist", "recipe": run.metrics["recipe"], "seed": args.seed,
        "dataset": run.config["dataset"], "epochs": run.metrics["epochs"],
        "kept_epoch": run.metrics["best_epoch"], "n_train": len(splits.train), "n_eval": n,
        "fid": frechet_distance(test, fake, classifier)["fid"],
        "fid_train_vs_test": frechet_distance(test, splits.train[:n], classifier)["fid"],
        "kid": kernel_distance(test, fake, classifier, subsets=20)["kid"],
        **{k: pr[k] for k in ("precision", "recall", "density", "coverage")},
        "classes_present": hist["classes_present"],
        "class_kl_to_uniform": hist["kl_to_uniform"], "class_fractions": hist["fractions"],
        "class_kl_real_test": class_histogram(test, classifier)["kl_to_uniform"],
        "extractor": info["name"], "extractor_sha256": info["weights_sha256"],
        "extractor_test_accuracy": info["test_accuracy"],
        "train_seconds": run.metrics["fit_seconds"],
        "wall_seconds": time.perf_counter() - started,
    }
    row = [f"epoch {result['kept_epoch']} of {result['epochs']}", f"{result['fid']:.1f}",
           f"{result['fid_train_vs_test']:.1f}",
           f"{result['precision']:.2f} / {result['recall']:.2f}",
           f"{result['class_kl_to_uniform']:.3f}"]
    return finish(args, result, started=started, figures={
        "columns": ["kept", "FID", "floor", "precision / recall", "class KL"], "rows": [row]})


if __name__ == "__main__":
    main()
