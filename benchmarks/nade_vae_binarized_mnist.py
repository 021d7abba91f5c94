"""A VAE with a conditional-NADE decoder against the plain NADE, on fixed binarized MNIST.

The decoder :math:`p(x \\mid z) = \\prod_d p(x_d \\mid x_{<d}, z)` is a NADE whose biases
the code shifts (``VAE(likelihood="nade")``). It starts as the plain NADE of the recipe
``nade_binarized_mnist`` (``train --init-from``), with the code's weights at zero: at step 0
the VAE's marginal likelihood *is* the NADE's, whatever the guide. SVI on the ELBO (analytic
KL, a KL warm-up so the code is used before it is charged for, the NADE's own weights at a
tenth of the rate) then teaches the encoder and the code's weights what global structure
the pixel-by-pixel model misses. Both recipes run through ``ppl-models train``.

Both models are scored on the same test images: the NADE exactly, the VAE by the IWAE-K
estimate train reports. Since that estimate is a stochastic lower bound on
:math:`\\log p(x)` (Burda et al. 2016, Theorem 1), a VAE figure below the NADE's is a real
improvement, not an artefact of the estimator; the difference is reported with its paired
standard error, and the rate (the code's information, nats per image) beside it.

    python benchmarks/nade_vae_binarized_mnist.py --nade-run runs/nade_binarized --record

``--nade-run`` names a finished run of ``benchmarks/nade_binarized_mnist.py``; without it,
the NADE is trained first, in ``OUT/nade``.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

from inference.cli.recipe_run import load_run, train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import anomaly_scores

NADE_RECIPE = "nade_binarized_mnist"
#: A seconds-long pipeline check on the embedded MNIST-5k, not a result.
SMOKE_NADE = {"dataset": "mnist5k", "train_size": 300, "epochs": 1, "hidden": 8}
SMOKE = {**SMOKE_NADE, "vae_hidden": [16], "latent_dim": 4, "kl_warmup": 0, "iw_samples": 10}


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="nade_vae_binarized_mnist", out="runs/nade_vae_binarized",
                      data=True, record=True)
    p.add_argument("--nade-run", type=Path, default=None,
                   help=f"a finished run of the recipe {NADE_RECIPE} (default: train one in "
                        "OUT/nade)")
    return p.parse_args(argv)


def fitted_nade(args):
    """The NADE the decoder starts from: ``--nade-run``, else trained in ``OUT/nade``."""
    if args.nade_run is not None:
        return load_run(args.nade_run)
    own = argparse.Namespace(**{**vars(args), "recipe": NADE_RECIPE, "settings": []})
    return train_recipe(NADE_RECIPE, Path(args.out) / "nade", **recipe_overrides(own, SMOKE_NADE))


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    nade = fitted_nade(args)
    run = train_recipe(args.recipe, args.out, **{**recipe_overrides(args, SMOKE),
                                                 "init_from": str(nade.out / "model.pt")})
    m, c = run.metrics, run.config
    test = run.splits.flat("test")
    nade_nll = anomaly_scores(nade.model, test, "nll").double()
    # Train's own IWAE-K draws again, per image (the same K, seed, chunks and batches).
    k = c["iw_samples"]
    vae_nll = anomaly_scores(run.model, run.splits.images("test"), "neg_iwae", num_samples=k,
                             seed=m["seed"], batch_size=100 * min(k, 100)).double()
    diff = vae_nll - nade_nll
    result = {
        "benchmark": "nade_vae_binarized_mnist", "recipe": m["recipe"], "dataset": m["dataset"],
        "model": f"VAE, conditional NADE-{c['hidden']} decoder, {c['latent_dim']} latents, "
                 f"encoder {'-'.join(map(str, [test.shape[1], *c['vae_hidden']]))}",
        "nade_run": str(nade.out), "test_images": len(test), "seed": m["seed"],
        "nade_test_nll_nats": round(nade_nll.mean().item(), 3),
        "vae_test_nll_nats": round(vae_nll.mean().item(), 3), "vae_estimator": m["estimator"],
        "train_vae_test_nll_nats": round(m["nll_nats"], 3),
        "difference_nats": round(diff.mean().item(), 3),
        "difference_paired_stderr": round(diff.std().item() / math.sqrt(len(diff)), 3),
        "rate_nats": round(m["rate_nats"], 3),
        "fraction_pareto_k_below_0_7": m["fraction_reliable"],
        "best_epoch": m["best_epoch"], "epochs_run": m["epochs"],
        "train_wall_seconds": round(m["fit_seconds"], 1), "fit": m["fit"],
    }
    rows = [[f"VAE with a conditional-NADE decoder, {m['estimator']} (nats)",
             f"{result['vae_test_nll_nats']:.3f}"],
            ["the NADE alone, exact (nats)", f"{result['nade_test_nll_nats']:.3f}"],
            ["gain (paired s.e.)", f"{-result['difference_nats']:.3f} ± "
                                   f"{result['difference_paired_stderr']:.3f}"],
            ["information in the code (nats per image)", f"{result['rate_nats']:.2f}"]]
    return finish(args, result, started=started,
                  figures={"columns": ["figure", "value"], "rows": rows})


if __name__ == "__main__":
    main()
