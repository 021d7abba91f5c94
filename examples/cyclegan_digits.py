"""CycleGAN (Zhu et al. 2017) between scikit-learn digits (in MNIST's 20x20 box) and
MNIST-5k, both embedded (no files needed): the recipe ``cyclegan_digits_to_mnist_cpu``
trained by ``ppl-models train``, then a translation grid (input / translation /
reconstruction, each direction) and the digit a local MNIST classifier reads in the
translations, which train measured, beside the untranslated digits.

    python examples/cyclegan_digits.py [--smoke] [--epochs 4] [--out runs/cyclegan]
"""

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import cycle_l1, feature_classifier, label_kept
from inference.plots import save_sample_grid

SMOKE = {"epochs": 1, "train_size": 128, "cyclegan_channels": 2, "cyclegan_blocks": 1,
         "eval_samples": 100}


def parse_args(argv=None):
    parser = script_parser(__doc__, recipe="cyclegan_digits_to_mnist_cpu",
                           out="runs/cyclegan")
    return parser.parse_args(argv)


def main(args):
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    digits, mnist = run.splits.source.test, run.splits.test
    translate = run.model.translate
    # One of each label from either test split, for the grid.
    a = torch.stack([digits[run.splits.source.test_labels == k][0] for k in range(8)])
    b = torch.stack([mnist[run.splits.test_labels == k][0] for k in range(8)])
    fake_b, fake_a = translate(a, "a_to_b"), translate(b, "b_to_a")
    rows = [a, fake_b, translate(fake_b, "b_to_a"), b, fake_a, translate(fake_a, "a_to_b")]
    figure = save_sample_grid(torch.cat(rows), run.out / "translations.png", nrow=8,
                              title="digits -> MNIST -> digits; MNIST -> digits -> MNIST")
    classifier, _ = feature_classifier("mnist5k", seed=0)
    return finish(args, {
        "epochs": run.metrics["epochs"], "last_epoch": run.history["epochs"][-1],
        "digits_to_mnist_label_kept": run.metrics["label_accuracy"],
        "untranslated_baseline": label_kept(classifier.predict, digits,
                                            run.splits.source.test_labels),
        "cycle_l1": cycle_l1(digits, translate(translate(digits, "a_to_b"), "b_to_a")),
        "figures": [str(figure)]})


if __name__ == "__main__":
    main(parse_args())
