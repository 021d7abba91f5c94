"""Held-out-digit anomaly detection on MNIST binarised at 0.5: raw NLL, likelihood ratio,
−IWAE.

For each held-out digit k, every model of ``anomaly_models.py`` is trained by ``ppl-models
train`` from its recipe (``anomaly_{nade,background,independent_background,vae}_mnist``,
overridden with ``holdout_class = k``) on MNIST's training images thresholded at 0.5 without
digit k (about 45,000 of the first 50,000), selected on the last 10,000 training images
without k, each within its recipe's budget (``--max-seconds`` overrides it). The
in-distribution set is the test images of the other nine digits, the out-of-distribution set
every image of digit k in the three splits (none of which a model saw). Scores (higher =
more anomalous; :func:`inference.metrics.anomaly_scores`): the NADE's exact NLL, its
likelihood ratio against the two backgrounds fitted by ``train --perturb`` to perturbed
images (Ren et al. 2019): independent Bernoulli pixels and a small NADE, and the VAE's
−IWAE-K; the baseline, measured in the same run, is independent Bernoulli pixels counted on
the same training images. AUROC, AUPRC and FPR at 95 % TPR come from scikit-learn
(``detection_metrics``). Prints one JSON line; ``--record`` adds the mean over the splits
to the Results page.

Before the script called recipes it trained on a seeded 70 % of the 10,000 labelled rows of
the fixed binarized MNIST (the only labelled ones; ``train`` cannot load their labels), so
its earlier records measure that smaller set, not this one.

    python benchmarks/anomaly_mnist.py --threads 1 --record
    python benchmarks/anomaly_mnist.py --held-out 1 9 --max-seconds 30
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from inference.cli.script_options import finish, script_parser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anomaly_models import (  # noqa: E402
    METRICS,
    add_model_args,
    detect,
    every_image_of,
    fit_summary,
    mean_sd,
    score_functions,
    trained,
)

RATIOS = ("nade_ratio_independent_bg", "nade_ratio_nade_bg")


def parse_args(argv=None):
    p = script_parser(__doc__, out="runs/anomaly_mnist", data=True, record=True)
    p.add_argument("--held-out", type=int, nargs="+", default=list(range(10)),
                   help="the digits held out, one split each (--smoke: the first only)")
    add_model_args(p, "mnist")
    return p.parse_args(argv)


def one_split(k: int, args) -> tuple[dict, dict]:
    """The detection metrics of every score with digit ``k`` held out, and the runs."""
    runs = trained(args, Path(args.out) / f"held_out_{k}", holdout_class=k)
    splits = runs["nade"].splits
    x_in, x_out = splits.flat("test")[splits.test_labels != k], every_image_of(runs["nade"], k)
    scores = score_functions(runs)
    result = {"held_out": k, "n_in": len(x_in), "n_out": len(x_out), **fit_summary(runs)}
    for n, x in (("in", x_in), ("out", x_out)):  # is the OOD digit more likely, on average?
        result[f"nade_mean_nll_{n}"] = round(scores["nade_nll"](x).double().mean().item(), 3)
    result.update(detect(scores, x_in, x_out))
    # Nalisnick et al.'s failure: the raw likelihood ranks the OOD digit as *more* likely.
    result["nade_nll_ranks_ood_more_likely"] = result["nade_nll"]["auroc"] < 0.5
    for ratio in RATIOS:
        result[f"{ratio}_fixes_it"] = (result["nade_nll_ranks_ood_more_likely"]
                                       and result[ratio]["auroc"] > 0.5)
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result, runs


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    splits, runs = [], None
    for k in args.held_out[:1] if args.smoke else args.held_out:
        result, runs = one_split(k, args)
        splits.append(result)
    names = [n for n in splits[0] if isinstance(splits[0][n], dict)]
    mean = mean_sd([{n: s[n] for n in names} for s in splits])
    nade = runs["nade"]
    line = {
        "benchmark": "anomaly_mnist",
        "data": f"{nade.config['dataset']}, binarisation {nade.metrics['binarize']}: "
                "train without the held-out digit, test images of the others against every "
                "image of it",
        "held_out": [s["held_out"] for s in splits], "seed": args.seed,
        "recipes": {model: run.metrics["recipe"] for model, run in runs.items()},
        "mean_over_splits": mean,
        "raw_nll_ranks_ood_more_likely": [s["held_out"] for s in splits
                                          if s["nade_nll_ranks_ood_more_likely"]],
        **{f"{ratio}_fixes": [s["held_out"] for s in splits if s[f"{ratio}_fixes_it"]]
           for ratio in RATIOS},
        "splits": splits,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    worst = {n: min(splits, key=lambda s, n=n: s[n]["auroc"]) for n in names}
    rows = [[n, *(f"{mean[n][key]:.3f}" for key in METRICS),
             f"{worst[n]['held_out']}: {worst[n][n]['auroc']:.3f}"] for n in names]
    return finish(args, line, started=started, figures={
        "columns": ["score", "mean AUROC", "mean AUPRC", "mean FPR at 95 % TPR",
                    "worst split (AUROC)"], "rows": rows})


if __name__ == "__main__":
    main()
