"""Held-out-class anomaly detection on the fixed binarized MNIST: raw NLL, likelihood ratio,
−IWAE.

For each held-out digit k: NADE and a Bernoulli MLP VAE are fitted on the other nine digits;
the in-distribution set is unseen rows of those nine, the out-of-distribution set every row
of digit k. Scores (higher = more anomalous; :func:`inference.metrics.anomaly_scores`): the
NADE's exact NLL, its likelihood ratio against two backgrounds fitted to perturbed training
images (Ren et al. 2019, perturbation rate ``--perturb``): an independent Bernoulli and a
small NADE (``--background-hidden``), the VAE's −IWAE-K; the baseline, measured in the same
run, is the independent Bernoulli's own NLL. AUROC, AUPRC and FPR at 95 % TPR come from
scikit-learn (``detection_metrics``); the models and scores are shared with
``anomaly_sets.py`` (``anomaly_models.py``).

Only the 10,000 binarized *test* rows are labelled, so the models here train on a seeded
random 70 % of them (minus digit k), select on 10 % and are scored on the last 20 %: a far
smaller training set than the 50,000-image benchmarks, chosen so that a NADE per split fits
in a CPU budget (``--epochs`` / ``--max-seconds`` per model). Prints one JSON line.

    python benchmarks/anomaly_mnist.py --held-out 0 1 2 3 4 5 6 7 8 9 --threads 1
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from ppl_models.data import held_out_classes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anomaly_models import add_model_args, detect, fit_models, mean_sd, score_functions  # noqa: E402
from labelled_binarized_mnist import (  # noqa: E402
    DEFAULT_DATA,
    DEFAULT_LABELS,
    load_all,
    split_labelled,
)

RATIOS = ("nade_ratio_independent_bg", "nade_ratio_nade_bg")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    p.add_argument("--held-out", type=int, nargs="+", default=list(range(10)))
    add_model_args(p)
    return p.parse_args(argv)


def _as_images(x):
    return x.reshape(len(x), 1, 28, 28)


def one_split(k, parts, args) -> dict:
    (tr_x, tr_y), (va_x, va_y), (te_x, te_y) = parts
    flat = {}
    for name, (x, y) in (("train", (tr_x, tr_y)), ("valid", (va_x, va_y)), ("in", (te_x, te_y))):
        kept = held_out_classes(_as_images(x), y, k)[0]
        flat[name] = kept.reshape(len(kept), -1)
    everything = torch.cat([tr_x, va_x, te_x])
    flat["out"] = everything[torch.cat([tr_y, va_y, te_y]) == k]
    models = fit_models(flat["train"], flat["valid"], (1, 28, 28), args)
    result = {"held_out": k, "n_in": len(flat["in"]), "n_out": len(flat["out"]),
              **models["fit"]}
    scores = score_functions(models, args)
    for n in ("in", "out"):  # is the OOD digit more likely, on average, than unseen digits?
        result[f"nade_test_nll_{n}"] = round(scores["nade_nll"](flat[n]).double().mean().item(),
                                             3)
    result.update(detect(scores, flat["in"], flat["out"]))
    # Nalisnick et al.'s failure: the raw likelihood ranks the OOD digit as *more* likely.
    result["nade_nll_ranks_ood_more_likely"] = result["nade_nll"]["auroc"] < 0.5
    for ratio in RATIOS:
        result[f"{ratio}_fixes_it"] = (result["nade_nll_ranks_ood_more_likely"]
                                       and result[ratio]["auroc"] > 0.5)
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def main(args):
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    data, labels = load_all(args.data, args.labels)
    parts = split_labelled(data["test"], labels, (0.7, 0.1, 0.2), args.seed)
    splits = [one_split(k, parts, args) for k in args.held_out]
    names = [n for n in splits[0] if isinstance(splits[0][n], dict)]
    line = {
        "benchmark": "anomaly_mnist",
        "data": "fixed binarized MNIST, labelled test rows: 70/10/20 seeded split",
        "held_out": args.held_out, "seed": args.seed, "threads": args.threads,
        "nade_hidden": args.hidden, "background_nade_hidden": args.background_hidden,
        "vae": f"784-{args.vae_hidden}-{args.latent_dim}",
        "epochs": args.epochs, "max_seconds_per_model": args.max_seconds,
        "perturb": args.perturb,
        "backgrounds": "independent Bernoulli and NADE, each fitted to perturbed train",
        "mean_over_splits": mean_sd([{n: s[n] for n in names} for s in splits]),
        "raw_nll_ranks_ood_more_likely": [s["held_out"] for s in splits
                                          if s["nade_nll_ranks_ood_more_likely"]],
        **{f"{ratio}_fixes": [s["held_out"] for s in splits if s[f"{ratio}_fixes_it"]]
           for ratio in RATIOS},
        "splits": splits,
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(line))
    return line


if __name__ == "__main__":
    main(parse_args())
