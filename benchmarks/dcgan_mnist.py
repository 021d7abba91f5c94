"""DCGAN (Radford et al. 2016) on MNIST: local-classifier FID against the test split beside
the train-vs-test floor, precision / recall, the class histogram (all 10 classes present, KL
to uniform), and wall time. Prints one JSON line.

    python benchmarks/dcgan_mnist.py --data "$PPL_MODELS_DATA/mnist" --epochs 12 \
        --channels 32 --ema-decay 0.999 --max-seconds 1500 --seed 0 --threads 1

The feature classifier is trained on the same training images (``--classifier-dataset``,
cached; its weights' hash is in the output). ``--limit`` trains on the first N training
images only and ``--dataset mnist5k`` uses the embedded 5,000 images (quick checks of the
pipeline, not results); ``--max-seconds`` stops after the epoch that ends past that wall
budget; ``--ema-decay`` samples from an exponential moving average of the generator.

``--select`` keeps the epoch whose *selection* draws (``--n-select`` samples from another seed
than the scored ones) have the class histogram closest to uniform, as ``ppl-models train``
selects on a monitored sample metric; every epoch's selection figures (class KL, FID against
validation images) are in ``by_epoch`` and the last epoch's beside the kept one. The real
images' own class KL (the test split read by the same classifier) is the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

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

# The shared data: $PPL_MODELS_DATA, else ../shared/data beside the repository.
DATA = Path(os.environ.get("PPL_MODELS_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=("mnist", "mnist5k"), default="mnist",
                   help="mnist5k is embedded (no files): a quick check, not a result")
    p.add_argument("--data", default=str(DATA / "mnist"),
                   help="folder of MNIST IDX files (for --dataset mnist)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--max-seconds", type=float, default=None,
                   help="stop training after the epoch in which this wall budget is spent")
    p.add_argument("--ema-decay", type=float, default=None,
                   help="sample from an EMA of the generator (Yazici et al. 2019)")
    p.add_argument("--n-eval", type=int, default=10_000)
    p.add_argument("--classifier-dataset", choices=("mnist", "mnist5k"), default=None,
                   help="the feature classifier's training set (default --dataset)")
    p.add_argument("--select", action=argparse.BooleanOptionalAction, default=False,
                   help="keep the epoch whose selection draws' class KL is lowest")
    p.add_argument("--n-select", type=int, default=2000,
                   help="selection draws per epoch (and validation images for its FID)")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    if args.n_select < 2:
        p.error(f"--n-select must be at least 2 (a FID needs two images), got {args.n_select}")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    splits = load_dataset(args.dataset, path=args.data if args.dataset == "mnist" else None,
                          binarize=None)
    train = splits.train if args.limit is None else splits.train[: args.limit]
    torch.manual_seed(args.seed)
    model = DCGAN(splits.image_shape, latent_dim=args.latent_dim, channels=args.channels)
    # Radford et al. 2016, Sec. 4: Adam, lr 2e-4, beta1 = 0.5.
    step = AdversarialStep(model, loss="non_saturating", lr=2e-4, betas=(0.5, 0.999),
                           ema_decay=args.ema_decay)
    clf_set = args.classifier_dataset or args.dataset
    classifier, info = feature_classifier(
        clf_set, seed=0, data_path=args.data if clf_set == "mnist" else None)
    t0 = time.perf_counter()
    history = Trainer(step, train, batch_size=args.batch_size, max_epochs=args.epochs,
                      max_seconds=args.max_seconds, seed=args.seed, progress=False,
                      restore_best=args.select, monitor="class_kl", mode="min",
                      evaluate=selection_monitor(model, splits.valid[:args.n_select],
                                                 classifier, 40_000 + args.seed),
                      log_fn=progress_line).fit()
    train_seconds = time.perf_counter() - t0
    n = min(args.n_eval, len(splits.test))
    test = splits.test[:n]
    torch.manual_seed(10_000 + args.seed)
    with step.averaged():
        fake = torch.cat([model.sample(1000) for _ in range(-(-n // 1000))])[:n]
    hist = class_histogram(fake, classifier)
    pr = precision_recall(classifier.features(test[:5000]), classifier.features(fake[:5000]))
    last = history.epochs[-1]
    result = {
        "benchmark": "dcgan_mnist", "dataset": args.dataset, "seed": args.seed,
        "epochs": len(history.epochs), "select": args.select,
        "selected_epoch": history.best_epoch if args.select else last["epoch"],
        "by_epoch": [{"class_kl": e["valid_class_kl"], "fid": e["valid_fid"]}
                     for e in history.epochs],
        "n_train": len(train), "n_eval": n,
        "channels": args.channels, "ema_decay": args.ema_decay,
        "fid": frechet_distance(test, fake, classifier)["fid"],
        "fid_train_vs_test": frechet_distance(test, splits.train[:n], classifier)["fid"],
        "kid": kernel_distance(test, fake, classifier, subsets=20)["kid"],
        **{k: pr[k] for k in ("precision", "recall", "density", "coverage")},
        "classes_present": hist["classes_present"],
        "class_kl_to_uniform": hist["kl_to_uniform"], "class_fractions": hist["fractions"],
        "class_kl_real_test": class_histogram(test, classifier)["kl_to_uniform"],
        "final_d_loss": last.get("train_d_loss"), "final_g_loss": last.get("train_g_loss"),
        "extractor": info["name"], "extractor_sha256": info["weights_sha256"],
        "extractor_test_accuracy": info["test_accuracy"],
        "train_seconds": train_seconds, "wall_seconds": time.perf_counter() - started,
    }
    print(json.dumps(result))
    return result


def selection_monitor(model: DCGAN, valid, classifier, seed: int):
    """The Trainer's ``evaluate``: ``len(valid)`` draws from ``seed`` (the EMA generator when
    kept), their class KL to uniform and FID against ``valid``."""
    def evaluate(step, epoch) -> dict:
        with torch.random.fork_rng(devices=[]), step.averaged():
            torch.manual_seed(seed)
            fake = model.sample(len(valid))
        return {"class_kl": class_histogram(fake, classifier)["kl_to_uniform"],
                "fid": frechet_distance(valid, fake, classifier)["fid"]}
    return evaluate


def progress_line(record: dict) -> None:
    """Each epoch's record on stderr, so a run cut short still leaves its numbers."""
    print(json.dumps({"epoch_record": record}), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
