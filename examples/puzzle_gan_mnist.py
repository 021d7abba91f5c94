"""Puzzle-GAN (Lee et al. 2018) on MNIST-5k (embedded data, no files needed): the recipe
``puzzle_gan_mnist5k`` trained by ``ppl-models train`` to complete whole digits from three
random key patches, then the figure parts -> whole (patches at the places they were cut
from, predicted mask, completed image, the real digit) and three figures: the mask IoU
against the ink and the digit the local MNIST classifier reads, which train measured on the
test split, and the patch L1 of the completions drawn here.

    python examples/puzzle_gan_mnist.py [--smoke] [--epochs 5] [--out runs/puzzle_gan]
"""

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import patch_l1
from inference.plots import save_sample_grid
from ppl_models.gan.puzzle_gan import paste_patches

SMOKE = {"epochs": 1, "train_size": 128, "puzzle_channels": 4, "eval_samples": 100}
SHOWN = 10


def parse_args(argv=None):
    parser = script_parser(__doc__, recipe="puzzle_gan_mnist5k", out="runs/puzzle_gan")
    return parser.parse_args(argv)


def main(args):
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    real = run.splits.test
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(args.seed)
        patches, boxes = run.model.crop(real)
        completed, mask = run.model.complete(patches)
    parts = paste_patches(patches, boxes, *real.shape[-2:])
    figure = save_sample_grid(
        torch.cat([t[:SHOWN] for t in (parts, mask, completed, real)]),
        run.out / "parts_to_whole.png", nrow=SHOWN,
        title="patches, predicted mask, completed, real")
    return finish(args, {"epochs": run.metrics["epochs"],
                         "last_epoch": run.history["epochs"][-1],
                         "mask_iou": run.metrics["mask_iou"],
                         "label_preservation": run.metrics["label_accuracy"],
                         "patch_l1": patch_l1(completed, patches, boxes),
                         "figures": [str(figure)]})


if __name__ == "__main__":
    main(parse_args())
