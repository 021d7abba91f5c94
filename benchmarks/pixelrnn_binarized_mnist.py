"""PixelRNN (Row LSTM or Diagonal BiLSTM) on the fixed binarized MNIST: exact test NLL after a
stated CPU budget.

Runs a recipe through ``ppl-models train`` (``pixelrnn_row_lstm_binarized_mnist``, or
``--recipe pixelrnn_diagonal_bilstm_binarized_mnist``: the Results page's two rows; each
trains for at most its ``max_seconds``, keeping the epoch of the best validation NLL) and
adds what train does not measure: the seconds per epoch, the time to draw 16 samples (784
sequential network passes), the validation NLL per epoch, and the baseline measured in the
same run, independent pixels fitted in closed form on the same training rows. References on
this split: NADE 88.86 (ours 88.53), Row LSTM 80.54 and Diagonal BiLSTM 79.20 with 7 layers
on GPUs (van den Oord et al. 2016). Prints one JSON line.

    python benchmarks/pixelrnn_binarized_mnist.py --record
    python benchmarks/pixelrnn_binarized_mnist.py --record \\
        --recipe pixelrnn_diagonal_bilstm_binarized_mnist
"""

from __future__ import annotations

import time

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import evaluate_nll
from ppl_models import registry

#: A seconds-long pipeline check on the embedded 8x8 digits, not a result.
SMOKE = {"dataset": "digits", "train_size": 200, "epochs": 2, "hidden": 4}


def parse_args(argv=None):
    return script_parser(__doc__, recipe="pixelrnn_row_lstm_binarized_mnist",
                         out="runs/pixelrnn_binarized", data=True, record=True).parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    m, c, splits = run.metrics, run.config, run.splits
    torch.manual_seed(args.seed)
    sampling = time.perf_counter()
    with torch.no_grad():
        run.model().sample((16,))
    sample_seconds = time.perf_counter() - sampling
    # Baseline, same run: independent pixels with Beta(1, 1)-smoothed training marginals.
    independent = registry.build("independent", dim=splits.dim).fit(
        splits.flat("train"), alpha=1, beta=1)
    baseline = evaluate_nll(independent, splits.flat("test"))["nll_nats"]
    result = {
        "benchmark": "pixelrnn_binarized_mnist", "recipe": m["recipe"], "kind": c["kind"],
        "hidden": c["hidden"], "layers": c["layers"], "num_parameters": m["num_parameters"],
        "seed": m["seed"], "dataset": m["dataset"], "batch_size": c["batch_size"],
        "lr": c["lr"], "n_train": len(splits.train), "n_test": m["n"],
        "estimator": m["estimator"], "test_nll_nats": m["nll_nats"],
        "test_stderr_nats": m["stderr_nats"], "test_bits_per_dim": m["bits_per_dim"],
        "epochs": m["epochs"], "best_epoch": m["best_epoch"], "max_seconds": c["max_seconds"],
        "train_seconds": m["fit_seconds"], "seconds_per_epoch": m["fit_seconds"] / m["epochs"],
        "seconds_to_sample_16": sample_seconds,
        "baseline_independent_test_nll_nats": baseline,
        "valid_nll_per_epoch": [e.get("valid_loss") for e in run.history["epochs"]],
    }
    row = [c["kind"].replace("_", " "), f"{m['num_parameters']:,}",
           f"{m['epochs']} (best {m['best_epoch']})", f"{result['seconds_per_epoch']:.0f}",
           f"{m['nll_nats']:.2f} ± {m['stderr_nats']:.2f}", f"{m['bits_per_dim']:.4f}",
           f"{sample_seconds:.1f} s"]
    return finish(args, result, started=started, figures={
        "columns": ["kind", "parameters", "epochs", "s / epoch", "test NLL (nats)", "bits/dim",
                    "16 samples"], "rows": [row]})


if __name__ == "__main__":
    main()
