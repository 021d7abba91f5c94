"""The adversarial autoencoder (Makhzani et al. 2016) on binarised MNIST-5k (or digits): the
KL term of a VAE replaced by a discriminator on codes, with a Gaussian or a 10-component
mixture prior; writes the latent map of test codes beside prior draws, samples and losses.

    python examples/aae_mnist.py [--smoke] [--prior mixture] [--out runs/aae]
"""

import argparse
import json
from pathlib import Path

import torch

from inference.plots import save_adversarial_losses, save_latent_map, save_sample_grid
from inference.training import AdversarialStep, Trainer
from ppl_models.aae import AAE, PRIORS
from ppl_models.data import load_dataset


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=("digits", "mnist5k"), default="mnist5k")
    p.add_argument("--prior", choices=PRIORS, default="mixture")
    p.add_argument("--latent-dim", type=int, default=2)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--weight", type=float, default=1.0, help="lambda of the adversarial term")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/aae")
    p.add_argument("--smoke", action="store_true", help="1 epoch on digits (seconds)")
    return p.parse_args(argv)


def main(args):
    torch.set_num_threads(1)
    if args.smoke:
        args.epochs, args.dataset = 1, "digits"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    splits = load_dataset(args.dataset, binarize="threshold", seed=args.seed)
    torch.manual_seed(args.seed)
    aae = AAE(splits.image_shape, latent_dim=args.latent_dim, hidden=[400], prior=args.prior)
    step = AdversarialStep(aae, lr=2e-4, adversarial_weight=args.weight)
    history = Trainer(step, splits.train, batch_size=100, max_epochs=args.epochs,
                      seed=args.seed, progress=False, restore_best=False).fit()
    with torch.no_grad():
        codes, _ = aae.vae.encode(splits.test)
        prior = aae.prior_distribution().sample((len(codes),))
        recon = -aae.vae.decode(codes).log_prob(splits.test).mean().item()
    save_latent_map(codes, out / "latent_map.png", labels=splits.test_labels,
                    title=f"AAE test codes (means of q(z|x)), {args.prior} prior")
    save_latent_map(prior, out / "prior.png", title=f"{args.prior} prior: draws")
    save_sample_grid(aae.sample(64), out / "samples.png", title="AAE samples")
    save_adversarial_losses(history, out / "losses.png")
    last = history.epochs[-1]
    result = {"dataset": args.dataset, "prior": args.prior, "epochs": len(history.epochs),
              "test_reconstruction_nats": recon, "train_d_loss": last.get("train_d_loss"),
              "train_g_loss": last.get("train_g_loss")}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(parse_args())
