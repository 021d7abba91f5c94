"""DCGAN (Radford et al. 2016) on the 8x8 digits (or MNIST-5k at 28x28): sample grids over
training, both players' losses, and FID / precision-recall / class histogram on a locally
trained classifier's features beside the train-vs-test floor.

    python examples/dcgan_digits.py [--smoke] [--dataset mnist5k] [--out runs/dcgan]
"""

import argparse
import json
from pathlib import Path

import torch

from inference.metrics import (
    class_histogram,
    feature_classifier,
    frechet_distance,
    precision_recall,
)
from inference.plots import save_adversarial_losses, save_sample_grid
from inference.training import AdversarialStep, Trainer
from ppl_models.data import load_dataset
from ppl_models.gan import DCGAN


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=("digits", "mnist5k"), default="digits")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--latent-dim", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/dcgan")
    p.add_argument("--smoke", action="store_true", help="1 epoch of a tiny DCGAN (seconds)")
    return p.parse_args(argv)


def main(args):
    torch.set_num_threads(1)
    if args.smoke:
        args.epochs, args.channels, args.latent_dim = 1, 4, 8
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    splits = load_dataset(args.dataset, binarize=None, seed=args.seed)
    torch.manual_seed(args.seed)
    model = DCGAN(splits.image_shape, latent_dim=args.latent_dim, channels=args.channels)
    step = AdversarialStep(model, lr=2e-4, betas=(0.5, 0.999))
    shown = {1, max(1, args.epochs // 2), args.epochs}

    def snapshot(record):
        epoch = record["epoch"]
        if epoch in shown:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(0)
                save_sample_grid(model.sample(64), out / f"samples_epoch{epoch:03d}.png",
                                 title=f"DCGAN, epoch {epoch}")

    # The grids are drawn from a forked RNG in log_fn, after the epoch's checkpoint state.
    history = Trainer(step, splits.train, batch_size=64, max_epochs=args.epochs,
                      seed=args.seed, progress=False, restore_best=False,
                      log_fn=snapshot).fit()
    save_adversarial_losses(history, out / "losses.png")
    classifier, info = feature_classifier(args.dataset, seed=0)
    n = len(splits.test)
    torch.manual_seed(1)
    fake = model.sample(n)
    fid = frechet_distance(splits.test, fake, classifier)["fid"]
    floor = frechet_distance(splits.test, splits.train[:n], classifier)["fid"]
    pr = precision_recall(classifier.features(splits.test), classifier.features(fake))
    hist = class_histogram(fake, classifier)
    result = {"dataset": args.dataset, "epochs": len(history.epochs), "fid": fid,
              "fid_train_vs_test": floor, **pr, "classes_present": hist["classes_present"],
              "class_kl_to_uniform": hist["kl_to_uniform"], "extractor": info["name"],
              "extractor_sha256": info["weights_sha256"], "n": n}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(parse_args())
