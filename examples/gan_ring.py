"""An MLP GAN on the ring of 8 Gaussians, packed as PacGAN-4 (Lin et al. 2018): the recipe
``gan_ring`` trained by ``ppl-models train``, then the kept generator's draws over the true
modes beside draws of the mixture itself, both players' losses, and PacGAN's mode-coverage
metrics (modes captured, high-quality fraction, reverse KL) that train measured.

    python examples/gan_ring.py [--smoke] [--set pack=1] [--set gan_loss=minimax] \
        [--set dataset=grid] [--out runs/gan_ring]
"""

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.games import game_for
from inference.plots import save_mode_scatter
from ppl_models.data import toy_mixture

SMOKE = {"epochs": 2, "train_size": 2000}
METRICS = ("modes_captured", "n_modes", "high_quality", "reverse_kl", "epochs", "best_epoch")


def parse_args(argv=None):
    return script_parser(__doc__, recipe="gan_ring", out="runs/gan_ring").parse_args(argv)


def main(args):
    # train writes samples.png, adversarial_losses.png and metrics.json in --out.
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    mixture, pack = run.config["dataset"], run.config["pack"]
    means, _ = toy_mixture(mixture)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        drawn = run.model.sample(2500)
    panels = {"the mixture (test draws)": run.splits.test.reshape(-1, 2),
              f"kept epoch {run.metrics['best_epoch']}": drawn}
    figure = save_mode_scatter(panels, means, run.out / "samples_kept.png",
                               title=f"{mixture}: pack {pack}")
    loss = run.config["gan_loss"] or game_for(run.model).loss  # the game's default if unset
    return finish(args, {"mixture": mixture, "loss": loss, "pack": pack,
                         **{k: run.metrics[k] for k in METRICS}, "figures": [str(figure)]})


if __name__ == "__main__":
    main(parse_args())
