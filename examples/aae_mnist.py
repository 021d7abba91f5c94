"""The adversarial autoencoder (Makhzani et al. 2016) on binarised MNIST-5k: a VAE's KL term
replaced by a discriminator on codes, which matches the aggregated posterior to a prior (here
a 10-component Gaussian mixture on a 2-D code). The recipe ``aae_mnist5k`` trained by
``ppl-models train``, then the latent map of test codes beside draws of the prior, and the
test reconstruction NLL beside the FID train measured.

    python examples/aae_mnist.py [--smoke] [--set prior=gaussian] [--out runs/aae]

References

1. Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial Autoencoders",
   arXiv:1511.05644.
"""

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.plots import save_latent_map

SMOKE = {"dataset": "digits", "epochs": 1, "vae_hidden": [64]}


def parse_args(argv=None):
    return script_parser(__doc__, recipe="aae_mnist5k", out="runs/aae").parse_args(argv)


def main(args):
    # train writes samples.png, adversarial_losses.png and metrics.json in --out.
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    aae, test, prior = run.model, run.splits.test, run.config["prior"]
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        codes, _ = aae.vae.encode(test)
        draws = aae.prior_distribution().sample((len(codes),))
        reconstruction = -aae.vae.decode(codes).log_prob(test).mean().item()
    figures = [
        save_latent_map(codes, run.out / "latent_map.png", labels=run.splits.test_labels,
                        title=f"AAE test codes (means of q(z|x)), {prior} prior"),
        save_latent_map(draws, run.out / "prior.png", title=f"{prior} prior: draws"),
    ]
    return finish(args, {"dataset": run.config["dataset"], "prior": prior,
                         "epochs": run.metrics["epochs"],
                         "kept_epoch": run.metrics["best_epoch"],
                         "test_reconstruction_nats": reconstruction,
                         **{k: run.metrics[k] for k in ("fid", "fid_train_vs_split")},
                         "figures": [str(f) for f in figures]})


if __name__ == "__main__":
    main(parse_args())
