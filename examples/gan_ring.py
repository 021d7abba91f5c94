"""An MLP GAN (optionally packed, PacGAN-m) on the ring of 8 Gaussians: samples over the true
modes at several epochs, both players' losses, and the PacGAN mode-coverage metrics.

    python examples/gan_ring.py [--smoke] [--pack 4] [--loss minimax] [--out runs/gan_ring]
"""

import argparse
import json
from pathlib import Path

import torch

from inference.metrics import mode_coverage
from inference.objectives.adversarial import LOSSES
from inference.plots import save_adversarial_losses, save_mode_scatter
from inference.training import AdversarialStep, Trainer
from ppl_models.data import sample_mixture, toy_mixture
from ppl_models.gan import GAN


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mixture", choices=("ring", "grid"), default="ring")
    p.add_argument("--loss", choices=tuple(LOSSES), default="non_saturating")
    p.add_argument("--pack", type=int, default=1)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--n-train", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/gan_ring")
    p.add_argument("--smoke", action="store_true", help="2 epochs on 2,000 points (seconds)")
    return p.parse_args(argv)


def main(args):
    torch.set_num_threads(1)
    if args.smoke:
        args.epochs, args.n_train = 2, 2000
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    means, std = toy_mixture(args.mixture)
    data = sample_mixture(means, std, args.n_train * args.pack,
                          generator=torch.Generator().manual_seed(args.seed))
    torch.manual_seed(args.seed)
    gan = GAN(2, latent_dim=2, hidden=[128, 128, 128], pack=args.pack)
    step = AdversarialStep(gan, loss=args.loss, lr=1e-3)
    snapshots = {}
    show = {1, max(1, args.epochs // 2), args.epochs}

    def evaluate(step, epoch):
        # Scored every epoch (cheap in 2-D); a few epochs kept for the scatter figure.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(10_000 + epoch)
            x = gan.sample(2500)
        if epoch in show:
            snapshots[f"epoch {epoch}"] = x
        cov = mode_coverage(x, means, std)
        return {"modes": cov.modes_captured, "high_quality": cov.high_quality}

    trainer = Trainer(step, data, batch_size=100 * args.pack, max_epochs=args.epochs,
                      seed=args.seed, progress=False, evaluate=evaluate, monitor="modes",
                      mode="max", restore_best=False)
    history = trainer.fit()
    torch.manual_seed(20_000)
    cov = mode_coverage(gan.sample(2500), means, std)
    save_mode_scatter(snapshots, means, out / "samples_over_training.png",
                      title=f"{args.mixture}: {args.loss}, pack {args.pack}")
    save_adversarial_losses(history, out / "losses.png")
    result = {"mixture": args.mixture, "loss": args.loss, "pack": args.pack,
              "epochs": len(history.epochs), **cov.to_dict()}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(parse_args())
