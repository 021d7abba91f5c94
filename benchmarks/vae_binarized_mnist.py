"""A Bernoulli MLP VAE on the fixed binarized MNIST: SVI on train, select on valid, IWAE test.

Runs the recipe ``vae_binarized_mnist`` through ``ppl-models train``: the model is
:class:`~ppl_models.vae.VAE` (standard normal prior, diagonal Gaussian guide, Bernoulli
pixels), fitted by SVI on the single-sample ELBO (``TraceMeanField_ELBO``: analytic KL), the
epoch with the best validation ELBO kept. Its test log-likelihood is the importance-weighted
estimate with K = 5000 draws from the guide (Burda et al. 2016, eq. 8), with the share of
images whose weights' Pareto k-hat is below 0.7. Against Pyro's VAE example (784-400-50,
Adam 1e-3 constant, batch 128) the recipe has two hidden layers of 500, a cosine decay of the
rate over the whole budget and a KL warm-up over the first 5 epochs. Prints one JSON line;
with ``--record``, the Results page's figures.

    python benchmarks/vae_binarized_mnist.py --record

A stopped run continues with ``ppl-models train --recipe RUN/recipe.toml --out RUN
--resume``; ``ppl-models evaluate --checkpoint RUN/model.pt --iw-samples K`` rescores it.
"""

from __future__ import annotations

import time

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser

#: A seconds-long pipeline check on the embedded MNIST-5k, not a result.
SMOKE = {"dataset": "mnist5k", "train_size": 1000, "epochs": 1, "lr": 0.01,
         "vae_hidden": [16], "latent_dim": 4, "kl_warmup": 0, "iw_samples": 10}


def main(argv=None) -> dict:
    started = time.perf_counter()
    args = script_parser(__doc__, recipe="vae_binarized_mnist", out="runs/vae_binarized",
                         data=True, record=True).parse_args(argv)
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    m, c = run.metrics, run.config
    layers = "-".join(map(str, [784, *c["vae_hidden"], c["latent_dim"]]))
    result = {
        "benchmark": "vae_binarized_mnist", "recipe": m["recipe"], "dataset": m["dataset"],
        "model": f"{layers} MLP VAE, Bernoulli", "objective": c["objective"],
        "estimator": m["estimator"], "seed": m["seed"], "test_images": m["n"],
        "test_nll_nats": round(m["nll_nats"], 3), "test_nll_stderr": round(m["stderr_nats"], 3),
        "test_neg_elbo_nats": round(m["neg_elbo_nats"], 3),
        "rate_nats": round(m["rate_nats"], 3), "active_units": m["active_units"],
        "fraction_pareto_k_below_0_7": round(m["fraction_reliable"], 4),
        "max_pareto_k": m["max_pareto_k"],
        "best_valid_neg_elbo": round(m["best_valid_neg_elbo_nats"], 3),
        "best_epoch": m["best_epoch"], "epochs_run": m["epochs"],
        "train_wall_seconds": round(m["fit_seconds"], 1), "fit": m["fit"],
    }
    rows = [[f"test NLL, {m['estimator']} (nats)", f"{m['nll_nats']:.2f} ± {m['stderr_nats']:.2f}"],
            ["−ELBO (nats)", f"{m['neg_elbo_nats']:.2f}"],
            ["epochs (best)", f"{m['epochs']} ({m['best_epoch']})"],
            ["Pareto k̂ < 0.7", f"{100 * m['fraction_reliable']:.0f} % of test images"]]
    return finish(args, result, started=started,
                  figures={"columns": ["figure", "value"], "rows": rows})


if __name__ == "__main__":
    main()
