r"""RNADE against a full-covariance Gaussian and a Gaussian mixture, fitted in the same run.

On the four tabular sets of ``ppl_models.data.load_tabular`` (70/15/15, standardised on
train) and on scikit-learn's 8x8 digits dequantised (17 levels + uniform noise, then
standardised), each model is fitted on train and selected on valid: RNADE by early stopping
(Adam, the epoch of the best validation NLL kept, at most ``--budget-seconds`` per fit) and
by its hidden units, components, weight decay and learning rate among the grid given (the
configuration of the best validation NLL), then by the size ``K`` of an ensemble over
orderings (Uria, Murray & Larochelle 2014, sec. 4: ``K`` RNADEs of that configuration, each
with its own random variable order and initialisation, averaged in probability,
:math:`p(x) = \frac1K \sum_k p_k(x)`, itself an exact normalised density; ``K`` among
``--ensemble`` by validation NLL; the first member is the raster-order fit of the grid),
``sklearn.mixture.GaussianMixture`` (full covariances) by its
number of components among ``--gmm-components``, the Gaussian in closed form. Test NLL in
nats per example, in the standardised space (the same for all three, so directly
comparable); for the digits also the bound on the *discrete* data's bits/dim
(``ppl_models.data.dequantize``).

Prints one JSON line.

    python benchmarks/rnade_tabular.py --seed 0 --budget-seconds 60
    python benchmarks/rnade_tabular.py --seed 0 --lr 3e-3 1e-2 --ensemble 1 4 8

References:

1. Uria, Murray & Larochelle, "RNADE: The real-valued neural autoregressive
   density-estimator", NIPS 2013.
2. Uria, Murray & Larochelle, "A deep and tractable density estimator", ICML 2014.
"""

import argparse
import itertools
import json
import math
import time

import numpy as np
import torch
from sklearn.mixture import GaussianMixture

from inference.training import MLEStep, Trainer, seed_everything
from ppl_models.data import (
    TABULAR,
    discrete_nll_bound,
    load_grey_levels,
    load_tabular,
    uniform_dequantize,
)
from ppl_models.distributions import RNADE


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=[*TABULAR, "digits"])
    p.add_argument("--hidden", type=int, nargs="+", default=[20, 50])
    p.add_argument("--components", type=int, nargs="+", default=[2, 5, 10])
    p.add_argument("--weight-decay", type=float, nargs="+", default=[0.0, 1e-3])
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--patience", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--lr", type=float, nargs="+", default=[3e-3])
    p.add_argument("--ensemble", type=int, nargs="+", default=[1],
                   help="ensemble sizes K to choose among on validation")
    p.add_argument("--gmm-components", type=int, nargs="+", default=[1, 2, 3, 5, 8, 12])
    p.add_argument("--budget-seconds", type=float, default=60.0,
                   help="training time of one RNADE fit")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def splits(name, seed):
    """``(train, valid, test, log_scale, levels)``: standardised float32 ``(N, D)``."""
    if name != "digits":
        s = load_tabular(name, seed=seed)
        return s.train, s.valid, s.test, s.log_scale, None
    k, levels = load_grey_levels("digits")
    gen = torch.Generator().manual_seed(seed)
    y = uniform_dequantize(k[torch.randperm(len(k), generator=gen)], levels, generator=gen)
    n_train, n_valid = int(0.7 * len(y)), int(0.15 * len(y))
    train, valid, test = y.split([n_train, n_valid, len(y) - n_train - n_valid])
    mean, std = train.mean(0), train.std(0, unbiased=False)
    return *((a - mean) / std for a in (train, valid, test)), std.double().log().sum().item(), \
        levels


def gaussian(train, test):
    mean = train.double().mean(0)
    cov = torch.cov(train.double().T, correction=0) + 1e-6 * torch.eye(train.shape[1])
    return -torch.distributions.MultivariateNormal(mean, cov).log_prob(test.double()).mean().item()


def mixture(train, valid, test, components, seed):
    best = None
    for c in components:
        if c > len(train) // 2:
            continue
        gmm = GaussianMixture(c, covariance_type="full", reg_covar=1e-4, n_init=2,
                              random_state=seed, max_iter=500).fit(train.numpy())
        valid_nll = -gmm.score(valid.numpy())
        if best is None or valid_nll < best[0]:
            best = (valid_nll, c, -gmm.score(test.numpy()))
    return {"test_nll": best[2], "components": best[1], "valid_nll": best[0]}


def rnade(train, valid, test, args):
    """Every configuration of the grid; the one with the best validation NLL is kept, then
    the ensemble size with the best validation NLL."""
    fits = [rnade_fit(train, valid, test, args, h, c, wd, lr) for h, c, wd, lr in
            itertools.product(args.hidden, args.components, args.weight_decay, args.lr)]
    best = min(fits, key=lambda f: f["valid_nll"])
    members = [best] + [rnade_fit(train, valid, test, args, best["hidden"],
                                  best["components"], best["weight_decay"], best["lr"],
                                  member=k) for k in range(1, max(args.ensemble))]
    ensembles = [ensemble(members[:k]) for k in sorted(set(args.ensemble))]
    chosen = min(ensembles, key=lambda e: e["valid_nll"])
    single = {k: v for k, v in best.items() if not k.endswith("_log_prob")}
    return dict(chosen, single=single, configurations=len(fits),
                ensemble_valid_nll={e["ensemble"]: e["valid_nll"] for e in ensembles},
                seconds_all=sum(f["seconds"] for f in fits + members[1:]))


def ensemble(members):
    """Equal-weight mixture of the members' densities: NLLs on valid and test."""
    k = len(members)
    out = {"ensemble": k}
    for split in ("valid", "test"):
        lp = torch.stack([m[f"{split}_log_prob"] for m in members])
        lp = torch.logsumexp(lp, 0) - math.log(k)
        out[f"{split}_nll"] = -lp.mean().item()
        out[f"{split}_stderr"] = lp.std().item() / math.sqrt(len(lp))
    out["stderr"] = out.pop("test_stderr")
    out.pop("valid_stderr")
    return out


def rnade_fit(train, valid, test, args, hidden, components, weight_decay, lr, member=0):
    """One RNADE, early-stopped on valid; member ``k > 0`` of an ensemble gets a random
    order and initialisation of its own (seeded by ``seed`` and ``k``)."""
    seed_everything(args.seed + 1000 * member)
    order = None if member == 0 else torch.randperm(train.shape[1])
    model = RNADE(train.shape[1], hidden, components, order=order)
    model.init_bias_from_data(train)
    step = MLEStep(model, optimizer=torch.optim.Adam(model.parameters(), lr=lr,
                                                     weight_decay=weight_decay))
    trainer = Trainer(step, train, valid, batch_size=args.batch_size, max_epochs=args.epochs,
                      patience=args.patience, max_seconds=args.budget_seconds, seed=args.seed,
                      progress=False)
    start = time.perf_counter()
    history = trainer.fit()
    with torch.no_grad():
        lp = {s: model().log_prob(x).double() for s, x in (("valid", valid), ("test", test))}
    return {"hidden": hidden, "components": components, "weight_decay": weight_decay,
            "lr": lr, "valid_nll": -lp["valid"].mean().item(),
            "test_nll": -lp["test"].mean().item(),
            "stderr": lp["test"].std().item() / math.sqrt(len(test)),
            "epochs": len(history.epochs), "best_epoch": history.best_epoch,
            "seconds": time.perf_counter() - start,
            "valid_log_prob": lp["valid"], "test_log_prob": lp["test"]}


def main(args):
    torch.set_num_threads(args.threads)
    results = {}
    for name in args.datasets:
        train, valid, test, log_scale, levels = splits(name, args.seed)
        row = {"dim": train.shape[1], "n": [len(train), len(valid), len(test)],
               "rnade": rnade(train, valid, test, args),
               "gaussian": {"test_nll": gaussian(train, test)},
               "gmm": mixture(train.double(), valid.double(), test.double(),
                              args.gmm_components, args.seed)}
        if levels is not None:
            dim = train.shape[1]
            for model in ("rnade", "gaussian", "gmm"):
                bound = discrete_nll_bound(torch.tensor(-row[model]["test_nll"]), dim, levels,
                                           log_scale).item()
                row[model]["discrete_bits_per_dim_bound"] = bound / (dim * math.log(2))
        row["rnade_best"] = row["rnade"]["test_nll"] < min(row["gaussian"]["test_nll"],
                                                           row["gmm"]["test_nll"])
        results[name] = row
    print(json.dumps({
        "benchmark": "rnade_tabular", "seed": args.seed, "unit": "test NLL, nats per example "
        "of the standardised data (lower is better)", "grid": {
            "hidden": args.hidden, "components": args.components,
            "weight_decay": args.weight_decay, "lr": args.lr, "ensemble": args.ensemble},
        "budget_seconds": args.budget_seconds,
        "results": results,
        "rnade_wins": int(np.sum([r["rnade_best"] for r in results.values()]))}))


if __name__ == "__main__":
    main(parse_args())
