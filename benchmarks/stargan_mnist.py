"""StarGAN (Choi et al. 2018) over three binary attributes measured from MNIST (thick, slant
right, inverted): attribute accuracy of the outputs (each attribute re-measured from the
translated image) and label preservation by a local MNIST classifier, beside the
untranslated inputs' figures. Prints one JSON line.

    python benchmarks/stargan_mnist.py --data "$PPL_MODELS_DATA/mnist" --epochs 3 --seed 0

Each test image gets a random target vector; *inverted* is read from the output's mean grey
level (> 0.5), thickness and slant from its upright version (``1 - y`` where the target
inverts), which is also what the classifier reads. The untranslated baseline scores the
inputs themselves against the same targets (about 50 % per attribute: the chance a random
target agrees) and the classifier on the upright inputs. Targets (issue 14): >= 90 %
attribute accuracy and >= 90 % label preservation. ``--identity-weight`` adds
:meth:`~ppl_models.gan.stargan.StarGAN.identity_loss` (0, the paper's losses, by default).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch
from torch import Tensor

from inference.metrics import attribute_accuracy, feature_classifier, label_kept
from inference.training import AdversarialStep
from ppl_models.data import ATTRIBUTES, attribute_domains, load_mnist
from ppl_models.gan.stargan import StarGAN

# The shared data: $PPL_MODELS_DATA, else ../shared/data beside the repository.
DATA = Path(os.environ.get("PPL_MODELS_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DATA / "mnist"), help="folder of MNIST IDX files")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--residual-blocks", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--n-train", type=int, default=5000)
    p.add_argument("--n-test", type=int, default=500)
    p.add_argument("--lr", type=float, default=1e-4, help="both players (1e-4 in the paper)")
    p.add_argument("--identity-weight", type=float, default=0.0,
                   help="weight of |G(x, own labels) - x|_1 (0 in the paper)")
    p.add_argument("--classifier-dataset", choices=("mnist", "mnist5k"), default="mnist")
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def attribute_data(args, g: torch.Generator):
    """MNIST heads with half of each split inverted at random; one thickness threshold."""
    x, _ = load_mnist(args.data, "train")
    xt, yt = load_mnist(args.data, "test")
    x, xt, yt = x[:args.n_train], xt[:args.n_test], yt[:args.n_test]
    train, a, threshold = attribute_domains(x, invert=torch.rand(len(x), generator=g) < 0.5)
    test, at, _ = attribute_domains(xt, invert=torch.rand(len(xt), generator=g) < 0.5,
                                    thickness_threshold=threshold)
    return train, a, test, at, yt, threshold


def measure(y: Tensor, threshold: float) -> tuple:
    """Attributes re-measured from images ``y`` and their upright versions."""
    inverted = y.mean((1, 2, 3)) > 0.5
    upright = torch.where(inverted[:, None, None, None], 1 - y, y)
    _, attrs, _ = attribute_domains(upright, invert=inverted, thickness_threshold=threshold)
    return attrs, upright


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    g = torch.Generator().manual_seed(args.seed)
    train, attrs, test, test_attrs, test_labels, threshold = attribute_data(args, g)
    torch.manual_seed(args.seed)
    model = StarGAN((1, 28, 28), num_domains=len(ATTRIBUTES), channels=args.channels,
                    residual_blocks=args.residual_blocks)
    # Choi et al. 2018, Sec. 4.3: Adam(1e-4, 0.5, 0.999), 5 critic updates per G update.
    step = AdversarialStep(model, loss="wasserstein", gp=10.0, d_steps=5, lr=args.lr,
                           betas=(0.5, 0.999), identity_weight=args.identity_weight)
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        for idx in torch.randperm(len(train), generator=g).split(args.batch_size):
            out = step.train_step((train[idx], attrs[idx]))
    train_seconds = time.perf_counter() - t0
    clf, info = feature_classifier(
        args.classifier_dataset, seed=0,
        data_path=args.data if args.classifier_dataset == "mnist" else None)
    target = torch.randint(0, 2, test_attrs.shape, generator=g).float()
    model.eval()
    y = torch.cat([model.translate(xb, tb) for xb, tb in zip(test.split(100),
                                                             target.split(100), strict=True)])
    measured, upright = measure(y, threshold)
    base_measured, base_upright = measure(test, threshold)
    acc = attribute_accuracy(measured, target)
    base_acc = attribute_accuracy(base_measured, target)
    result = {
        "benchmark": "stargan_mnist", "seed": args.seed, "epochs": args.epochs,
        "threads": args.threads, "config": model.config, "batch_size": args.batch_size,
        "n_train": args.n_train, "n_test": args.n_test, "lr": args.lr,
        "thickness_threshold": threshold,
        "attribute_accuracy": {k: round(float(v), 4) for k, v in zip(ATTRIBUTES, acc,
                                                                       strict=True)},
        "attribute_accuracy_mean": round(float(acc.mean()), 4),
        "untranslated_attribute_accuracy": {k: round(float(v), 4) for k, v in
                                            zip(ATTRIBUTES, base_acc, strict=True)},
        "label_preservation": round(label_kept(clf.predict, upright, test_labels), 4),
        "untranslated_label_baseline": round(label_kept(clf.predict, base_upright,
                                                        test_labels), 4),
        "targets": {"attribute_accuracy": 0.9, "label_preservation": 0.9},
        "classifier": {k: info[k] for k in ("name", "weights_sha256", "test_accuracy")},
        "last_losses": {k: round(v, 4) for k, v in out.items()},
        "train_seconds": round(train_seconds, 1),
        "wall_seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
