"""StarGAN (Choi et al. 2018) over attributes measured from MNIST-5k (thick, slant right,
inverted; embedded data, no files needed): the recipe ``stargan_mnist5k`` trained by
``ppl-models train``, then one input of each digit under every target vector, the
attribute accuracy train re-measured from its outputs, and how much the target moves them.

    python examples/stargan_mnist.py [--smoke] [--epochs 3] [--out runs/stargan]
"""

import itertools

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import target_sensitivity
from inference.plots import save_sample_grid
from ppl_models.data import ATTRIBUTES

SMOKE = {"epochs": 1, "train_size": 128, "stargan_channels": 2, "stargan_blocks": 1,
         "eval_samples": 100}


def main(args):
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    test, labels = run.splits.test, run.splits.test_labels
    inputs = torch.stack([test[labels == k][0] for k in range(8)])
    targets = torch.tensor(list(itertools.product((0.0, 1.0), repeat=len(ATTRIBUTES))))
    grid = [inputs] + [run.model.translate(inputs, t.expand(len(inputs), -1))
                       for t in targets]
    figure = save_sample_grid(torch.cat(grid), run.out / "targets.png", nrow=len(inputs),
                              title="input, then targets (thick, slant right, inverted) "
                                    "000 .. 111")
    sensitivity = target_sensitivity(run.model.translate, inputs, targets).mean()
    return finish(args, {
        "epochs": run.metrics["epochs"], "last_epoch": run.history["epochs"][-1],
        "attribute_accuracy": dict(zip(ATTRIBUTES, run.metrics["attribute_accuracy"],
                                       strict=True)),
        "label_accuracy": run.metrics["label_accuracy"],
        "target_sensitivity": float(sensitivity), "figures": [str(figure)]})


def parse_args(argv=None):
    return script_parser(__doc__, recipe="stargan_mnist5k", out="runs/stargan").parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
