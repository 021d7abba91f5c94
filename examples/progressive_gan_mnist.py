"""Progressive GAN (Karras et al. 2018) with WGAN-GP on the 8x8 digits (4 -> 8) or MNIST-5k
(7 -> 14 -> 28): stage-by-stage sample grids and FID on a locally trained classifier's features
at the end of every epoch, labelled with the stage and fade-in alpha reached.

    python examples/progressive_gan_mnist.py [--smoke] [--dataset mnist5k] [--out runs/pgan]
"""

import argparse
import json
import math
from pathlib import Path

import torch

from inference.metrics import feature_classifier, frechet_distance
from inference.plots import save_sample_grid
from inference.training import AdversarialStep, Trainer
from ppl_models.data import load_dataset
from ppl_models.gan.progressive_gan import ProgressiveGAN

BATCH = 64


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=("digits", "mnist5k"), default="digits")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--latent-dim", type=int, default=32)
    p.add_argument("--gp", type=float, default=10.0, help="WGAN-GP weight (Gulrajani et al.)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/progressive_gan")
    p.add_argument("--smoke", action="store_true", help="2 epochs of a tiny model (seconds)")
    return p.parse_args(argv)


def build(image_shape, epochs: int, n_train: int, *, latent_dim: int, channels: int):
    """A model whose schedule spans ``epochs``: every phase (stage 0's stable, then a fade and
    a stable per added stage) gets an equal share of the rounds."""
    stages = 3 if image_shape[-1] == 28 else 2
    rounds = epochs * math.ceil(n_train / BATCH)
    phase = max(1, rounds // (2 * stages - 1))
    return ProgressiveGAN(image_shape, latent_dim=latent_dim, channels=channels, stages=stages,
                          fade_steps=phase, stable_steps=phase)


def main(args):
    torch.set_num_threads(1)
    if args.smoke:
        args.epochs, args.channels, args.latent_dim = 2, 4, 8
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    splits = load_dataset(args.dataset, binarize=None, seed=args.seed)
    torch.manual_seed(args.seed)
    model = build(splits.image_shape, args.epochs, len(splits.train),
                  latent_dim=args.latent_dim, channels=args.channels)
    # Karras et al. 2018, App. A.1: WGAN-GP, Adam(lr 1e-3, betas (0, 0.99)).
    step = AdversarialStep(model, loss="wasserstein", gp=args.gp, lr=1e-3, betas=(0.0, 0.99))
    classifier, info = feature_classifier(args.dataset, seed=0)
    n = len(splits.test)
    stages = []

    def snapshot(record):
        stage, alpha = model.schedule()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(1)
            fake = model.sample(n)
        stages.append({"epoch": record["epoch"], "stage": stage, "alpha": alpha,
                       "resolution": model.input_shape[1] // 2 ** (model.stages - 1 - stage),
                       "fid": frechet_distance(splits.test, fake, classifier)["fid"]})
        save_sample_grid(fake[:64], out / f"samples_epoch{record['epoch']:03d}.png",
                         title=f"PGAN, stage {stage}, alpha {alpha:.2f}")

    history = Trainer(step, splits.train, batch_size=BATCH, max_epochs=args.epochs,
                      seed=args.seed, progress=False, restore_best=False,
                      log_fn=snapshot).fit()
    floor = frechet_distance(splits.test, splits.train[:n], classifier)["fid"]
    result = {"dataset": args.dataset, "epochs": len(history.epochs), "per_epoch": stages,
              "fid": stages[-1]["fid"], "fid_train_vs_test": floor, "extractor": info["name"],
              "extractor_sha256": info["weights_sha256"], "n": n}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(parse_args())
