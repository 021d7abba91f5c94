"""A label-conditioned GAN (Mirza & Osindero 2014) with a projection discriminator (Miyato &
Koyama 2018) on MNIST-5k's grey levels (embedded, no files needed): the recipe
``conditional_gan_mnist5k`` trained by ``ppl-models train``, then the conditional grid (a row
per label, the same noise down each column, so only the label changes from row to row)
beside the label accuracy train measured: the fraction of samples, drawn with the test
split's labels, that the local MNIST-5k classifier reads as their label.

    python examples/conditional_gan_mnist.py [--smoke] [--epochs 20] [--out runs/cgan]
"""

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.plots import save_conditional_grid

SMOKE = {"train_size": 128, "epochs": 1, "conditional_channels": 4, "conditional_hidden": 16,
         "eval_samples": 100}
METRICS = ("label_accuracy", "fid", "fid_train_vs_split", "n", "extractor",
           "extractor_sha256", "epochs", "best_epoch")


def parse_args(argv=None):
    return script_parser(__doc__, recipe="conditional_gan_mnist5k",
                         out="runs/cgan").parse_args(argv)


def main(args):
    # train writes samples.png, adversarial_losses.png and metrics.json in --out.
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    model = run.model
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        z = torch.randn(8, model.latent_dim)
    grid = save_conditional_grid(
        model.generate_at, z, range(model.num_classes), run.out / "conditional_grid.png",
        title=f"conditional GAN, epoch {run.metrics['best_epoch']}: a row per label, the same "
              "noise down each column")
    return finish(args, {**{k: run.metrics[k] for k in METRICS}, "figures": [str(grid)]})


if __name__ == "__main__":
    main(parse_args())
