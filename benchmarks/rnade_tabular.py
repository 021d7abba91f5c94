"""RNADE against a full-covariance Gaussian and a Gaussian mixture, fitted in the same run.

On the four tabular sets of ``ppl_models.data.load_tabular`` (70/15/15, standardised on
train) and on scikit-learn's 8x8 digits dequantised (17 levels + uniform noise, then
standardised), each model is fitted on train and selected on valid: RNADE by early stopping
(Adam, the epoch of the best validation NLL kept, at most ``--budget-seconds`` per fit) and
by its hidden units, components and weight decay among the grid given (the configuration of
the best validation NLL), ``sklearn.mixture.GaussianMixture`` (full covariances) by its
number of components among ``--gmm-components``, the Gaussian in closed form. Test NLL in
nats per example, in the standardised space (the same for all three, so directly
comparable); for the digits also the bound on the *discrete* data's bits/dim
(``ppl_models.data.dequantize``).

Prints one JSON line.

    python benchmarks/rnade_tabular.py --seed 0 --budget-seconds 60
"""

import argparse
import itertools
import json
import math
import time

import numpy as np
import torch
from sklearn.mixture import GaussianMixture

from inference.metrics import evaluate_nll
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
    p.add_argument("--lr", type=float, default=3e-3)
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
    """Every configuration of the grid; the one with the best validation NLL is reported."""
    fits = [rnade_fit(train, valid, test, args, h, c, wd) for h, c, wd in
            itertools.product(args.hidden, args.components, args.weight_decay)]
    best = min(fits, key=lambda f: f["valid_nll"])
    return dict(best, configurations=len(fits),
                seconds_all=sum(f["seconds"] for f in fits))


def rnade_fit(train, valid, test, args, hidden, components, weight_decay):
    seed_everything(args.seed)
    model = RNADE(train.shape[1], hidden, components)
    model.init_bias_from_data(train)
    step = MLEStep(model, optimizer=torch.optim.Adam(model.parameters(), lr=args.lr,
                                                     weight_decay=weight_decay))
    trainer = Trainer(step, train, valid, batch_size=args.batch_size, max_epochs=args.epochs,
                      patience=args.patience, max_seconds=args.budget_seconds, seed=args.seed,
                      progress=False)
    start = time.perf_counter()
    history = trainer.fit()
    nll = evaluate_nll(model, test)
    return {"hidden": hidden, "components": components, "weight_decay": weight_decay,
            "valid_nll": evaluate_nll(model, valid)["nll_nats"],
            "test_nll": nll["nll_nats"], "stderr": nll["stderr_nats"],
            "epochs": len(history.epochs), "best_epoch": history.best_epoch,
            "seconds": time.perf_counter() - start}


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
            "weight_decay": args.weight_decay}, "budget_seconds": args.budget_seconds,
        "results": results,
        "rnade_wins": int(np.sum([r["rnade_best"] for r in results.values()]))}))


if __name__ == "__main__":
    main(parse_args())
