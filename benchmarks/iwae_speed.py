"""IWAE evaluation (``importance_log_likelihood``) against its matrix-multiply limit.

A 784-500-500-50 Bernoulli MLP VAE (untrained: the cost does not depend on the weights)
scores binary 28x28 images with K = 5,000 importance samples each. Three things are timed
in one process, in turns, on the same images:

- **limit**: the encoder's and decoder's matrix products at the shapes one image's
  evaluation needs (the encoder on one image, the decoder on K codes), as bare ``torch.mm``
  into preallocated outputs: the time the FLOPs take at the machine's measured GEMM rate
  at those shapes;
- **reference**: the evaluation as it ran before: 500 draws per pass over all images at
  once, every site scored by its distribution's ``log_prob``;
- **fast**: one pass of all K draws per image (``batch_size=1``, ``chunk_size=K``) with the
  Bernoulli likelihood as ``x . logits - sum softplus(logits)``.

Both evaluations fit Pareto k-hat per image, as the command line's evaluation does. Seconds
per image are medians over repeats; the full test set's wall time is extrapolated from the
subset (``--test-size`` images at the fast path's seconds per image). Prints one JSON line.

    python benchmarks/iwae_speed.py --images 20 --samples 5000 --threads 1
"""

import argparse
import json
import statistics
import time

import torch

from inference.diagnostics import importance_log_likelihood
from ppl_models.vae import VAE


def gemm_shapes(vae: VAE, samples: int) -> list[tuple[int, int, int]]:
    """``(m, k, n)`` of every matrix product for one image: encoder on 1 row, decoder on K."""
    widths = [vae.dim, *vae.hidden, 2 * vae.latent_dim]
    encoder = [(1, a, b) for a, b in zip(widths, widths[1:], strict=False)]
    widths = [vae.latent_dim, *vae.hidden[::-1], vae.dim]
    decoder = [(samples, a, b) for a, b in zip(widths, widths[1:], strict=False)]
    return encoder + decoder


class Limit:
    """Time of one image's matrix products as bare GEMMs (preallocated, no bias, no ReLU)."""

    def __init__(self, shapes):
        self.operands = [(torch.randn(m, k), torch.randn(k, n), torch.empty(m, n))
                         for m, k, n in shapes]
        self.flops = sum(2 * m * k * n for m, k, n in shapes)

    def __call__(self) -> float:
        start = time.perf_counter()
        for a, b, out in self.operands:
            torch.mm(a, b, out=out)
        return time.perf_counter() - start


def evaluate(vae, x, samples, fast: bool) -> tuple[float, float]:
    """Seconds per image and the mean log-likelihood."""
    options = (dict(chunk_size=samples, batch_size=1, fast_likelihood=True) if fast
               else dict(chunk_size=min(500, samples), fast_likelihood=False))
    start = time.perf_counter()
    out = importance_log_likelihood(vae.model, vae.guide, x, samples, seed=0,
                                    compute_pareto_k=True, **options)
    return (time.perf_counter() - start) / len(x), out.mean


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    vae = VAE((1, 28, 28), args.latent, hidden=tuple(args.hidden)).eval()
    x = torch.bernoulli(torch.full((args.images, 1, 28, 28), 0.13))
    limit = Limit(gemm_shapes(vae, args.samples))
    evaluate(vae, x[:1], args.samples, True)  # warm-up
    limit()
    seconds = {"limit": [], "reference": [], "fast": []}
    mean_ll = {}
    for r in range(args.repeats):
        order = ["reference", "fast"] if r % 2 == 0 else ["fast", "reference"]
        for name in order:
            seconds[name].append(evaluate(vae, x, args.samples, name == "fast")[0])
        seconds["limit"].append(statistics.median(limit() for _ in range(5)))
    for name in ("reference", "fast"):
        mean_ll[name] = evaluate(vae, x[:2], args.samples, name == "fast")[1]
    median = {k: statistics.median(v) for k, v in seconds.items()}
    result = {
        "benchmark": "iwae_evaluation_vs_matmul_limit",
        "model": f"784-{'-'.join(map(str, args.hidden))}-{args.latent} MLP VAE, Bernoulli",
        "images": args.images, "num_samples": args.samples, "threads": torch.get_num_threads(),
        "repeats": args.repeats,
        "seconds_per_image": {k: round(v, 6) for k, v in median.items()},
        "images_per_second": {k: round(1 / v, 2) for k, v in median.items()},
        "gemm_gflop_per_image": round(limit.flops / 1e9, 3),
        "gemm_gflops_per_second": round(limit.flops / median["limit"] / 1e9, 1),
        "ratio_fast_over_limit": round(median["fast"] / median["limit"], 3),
        "ratio_reference_over_limit": round(median["reference"] / median["limit"], 3),
        "speedup_fast_over_reference": round(median["reference"] / median["fast"], 3),
        "extrapolated_test_set_seconds": {
            "images": args.test_size, "fast": round(args.test_size * median["fast"], 1),
            "reference": round(args.test_size * median["reference"], 1)},
        "mean_log_likelihood_first_2_images": {k: round(v, 4) for k, v in mean_ll.items()},
    }
    print(json.dumps(result))
    return result


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=20)
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    p.add_argument("--latent", type=int, default=50)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--test-size", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


if __name__ == "__main__":
    main()
