"""What a joint over binary pixels costs, and what the conditional independences buy.

A distribution over n binary variables has 2^n states. Written by the chain rule, the full
joint needs 2^n - 1 free parameters; making every pixel independent needs n, and a Markov
chain in raster order needs 2n - 1. This script

1. tabulates those counts for n = 4, 8, 16, 64 and 784 (an MNIST image) with
   ``ChainRuleBernoulli.count_parameters``, which never allocates a table;
2. fits the independent and Markov models on all 64 pixels of the threshold-binarised 8 x 8
   digits, and the full joint where its table fits: centre patches of 2 x 2, 3 x 3 and
   4 x 4 pixels, next to the independent and Markov models of the same patch.

Every fit is closed form with Beta(1, 1) pseudo-counts (so each test NLL is finite) and is
scored by its exact test NLL in nats per image.

    python examples/parameter_counting.py [--smoke]
"""

import argparse
import math

import torch

from inference.metrics import bits_per_dim, nll_nats
from ppl_models.data import load_dataset
from ppl_models.distributions import (
    ChainRuleBernoulli,
    full_parents,
    independent_parents,
    markov_parents,
)

SIZES = (4, 8, 16, 64, 784)
PATCHES = (2, 3, 4)
STRUCTURES = {
    "full": lambda n: full_parents(list(range(n))),
    "independent": independent_parents,
    "markov": lambda n: markov_parents(list(range(n))),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pseudo-count", type=float, default=1.0,
                   help="Beta(a, a) pseudo-counts of every fit (0: maximum likelihood)")
    p.add_argument("--seed", type=int, default=0, help="seed of the train/valid/test split")
    p.add_argument("--smoke", action="store_true", help="small patches only (seconds)")
    return p.parse_args(argv)


def readable(count: int) -> str:
    """Exact when short, else ``d.dde+X`` computed from the digits (2^784 overflows nothing)."""
    digits = str(count)
    if len(digits) <= 9:
        return f"{count:,}"
    mantissa = round(int(digits[:4]) / 1000, 2)
    exponent = len(digits) - 1
    return f"{mantissa:.2f}e{exponent}" if mantissa < 10 else f"1.00e{exponent + 1}"


def count_table(sizes=SIZES) -> dict[int, dict[str, int]]:
    """``{n: {"states": 2^n, "full": ..., "independent": ..., "markov": ...}}``, exact ints."""
    table = {}
    for n in sizes:
        row = {"states": 2**n}
        row.update({name: ChainRuleBernoulli.count_parameters(parents(n))
                    for name, parents in STRUCTURES.items()})
        table[n] = row
    return table


def centre_patch(images: torch.Tensor, side: int) -> torch.Tensor:
    """The ``side x side`` pixels at the centre of ``(N, 1, H, W)`` images, flattened."""
    h, w = images.shape[-2:]
    top, left = (h - side) // 2, (w - side) // 2
    return images[..., top:top + side, left:left + side].reshape(len(images), -1)


def fit_and_score(kind: str, train: torch.Tensor, test: torch.Tensor, pseudo_count: float):
    """Closed-form fit on ``train``; exact test NLL (nats per image) and bits/dim."""
    model = getattr(ChainRuleBernoulli, kind)(train.shape[1])
    model = model.fit(train, alpha=pseudo_count, beta=pseudo_count)
    nll = nll_nats(model().log_prob(test))
    return {"n": train.shape[1], "num_parameters": model.num_parameters, "nll_nats": nll,
            "bits_per_dim": bits_per_dim(nll, train.shape[1])}


def fit_table(pseudo_count: float, patches, seed: int) -> dict[str, dict[str, dict]]:
    """``{"all 64 pixels" | "patch kxk": {model: scores}}`` on binarised digits."""
    splits = load_dataset("digits", binarize="threshold", seed=seed)
    train, test = splits.images("train"), splits.images("test")
    results = {"all 64 pixels": {
        kind: fit_and_score(kind, splits.flat("train"), splits.flat("test"), pseudo_count)
        for kind in ("independent", "markov")}}
    for side in patches:
        tr, te = centre_patch(train, side), centre_patch(test, side)
        results[f"patch {side}x{side}"] = {
            kind: fit_and_score(kind, tr, te, pseudo_count)
            for kind in ("independent", "markov", "full")}
    return results


def print_counts(counts) -> None:
    print(f"{'n':>5} {'states 2^n':>14} {'full 2^n-1':>14} {'independent':>12} {'markov':>8}")
    for n, row in counts.items():
        print(f"{n:>5} {readable(row['states']):>14} {readable(row['full']):>14} "
              f"{row['independent']:>12,} {row['markov']:>8,}")


def print_fits(fits, pseudo_count: float) -> None:
    print(f"\nexact test NLL on binarised digits (threshold 0.5), "
          f"Beta({pseudo_count:g}, {pseudo_count:g}) pseudo-counts")
    print(f"{'data':<15} {'model':<12} {'params':>8} {'NLL nats':>9} {'bits/dim':>9}")
    for data, models in fits.items():
        for kind, r in models.items():
            nll = f"{r['nll_nats']:9.3f}" if math.isfinite(r["nll_nats"]) else f"{'inf':>9}"
            print(f"{data:<15} {kind:<12} {r['num_parameters']:>8,} {nll} "
                  f"{r['bits_per_dim']:9.4f}")


def main(args):
    counts = count_table()
    print_counts(counts)
    patches = PATCHES[:2] if args.smoke else PATCHES
    fits = fit_table(args.pseudo_count, patches, args.seed)
    print_fits(fits, args.pseudo_count)
    return {"counts": counts, "fits": fits}


if __name__ == "__main__":
    main(parse_args())
