"""Progressive GAN (Karras et al. 2018) with WGAN-GP on the 8x8 digits (4 -> 8): the recipe
``progressive_gan_digits`` trained by ``ppl-models train``, then the FID train measured on
the validation split at the end of every epoch (on a locally trained classifier's
features), each labelled with the stage and fade-in alpha the schedule had reached, and the
kept generator's samples. MNIST-5k (7 -> 14 -> 28) is ``--set dataset=mnist5k --set
stages=3`` (and phases of its own length: ``--set fade_steps=N --set stable_steps=N``).

    python examples/progressive_gan_mnist.py [--smoke] [--out runs/progressive_gan]
"""

import math

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.plots import save_sample_grid

#: Two epochs of 23 rounds: stage 0 for 15 rounds, the fade-in for 15, then stage 1.
SMOKE = {"epochs": 2, "pg_channels": 4, "pg_latent_dim": 8, "fade_steps": 15,
         "stable_steps": 15}


def stages_reached(run) -> list[dict]:
    """Each epoch's validation FID beside the stage, alpha and resolution at its end."""
    model, rounds = run.model, math.ceil(len(run.splits.train) / run.config["batch_size"])
    base = model.input_shape[1] // 2 ** (model.stages - 1)
    table = []
    for record in run.history["epochs"]:
        stage, alpha = model.schedule(record["epoch"] * rounds)
        table.append({"epoch": record["epoch"], "stage": stage, "alpha": alpha,
                      "resolution": base * 2 ** stage, "fid": record["valid_fid"]})
    return table


def main(args):
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    stage, alpha = run.model.schedule()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(args.seed)
        grid = save_sample_grid(run.model.sample(64), run.out / "samples_kept.png",
                                title=f"PGAN, epoch {run.metrics['best_epoch']} kept: stage "
                                      f"{stage}, alpha {alpha:.2f}")
    return finish(args, {"dataset": run.config["dataset"], "epochs": run.metrics["epochs"],
                         "per_epoch": stages_reached(run), "kept_epoch": run.metrics["best_epoch"],
                         "kept_stage": [stage, alpha], "fid": run.metrics["fid"],
                         "fid_train_vs_test": run.metrics["fid_train_vs_split"],
                         "extractor": run.metrics["extractor"],
                         "extractor_sha256": run.metrics["extractor_sha256"],
                         "n": run.metrics["n"], "figures": [str(grid)]})


def parse_args(argv=None):
    parser = script_parser(__doc__, recipe="progressive_gan_digits",
                           out="runs/progressive_gan")
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
