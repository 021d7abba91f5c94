"""DCGAN (Radford et al. 2016) on MNIST: local-classifier FID against the test split beside
the train-vs-test floor, precision / recall, the class histogram (all 10 classes present, KL
to uniform), and wall time. Prints one JSON line.

    python benchmarks/dcgan_mnist.py --data /work/shared/data/mnist --epochs 20 --seed 0

The feature classifier is trained on the same training images (``--classifier-dataset``,
cached; its weights' hash is in the output). ``--limit`` trains on the first N training
images only (a quick check of the pipeline, not a result).
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from inference.metrics import (
    class_histogram,
    feature_classifier,
    frechet_distance,
    kernel_distance,
    precision_recall,
)
from inference.training import AdversarialStep, Trainer
from ppl_models.data import load_dataset
from ppl_models.gan import DCGAN


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/work/shared/data/mnist", help="folder of MNIST IDX files")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--n-eval", type=int, default=10_000)
    p.add_argument("--classifier-dataset", choices=("mnist", "mnist5k"), default="mnist")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    splits = load_dataset("mnist", path=args.data, binarize=None)
    train = splits.train if args.limit is None else splits.train[: args.limit]
    torch.manual_seed(args.seed)
    model = DCGAN(splits.image_shape, latent_dim=args.latent_dim, channels=args.channels)
    # Radford et al. 2016, Sec. 4: Adam, lr 2e-4, beta1 = 0.5.
    step = AdversarialStep(model, loss="non_saturating", lr=2e-4, betas=(0.5, 0.999))
    t0 = time.perf_counter()
    history = Trainer(step, train, batch_size=args.batch_size, max_epochs=args.epochs,
                      seed=args.seed, progress=False, restore_best=False).fit()
    train_seconds = time.perf_counter() - t0
    classifier, info = feature_classifier(
        args.classifier_dataset, seed=0,
        data_path=args.data if args.classifier_dataset == "mnist" else None)
    n = min(args.n_eval, len(splits.test))
    test = splits.test[:n]
    torch.manual_seed(10_000 + args.seed)
    fake = torch.cat([model.sample(1000) for _ in range(-(-n // 1000))])[:n]
    hist = class_histogram(fake, classifier)
    pr = precision_recall(classifier.features(test[:5000]), classifier.features(fake[:5000]))
    last = history.epochs[-1]
    result = {
        "benchmark": "dcgan_mnist", "seed": args.seed, "epochs": len(history.epochs),
        "n_train": len(train), "n_eval": n,
        "fid": frechet_distance(test, fake, classifier)["fid"],
        "fid_train_vs_test": frechet_distance(test, splits.train[:n], classifier)["fid"],
        "kid": kernel_distance(test, fake, classifier, subsets=20)["kid"],
        **{k: pr[k] for k in ("precision", "recall", "density", "coverage")},
        "classes_present": hist["classes_present"],
        "class_kl_to_uniform": hist["kl_to_uniform"], "class_fractions": hist["fractions"],
        "final_d_loss": last.get("train_d_loss"), "final_g_loss": last.get("train_g_loss"),
        "extractor": info["name"], "extractor_sha256": info["weights_sha256"],
        "extractor_test_accuracy": info["test_accuracy"],
        "train_seconds": train_seconds, "wall_seconds": time.perf_counter() - started,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
