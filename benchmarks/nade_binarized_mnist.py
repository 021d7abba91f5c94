"""NADE and FVSBN on the fixed binarized MNIST: fit on train, select on valid, exact test NLL.

Runs one recipe through ``ppl-models train`` (``nade_binarized_mnist``, or ``--recipe
fvsbn_binarized_mnist``: the Results page's two rows) and prints one JSON line: the test NLL
(exact, nats per image, and bits/dim), the epoch kept, epochs run and wall time; with
``--record``, its row of the Results page. Published (Larochelle & Murray 2011): NADE 88.86,
FVSBN 97.45.

    python benchmarks/nade_binarized_mnist.py --record
    python benchmarks/nade_binarized_mnist.py --recipe fvsbn_binarized_mnist --record

A stopped run continues with ``ppl-models train --recipe RUN/recipe.toml --out RUN --resume``.
"""

from __future__ import annotations

import time

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser

#: A seconds-long pipeline check on the embedded MNIST-5k, not a result.
SMOKE = {"dataset": "mnist5k", "train_size": 300, "epochs": 1}
PUBLISHED = {"nade": 88.86, "fvsbn": 97.45}


def parse_args(argv=None):
    return script_parser(__doc__, recipe="nade_binarized_mnist", out="runs/nade_binarized",
                         data=True, record=True).parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    m, kind = run.metrics, run.config["model"]
    result = {
        "benchmark": "nade_binarized_mnist", "recipe": m["recipe"], "model": kind,
        "hidden": run.config.get("hidden"), "dataset": m["dataset"],
        "binarisation": m["binarize"], "estimator": m["estimator"], "seed": m["seed"],
        "n_train": len(run.splits.train), "n_test": m["n"],
        "test_nll_nats": round(m["nll_nats"], 3), "test_nll_stderr": round(m["stderr_nats"], 3),
        "test_bits_per_dim": round(m["bits_per_dim"], 5),
        "best_valid_nll_nats": round(m["best_valid_nll_nats"], 3),
        "best_epoch": m["best_epoch"], "epochs_run": m["epochs"],
        "train_wall_seconds": round(m["fit_seconds"], 1), "fit": m["fit"],
        "published_nll_nats": PUBLISHED.get(kind),
    }
    name = kind.upper() + (f", H = {result['hidden']}" if result["hidden"] else "")
    row = [f"{name} ({m['epochs']} epochs, best {m['best_epoch']})",
           f"{m['nll_nats']:.2f} ± {m['stderr_nats']:.2f}", f"{m['bits_per_dim']:.4f}"]
    return finish(args, result, started=started, figures={
        "columns": ["model", "test NLL (nats)", "bits/dim"], "rows": [row]})


if __name__ == "__main__":
    main()
