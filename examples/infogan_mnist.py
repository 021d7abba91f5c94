"""InfoGAN (Chen et al. 2016) on MNIST-5k's grey levels (embedded, no files needed), with a
10-way categorical code and 2 continuous codes: the recipe ``infogan_mnist5k`` trained by
``ppl-models train``, then the categorical code read as a digit classifier after the best
one-to-one matching (Hungarian), and the code traversals: a row per categorical value, a
continuous code swept over [-1, 1] along the columns, the noise held fixed.

    python examples/infogan_mnist.py [--smoke] [--epochs 20] [--out runs/infogan]
"""

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import cluster_accuracy
from inference.plots import save_code_traversal

SMOKE = {"train_size": 128, "epochs": 1, "infogan_channels": 4, "infogan_hidden": 16,
         "eval_samples": 100}


def parse_args(argv=None):
    return script_parser(__doc__, recipe="infogan_mnist5k", out="runs/infogan").parse_args(argv)


def main(args):
    # train writes samples.png, adversarial_losses.png and metrics.json in --out.
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    model, test = run.model, run.splits.test
    accuracy = cluster_accuracy(model.predict_code(test), run.splits.test_labels)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        z = torch.randn(model.latent_dim)
    figures = [save_code_traversal(
        model.generate_at, z, run.out / name, categories=model.categories,
        continuous=model.continuous, dim=dim, title=title) for dim, name, title in (
        (0, "code_traversal.png", f"InfoGAN, epoch {run.metrics['best_epoch']}: categorical "
                                  "code (rows) x continuous code 0 (columns)"),
        (1, "code_traversal_c1.png", "the same noise, continuous code 1 swept"))]
    return finish(args, {"epochs": run.metrics["epochs"],
                         "kept_epoch": run.metrics["best_epoch"],
                         "categorical_accuracy": accuracy, "n_test": len(test),
                         "figures": [str(f) for f in figures]})


if __name__ == "__main__":
    main(parse_args())
