"""A label-conditioned GAN (Mirza & Osindero 2014) with a projection discriminator (Miyato &
Koyama 2018) on MNIST-5k (embedded, no files needed): the fraction of samples the local
MNIST-5k classifier reads as their label, and the conditional grid: a row per label, the
same noise down each column, so only the label changes from row to row.

    python examples/conditional_gan_mnist.py [--smoke] [--epochs 20] [--out runs/cgan]
"""

import argparse
import json
from pathlib import Path

import torch

from inference.metrics import feature_classifier
from inference.plots import save_adversarial_losses, save_conditional_grid
from inference.training import AdversarialStep, Trainer
from ppl_models.data import load_dataset
from ppl_models.gan.conditional import DISCRIMINATORS, ConditionalGAN


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--discriminator", choices=DISCRIMINATORS, default="projection")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/cgan")
    p.add_argument("--smoke", action="store_true", help="1 epoch of a tiny model on 128 "
                                                        "images (seconds)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    splits = load_dataset("mnist5k", binarize=None, seed=args.seed)
    x, y = splits.train, splits.train_labels
    n_samples = 1000
    if args.smoke:
        args.epochs, args.channels, args.hidden, n_samples = 1, 4, 16, 100
        x, y = x[:128], y[:128]
    torch.manual_seed(args.seed)
    model = ConditionalGAN(splits.image_shape, num_classes=10, latent_dim=62,
                           discriminator=args.discriminator, channels=args.channels,
                           hidden=args.hidden)
    step = AdversarialStep(model, lr=2e-4, betas=(0.5, 0.999))
    # Batches are (images, labels): the fakes of a batch are drawn at the batch's labels.
    history = Trainer(step, (x, y), batch_size=64, max_epochs=args.epochs, seed=args.seed,
                      progress=False, restore_best=False).fit()
    classifier, info = feature_classifier("mnist5k", seed=0)
    torch.manual_seed(1)
    labels = torch.arange(n_samples) % 10
    accuracy = float((classifier.predict(model.sample(n_samples, labels)) == labels)
                     .float().mean())
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        z = torch.randn(8, model.latent_dim)
    figures = [
        save_conditional_grid(model.generate_at, z, range(10), out / "conditional_grid.png",
                              title=f"conditional GAN, epoch {len(history.epochs)}: a row "
                                    "per label, the same noise down each column"),
        save_adversarial_losses(history, out / "losses.png"),
    ]
    result = {"epochs": len(history.epochs), "label_accuracy": accuracy, "n": n_samples,
              "extractor": info["name"], "extractor_sha256": info["weights_sha256"],
              "figures": [str(f) for f in figures]}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
