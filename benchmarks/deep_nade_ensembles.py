"""DeepNADE: exact test NLL of one ordering and of ensembles of orderings, beside baselines.

Trains the recipe (``deep_nade_digits``: the order-agnostic DeepNADE of Uria, Murray &
Larochelle 2014 on the 8x8 digits) and each ``--baselines`` recipe (exact models on the same
data and seed: NADE with 100 and 500 hidden units) through ``ppl-models train``, then scores
all of them on the same test images: the DeepNADE's identity ordering (train's own figure),
``--single-orderings`` random orderings one at a time, and its ensembles of ``K`` orderings
(the uniform mixture of ``K`` joints: the identity and ``K - 1`` drawn from
``--order-seed``); each baseline beside it, with its paired difference. The ensembles are
nested (ensemble ``K``'s orders are the first ``K`` of the largest), so every order is scored
once and each ensemble is a log-mean-exp of the leading ones; the single random orderings are
the largest ensemble's random members. Prints one JSON line with the CPU seconds of the
scoring.

    python benchmarks/deep_nade_ensembles.py --threads 1 --record

On the fixed binarized MNIST (a CPU learning curve; the exact score costs 784 masked passes
per image and order, about 10 ms of one core, so the ensembles are scored on a random subset
of the test images and the identity ordering, train's own figure, on all of them)::

    python benchmarks/deep_nade_ensembles.py --recipe deep_nade_binarized_mnist --baselines \\
        --test-size 2000 --record
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser

#: Seconds on the embedded 8x8 digits, not a result.
SMOKE = {"dataset": "digits", "epochs": 2, "deep_hidden": [16, 16]}
SMOKE_BASELINE = {"epochs": 2, "hidden": 8}
#: What the baselines must share with the DeepNADE's run to be scored on its test images.
SAME_DATA = ("dataset", "data_path", "binarize", "seed")


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="deep_nade_digits", out="runs/deep_nade", data=True,
                      record=True)
    p.add_argument("--baselines", nargs="*", default=["nade_h100_digits", "nade_h500_digits"],
                   help="recipes of exact models on the same data, scored beside it")
    p.add_argument("--orderings", type=int, nargs="+", default=[1, 2, 8, 32])
    p.add_argument("--order-seed", type=int, default=0)
    p.add_argument("--single-orderings", type=int, default=8,
                   help="also score this many single random orderings, one at a time (the "
                        "identity's prefixes are contiguous masks, rare in training): the "
                        "largest ensemble's first random members, so at most its size - 1")
    p.add_argument("--test-size", type=int, default=None,
                   help="score on this many test images drawn at random (seeded by "
                        "--order-seed; default: all)")
    p.add_argument("--resume", action="store_true",
                   help="continue the DeepNADE's stopped run in OUT from its last checkpoint "
                        "(train --resume) before scoring")
    return p.parse_args(argv)


def per_image(dist, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    with torch.no_grad():
        return -torch.cat([dist.log_prob(part) for part in x.split(batch)]).double()


def component_nll(mixture, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """``(K, N)``: each of the mixture's orders' exact NLL of each image."""
    with torch.no_grad():
        return -torch.cat([mixture.component_log_prob(part) for part in x.split(batch)],
                          1).double()


def test_images(test: torch.Tensor, size: int | None, seed: int) -> torch.Tensor:
    """``size`` test images drawn at random by ``seed`` (in their order), or all of them."""
    if size is None:
        return test
    if size < 1 or size > len(test):
        raise ValueError(f"--test-size must be in [1, {len(test)}], got {size}")
    keep = torch.randperm(len(test), generator=torch.Generator().manual_seed(seed))[:size]
    return test[keep.sort().values]


def summary(nll: torch.Tensor) -> dict[str, float]:
    return {"nll_nats": nll.mean().item(), "stderr_nats": (nll.std() / math.sqrt(len(nll))).item()}


def baseline_run(args, recipe: str, deep):
    """A baseline recipe trained on the DeepNADE's data (the script's seed and threads)."""
    own = argparse.Namespace(**{**vars(args), "recipe": recipe, "settings": [], "epochs": None})
    run = train_recipe(recipe, Path(args.out) / recipe, **recipe_overrides(own, SMOKE_BASELINE))
    if any(run.config[k] != deep.config[k] for k in SAME_DATA):
        raise ValueError(f"--baselines {recipe} trains on other data than {args.recipe}")
    return run


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.single_orderings >= max(args.orderings):
        raise ValueError(f"--single-orderings {args.single_orderings}: the largest ensemble "
                         f"({max(args.orderings)} orders) has {max(args.orderings) - 1} random "
                         "ones")
    started = time.perf_counter()
    deep = train_recipe(args.recipe, Path(args.out) / args.recipe,
                        **recipe_overrides(args, SMOKE), resume=args.resume or None)
    baselines = [baseline_run(args, recipe, deep) for recipe in args.baselines]
    model, m = deep.model, deep.metrics
    test = test_images(deep.splits.flat("test"), args.test_size, args.order_seed)
    cpu = time.process_time()
    per_order = component_nll(model.ensemble(max(args.orderings), seed=args.order_seed), test)
    ours = {k: -((-per_order[:k]).logsumexp(0) - math.log(k)) for k in args.orderings}
    singles = [nll.mean().item() for nll in per_order[1:1 + args.single_orderings]]
    label = f"seed {m['seed']}; {m['epochs']} epochs, best {m['best_epoch']}"
    record = {"benchmark": "deep_nade", "recipe": m["recipe"], "n_test": len(test),
              "identity_ordering_all_test": {"nll_nats": m["nll_nats"],
                                             "stderr_nats": m["stderr_nats"], "n": m["n"]},
              "data": f"{m['dataset']} ({m['binarize']}), test split of seed {m['seed']}",
              "estimator": "exact", "deep_nade": {
                  "hidden": list(model.hidden), "epochs": m["epochs"],
                  "best_epoch": m["best_epoch"], "fit_seconds": m["fit_seconds"],
                  **{f"orderings_{k}": summary(nll) for k, nll in ours.items()},
                  "single_random_orderings_nll_nats": singles}}
    width = "-".join(map(str, model.hidden))
    rows = [[f"DeepNADE {width}, {'identity ordering' if k == 1 else f'{k} orderings'} "
             f"({label})", f"{nll.mean():.2f} ± {summary(nll)['stderr_nats']:.2f}", "—"]
            for k, nll in ours.items()]
    if args.test_size is not None:
        rows.insert(0, [f"DeepNADE {width}, identity ordering, all {m['n']} test images",
                        f"{m['nll_nats']:.2f} ± {m['stderr_nats']:.2f}", "—"])
    if singles:
        rows.append([f"DeepNADE, one random ordering (mean of {len(singles)})",
                     f"{sum(singles) / len(singles):.2f}", "—"])
    for run in baselines:
        nll = per_image(run.model(), test)
        # Per ensemble size, the baseline's NLL minus the DeepNADE's on the same images.
        paired = {str(k): summary(nll - v) for k, v in ours.items()}
        record[run.metrics["recipe"]["name"]] = {
            **summary(nll), "epochs": run.metrics["epochs"], "fit": run.metrics["fit"],
            "minus_deep_nade_paired": paired}
        ends = [paired[str(min(ours))], paired[str(max(ours))]]
        rows.append([f"{run.metrics['recipe']['name']} ({run.metrics['epochs']} epochs, best "
                     f"{run.metrics['best_epoch']})",
                     f"{nll.mean():.2f} ± {summary(nll)['stderr_nats']:.2f}",
                     " / ".join(f"{d['nll_nats']:+.2f} ± {d['stderr_nats']:.2f}" for d in ends)])
    record["scoring_cpu_seconds"] = time.process_time() - cpu
    return finish(args, record, started=started, figures={
        "columns": ["model", "test NLL (nats)",
                    f"minus DeepNADE, paired (K = {min(ours)} / K = {max(ours)})"],
        "rows": rows})


if __name__ == "__main__":
    main()
