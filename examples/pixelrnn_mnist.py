"""PixelRNN (van den Oord et al. 2016) on binarised MNIST-5k: the recipe ``pixelrnn_mnist5k``
(a Row LSTM) trained by ``ppl-models train``, its exact test NLL in nats per image and
bits/dim, and a grid of 16 samples drawn from the kept model, timed (784 sequential passes
each). ``--set kind=diagonal_bilstm`` trains the Diagonal BiLSTM instead.

    python examples/pixelrnn_mnist.py [--smoke] [--set kind=diagonal_bilstm] [--out DIR]

References

1. van den Oord, Kalchbrenner & Kavukcuoglu, "Pixel Recurrent Neural Networks", ICML 2016.
"""

import time

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.plots import save_sample_grid

#: Seconds: the 8x8 digits (64 sequential passes to sample), 6 units, one epoch.
SMOKE = {"dataset": "digits", "hidden": 6, "epochs": 1}


def parse_args(argv=None):
    return script_parser(__doc__, recipe="pixelrnn_mnist5k",
                         out="runs/pixelrnn_mnist").parse_args(argv)


def main(args):
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    m, kind = run.metrics, run.config["kind"]
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    with torch.no_grad():
        samples = run.model().sample((16,))
    seconds = time.perf_counter() - start
    grid = save_sample_grid(samples, run.out / "samples_16.png", nrow=4,
                            title=f"PixelRNN ({kind}), epoch {m['best_epoch']} of {m['epochs']}")
    return finish(args, {
        "kind": kind, "hidden": run.config["hidden"], "layers": run.config["layers"],
        "data": f"{m['dataset']} ({m['binarize']})", "epochs": m["epochs"],
        "best_epoch": m["best_epoch"], "estimator": m["estimator"],
        "test_nll_nats": m["nll_nats"], "test_nll_stderr": m["stderr_nats"],
        "test_bits_per_dim": m["bits_per_dim"], "n_test": m["n"],
        "seconds_per_epoch": m["fit_seconds"] / max(m["epochs"], 1),
        "seconds_to_sample_16": seconds, "seed": m["seed"], "samples": str(grid)})


if __name__ == "__main__":
    main(parse_args())
