"""CycleGAN (Zhu et al. 2017) between scikit-learn digits (upsampled into MNIST's 20x20 box)
and MNIST: label kept through translation by a local classifier of the target domain, beside
the same classifier on the untranslated inputs, and cycle L1. Prints one JSON line.

    python benchmarks/cyclegan_digits.py --data "$PPL_MODELS_DATA/mnist" --epochs 4 --seed 0

digits -> MNIST is read by an MNIST classifier (``feature_classifier("mnist5k")``, 28x28);
MNIST -> digits by a digits classifier (8x8) after :func:`downsample_to_digits`. Targets
(issue 14): >= 90 % kept in both directions. An epoch is one pass over the digits' training
split (``--batch-size`` images of each domain per update).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from inference.metrics import cycle_l1, feature_classifier, label_kept
from inference.training import AdversarialStep, linear_decay
from ppl_models.data import (
    downsample_to_digits,
    load_digits_images,
    load_mnist,
    upsample_digits,
)
from ppl_models.gan.cyclegan import CycleGAN

# The shared data: $PPL_MODELS_DATA, else ../shared/data beside the repository.
DATA = Path(os.environ.get("PPL_MODELS_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DATA / "mnist"), help="folder of MNIST IDX files")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--residual-blocks", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--mnist-train", type=int, default=5000, help="MNIST training images used")
    p.add_argument("--n-test", type=int, default=300)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def domains(args, g: torch.Generator):
    """Digits split 1497 / 300 (seeded), MNIST train head and test head."""
    digits, digit_labels = load_digits_images()
    order = torch.randperm(len(digits), generator=g)
    test, train = order[:args.n_test], order[args.n_test:]
    mnist, _ = load_mnist(args.data, "train")
    mnist_test, mnist_test_labels = load_mnist(args.data, "test")
    return {"a_train": upsample_digits(digits[train]),
            "a_test": upsample_digits(digits[test]), "a_test_labels": digit_labels[test],
            "b_train": mnist[:args.mnist_train], "b_test": mnist_test[:args.n_test],
            "b_test_labels": mnist_test_labels[:args.n_test]}


def train(model, data, args, g: torch.Generator) -> tuple[list[dict], float]:
    """The paper's schedule scaled: full rate for half the updates, then linear to zero."""
    per_epoch = len(data["a_train"]) // args.batch_size
    total = args.epochs * per_epoch
    step = AdversarialStep(model, loss="least_squares", lr=2e-4, betas=(0.5, 0.999),
                           lr_lambda=linear_decay(total, total // 2))
    history, t0 = [], time.perf_counter()
    for t in range(total):
        ia = torch.randint(len(data["a_train"]), (args.batch_size,), generator=g)
        ib = torch.randint(len(data["b_train"]), (args.batch_size,), generator=g)
        out = step.train_step((data["a_train"][ia], data["b_train"][ib]))
        if (t + 1) % per_epoch == 0:
            history.append({k: round(v, 4) for k, v in out.items()})
    return history, time.perf_counter() - t0


@torch.no_grad()
def evaluate(model, data, mnist_clf, digits_clf) -> dict:
    model.eval()
    a, b = data["a_test"], data["b_test"]
    fake_b, fake_a = model.translate(a, "a_to_b"), model.translate(b, "b_to_a")
    to_digits = lambda x: digits_clf.predict(downsample_to_digits(x))  # noqa: E731
    return {
        "digits_to_mnist_label_kept": label_kept(mnist_clf.predict, fake_b,
                                                 data["a_test_labels"]),
        "digits_untranslated_baseline": label_kept(mnist_clf.predict, a, data["a_test_labels"]),
        "mnist_to_digits_label_kept": label_kept(to_digits, fake_a, data["b_test_labels"]),
        "mnist_untranslated_baseline": label_kept(to_digits, b, data["b_test_labels"]),
        "cycle_l1_a": cycle_l1(a, model.translate(fake_b, "b_to_a")),
        "cycle_l1_b": cycle_l1(b, model.translate(fake_a, "a_to_b")),
        # How far the translation moved its input: near 0 means it learned the identity.
        "change_l1_a": cycle_l1(a, fake_b), "change_l1_b": cycle_l1(b, fake_a),
    }


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    g = torch.Generator().manual_seed(args.seed)
    data = domains(args, g)
    torch.manual_seed(args.seed)
    model = CycleGAN((1, 28, 28), channels=args.channels, residual_blocks=args.residual_blocks)
    history, train_seconds = train(model, data, args, g)
    mnist_clf, mnist_info = feature_classifier("mnist5k", seed=0)
    digits_clf, digits_info = feature_classifier("digits", seed=0)
    result = {"benchmark": "cyclegan_digits", "seed": args.seed, "epochs": args.epochs,
              "threads": args.threads, "config": model.config, "batch_size": args.batch_size,
              **{k: round(v, 4) for k, v in evaluate(model, data, mnist_clf, digits_clf).items()},
              "target_label_kept": 0.9, "n_test": args.n_test,
              "mnist_classifier": {k: mnist_info[k] for k in ("name", "weights_sha256",
                                                              "test_accuracy")},
              "digits_classifier": {k: digits_info[k] for k in ("name", "weights_sha256",
                                                                "test_accuracy")},
              "last_losses": history[-1] if history else {},
              "train_seconds": round(train_seconds, 1),
              "wall_seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
