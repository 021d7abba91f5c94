r"""RNADE against a full-covariance Gaussian and a Gaussian mixture, fitted in the same run.

On the four tabular sets of ``ppl_models.data.load_tabular`` (70/15/15, standardised on
train) and on scikit-learn's 8x8 digits dequantised (17 levels + uniform noise), each model
is fitted on train and selected on valid. RNADE: every fit is the recipe ``rnade_tabular``
run by ``ppl-models train`` (Adam, the epoch of the best validation NLL kept, at most the
recipe's ``max_seconds``), over the grid of hidden units, components and learning rates
given, the configuration of the best validation NLL kept; then the size ``K`` of an ensemble
over orderings among ``--ensemble`` (Uria, Murray & Larochelle 2014, sec. 4: ``K`` RNADEs of
that configuration, the first in raster order, the others each in a random order of its own,
``train --order random --order-seed``, averaged in probability,
:math:`p(x) = \frac1K \sum_k p_k(x)`, itself an exact normalised density). The baselines:
``sklearn.mixture.GaussianMixture`` (full covariances) with its number of components among
``--gmm-components`` chosen on valid, and one component (the Gaussian). Test NLL in nats per
example of the data as train loads it (the same for all three, so directly comparable); for
the digits also the bound on the *discrete* data's bits/dim (``ppl_models.data.dequantize``).
Prints one JSON line.

    python benchmarks/rnade_tabular.py --seed 0 --record
    python benchmarks/rnade_tabular.py --seed 0 --lr 3e-3 1e-2 --ensemble 1 4 8

References:

1. Uria, Murray & Larochelle, "RNADE: The real-valued neural autoregressive
   density-estimator", NIPS 2013.
2. Uria, Murray & Larochelle, "A deep and tractable density estimator", ICML 2014.
"""

from __future__ import annotations

import itertools
import math
import time
from pathlib import Path

import torch
from sklearn.mixture import GaussianMixture

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from ppl_models.data import TABULAR, discrete_nll_bound

#: A seconds-long pipeline check, not a result (the grid shrinks to one configuration).
SMOKE = {"epochs": 3, "max_seconds": 5}
SMOKE_GRID = {"hidden": [4], "components": [2], "lr": [3e-3], "ensemble": [1, 2],
              "gmm_components": [1, 2]}


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="rnade_tabular", out="runs/rnade_tabular", record=True)
    p.add_argument("--datasets", nargs="+", default=[*TABULAR, "digits_dequantized"])
    p.add_argument("--hidden", type=int, nargs="+", default=[20, 50])
    p.add_argument("--components", type=int, nargs="+", default=[2, 5, 10])
    p.add_argument("--lr", type=float, nargs="+", default=[3e-3])
    p.add_argument("--ensemble", type=int, nargs="+", default=[1, 2, 4, 8],
                   help="ensemble sizes K to choose among on validation")
    p.add_argument("--gmm-components", type=int, nargs="+", default=[1, 2, 3, 5, 8, 12])
    args = p.parse_args(argv)
    if args.smoke:
        vars(args).update(SMOKE_GRID)
    return args


def rnade_fit(args, dataset: str, config: dict, member: int = 0) -> dict:
    """One run of the recipe; member ``k > 0`` of an ensemble in a random order of its own
    (drawn from ``seed + 1000 k``), on the same split."""
    order = {} if member == 0 else {"order": "random", "order_seed": args.seed + 1000 * member}
    name = "_".join(f"{k}{v:g}" for k, v in config.items()) + f"_member{member}"
    run = train_recipe(args.recipe, Path(args.out) / dataset / name,
                       **{**recipe_overrides(args, SMOKE), "dataset": dataset, **config,
                          **order})
    with torch.no_grad():
        log_prob = {s: run.model().log_prob(run.splits.flat(s)).double()
                    for s in ("valid", "test")}
    return {**config, "valid_nll": run.metrics["best_valid_nll_nats"],
            "test_nll": run.metrics["nll_nats"], "stderr": run.metrics["stderr_nats"],
            "epochs": run.metrics["epochs"], "best_epoch": run.metrics["best_epoch"],
            "seconds": run.metrics["fit_seconds"], "log_prob": log_prob, "splits": run.splits}


def ensemble(members: list[dict]) -> dict:
    """The equal-weight mixture of the members' densities: its NLLs on valid and test."""
    out = {"ensemble": len(members)}
    for split in ("valid", "test"):
        lp = torch.logsumexp(torch.stack([m["log_prob"][split] for m in members]), 0) \
            - math.log(len(members))
        out[f"{split}_nll"] = -lp.mean().item()
    out["stderr"] = lp.std().item() / math.sqrt(len(lp))
    return out


def rnade(args, dataset: str) -> tuple[dict, object]:
    """The grid's best configuration, then the ensemble size of the best validation NLL."""
    grid = [dict(zip(("hidden", "components", "lr"), c, strict=True))
            for c in itertools.product(args.hidden, args.components, args.lr)]
    fits = [rnade_fit(args, dataset, c) for c in grid]
    best = min(fits, key=lambda f: f["valid_nll"])
    config = {k: best[k] for k in ("hidden", "components", "lr")}
    members = [best] + [rnade_fit(args, dataset, config, k) for k in range(1, max(args.ensemble))]
    ensembles = [ensemble(members[:k]) for k in sorted(set(args.ensemble))]
    chosen = min(ensembles, key=lambda e: e["valid_nll"])
    single = {k: v for k, v in best.items() if k not in ("log_prob", "splits")}
    return dict(chosen, single=single, configurations=len(fits),
                ensemble_valid_nll={str(e["ensemble"]): e["valid_nll"] for e in ensembles},
                seconds_all=sum(f["seconds"] for f in fits + members[1:])), best["splits"]


def mixture(splits, components, seed: int) -> tuple[dict, dict]:
    """GaussianMixture with the number of components of the best validation NLL, and with
    one component (the full-covariance Gaussian)."""
    train, valid, test = (splits.flat(s).double().numpy() for s in ("train", "valid", "test"))
    scores = {}
    for c in (c for c in components if c <= len(train) // 2):
        gmm = GaussianMixture(c, covariance_type="full", reg_covar=1e-4, n_init=2,
                              random_state=seed, max_iter=500).fit(train)
        scores[c] = {"components": c, "valid_nll": -gmm.score(valid),
                     "test_nll": -gmm.score(test)}
    return min(scores.values(), key=lambda s: s["valid_nll"]), scores[1]


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    results = {}
    for name in args.datasets:
        row, splits = rnade(args, name)
        gmm, gauss = mixture(splits, sorted({1, *args.gmm_components}), args.seed)
        row = {"dim": splits.dim, "n": [len(splits.train), len(splits.valid), len(splits.test)],
               "rnade": row, "gaussian": gauss, "gmm": gmm}
        if splits.levels is not None:
            for model in ("rnade", "gaussian", "gmm"):
                bound = discrete_nll_bound(torch.tensor(-row[model]["test_nll"]), splits.dim,
                                           splits.levels).item()
                row[model]["discrete_bits_per_dim_bound"] = bound / (splits.dim * math.log(2))
        row["rnade_best"] = row["rnade"]["test_nll"] < min(gauss["test_nll"], gmm["test_nll"])
        results[name] = row
    result = {
        "benchmark": "rnade_tabular", "seed": args.seed, "unit": "test NLL, nats per example "
        "of the data as train loads it (lower is better)", "grid": {
            "hidden": args.hidden, "components": args.components, "lr": args.lr,
            "ensemble": args.ensemble}, "results": results,
        "rnade_wins": sum(r["rnade_best"] for r in results.values())}
    rows = [[name, f"{r['rnade']['test_nll']:.2f} (K = {r['rnade']['ensemble']})",
             f"{r['gmm']['test_nll']:.2f} ({r['gmm']['components']})",
             f"{r['gaussian']['test_nll']:.2f}"] for name, r in results.items()]
    return finish(args, result, started=started, figures={
        "columns": ["data", "RNADE", "GaussianMixture", "Gaussian"], "rows": rows})


if __name__ == "__main__":
    main()
