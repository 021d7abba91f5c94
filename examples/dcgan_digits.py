"""DCGAN (Radford et al. 2016) on the 8x8 digits' grey levels: the recipe ``dcgan_digits``
trained by ``ppl-models train``, then its samples, both players' losses, and the
sample metrics train measured (FID, precision / recall, the class histogram) on a
locally trained classifier's features beside the train-vs-test floor.

    python examples/dcgan_digits.py [--smoke] [--set dataset=mnist5k] [--out runs/dcgan]
"""

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.plots import save_sample_grid

SMOKE = {"epochs": 1, "dcgan_channels": 4, "latent_dim": 8}
METRICS = ("fid", "fid_train_vs_split", "precision", "recall", "classes_present",
           "class_kl_to_uniform", "extractor", "extractor_sha256", "n", "epochs")


def parse_args(argv=None):
    return script_parser(__doc__, recipe="dcgan_digits", out="runs/dcgan").parse_args(argv)


def main(args):
    # train writes samples.png, adversarial_losses.png and metrics.json in --out.
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        grid = save_sample_grid(run.model.sample(64), run.out / "samples_kept.png",
                                title=f"DCGAN, the kept epoch {run.metrics['best_epoch']}")
    return finish(args, {**{k: run.metrics[k] for k in METRICS}, "figures": [str(grid)]})


if __name__ == "__main__":
    main(parse_args())
