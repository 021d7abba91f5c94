"""RNADE on a real tabular data set, against a full-covariance Gaussian fitted in the same run.

The recipe ``rnade_boston`` is trained by ``ppl-models train``: Boston housing (mlxtend;
``--set dataset=diabetes``, ``breast_cancer`` or ``wine`` for scikit-learn's), split 70/15/15
and standardised on the training split. The test log-likelihood is reported in nats per
example in the standardised space and, adding the standardisation's log-Jacobian, of the raw
data. ``--set dataset=digits_dequantized`` models scikit-learn's 8x8 digits dequantised (17
grey levels plus uniform noise), for which train reports the bound on the discrete data's
bits/dim derived in ``ppl_models.data.dequantize``.

    python examples/rnade_tabular.py [--smoke] [--set dataset=wine] [--out runs/rnade]

References

1. Uria, Murray & Larochelle, "RNADE: The real-valued neural autoregressive
   density-estimator", NIPS 2013.
"""

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from ppl_models.data import TABULAR, load_tabular

#: Seconds: 8 hidden units, 3 epochs.
SMOKE = {"hidden": 8, "epochs": 3}


def parse_args(argv=None):
    return script_parser(__doc__, recipe="rnade_boston", out="runs/rnade").parse_args(argv)


def gaussian_test_nll(train, test):
    """Full-covariance Gaussian by maximum likelihood (a small ridge keeps it invertible)."""
    x = train.double()
    cov = torch.cov(x.T, correction=0) + 1e-6 * torch.eye(x.shape[1], dtype=x.dtype)
    normal = torch.distributions.MultivariateNormal(x.mean(0), cov)
    return -normal.log_prob(test.double()).mean().item()


def main(args):
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    m, splits = run.metrics, run.splits
    name = m["dataset"]
    # Tabular rows are standardised on train: sum_d log s_d turns their NLL into the raw
    # data's (the dequantised digits are not standardised).
    log_scale = load_tabular(name, seed=m["seed"]).log_scale if name in TABULAR else 0.0
    result = {
        "dataset": name, "dim": splits.dim, "n_test": m["n"], "hidden": run.config["hidden"],
        "components": run.config["components"], "epochs": m["epochs"],
        "best_epoch": m["best_epoch"], "train_seconds": m["fit_seconds"],
        "test_nll_nats_standardised": m["nll_nats"],
        "gaussian_test_nll_nats_standardised": gaussian_test_nll(splits.flat("train"),
                                                                 splits.flat("test")),
        "test_nll_nats_raw": m["nll_nats"] + log_scale, "seed": m["seed"]}
    if "discrete_nll_bound_nats" in m:
        result.update(discrete_nll_bound_nats=m["discrete_nll_bound_nats"],
                      discrete_bits_per_dim_bound=m["discrete_bits_per_dim"])
    return finish(args, result)


if __name__ == "__main__":
    main(parse_args())
