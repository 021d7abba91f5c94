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

- **bf16** (with ``--bf16``): the fast path under ``torch.autocast(bfloat16)``, the
  networks' products in bf16 and the log-densities in float32, and its NLL minus the fast
  path's (same draws), which says what the precision costs; its own limit is the same
  products as bf16 GEMMs.

Every evaluation fits Pareto k-hat per image, as the command line's evaluation does.
Seconds per image are medians over repeats; the full test set's wall time is extrapolated
from the subset (``--test-size`` images at each path's seconds per image), or measured with
``--images 10000 --paths fast --repeats 1 --block 500`` (``test_set_wall_seconds``; the
limit is timed after every block, so both see the same load). With
``--checkpoint`` (a trained VAE's ``model.pt``, e.g. from ``ppl-models train --recipe
vae_binarized_mnist``) the VAE scores the first images of its test split; otherwise it is
untrained and scores random binary images. Prints one JSON line.

    python benchmarks/iwae_speed.py --images 20 --threads 1 --bf16 \
        --checkpoint runs/vae_binarized_mnist/model.pt
"""

import statistics
import time
from pathlib import Path

import torch

from inference.cli.recipe_run import load_run
from inference.cli.script_options import finish, script_parser
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

    def __init__(self, shapes, dtype=torch.float32):
        self.operands = [(torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype),
                          torch.empty(m, n, dtype=dtype)) for m, k, n in shapes]
        self.flops = sum(2 * m * k * n for m, k, n in shapes)

    def __call__(self) -> float:
        start = time.perf_counter()
        for a, b, out in self.operands:
            torch.mm(a, b, out=out)
        return time.perf_counter() - start


def evaluate(vae, x, samples, mode: str) -> tuple[float, float]:
    """Seconds per image and the mean log-likelihood, nats per image."""
    options = dict(chunk_size=samples, batch_size=1, fast_likelihood=True)
    if mode == "reference":
        options = dict(chunk_size=min(500, samples), fast_likelihood=False)
    elif mode == "bf16":
        options["autocast"] = torch.bfloat16
    start = time.perf_counter()
    out = importance_log_likelihood(vae.model, vae.guide, x, samples, seed=0,
                                    compute_pareto_k=True, **options)
    return (time.perf_counter() - start) / len(x), out.mean


def trained_vae(args) -> tuple[VAE, torch.Tensor, dict]:
    """The VAE and the images to score: a trained run's (``--checkpoint``: its model.pt in
    its run directory), scored on its first test images, else untrained on random binary
    images (the timings hold; the bf16 check then means little)."""
    if args.checkpoint is None:
        torch.manual_seed(args.seed)
        vae = VAE((1, 28, 28), args.latent, hidden=tuple(args.hidden))
        x = torch.bernoulli(torch.full((args.images, 1, 28, 28), 0.13))
        return vae.eval(), x, {"data": "random binary images (p = 0.13)", "trained": False}
    run = load_run(args.checkpoint.parent)
    info = {"data": f"{run.config['dataset']}, first {args.images} test images",
            "trained": True, "checkpoint": str(args.checkpoint),
            "train_epochs": run.metrics["epochs"]}
    return run.model, run.splits.test[:args.images], info


def main(argv=None):
    args = parse_args(argv)
    vae, x, info = trained_vae(args)
    limits = {"limit": Limit(gemm_shapes(vae, args.samples))}
    if args.bf16:  # bf16's own limit: the same products as bf16 GEMMs
        limits["limit_bf16"] = Limit(gemm_shapes(vae, args.samples), torch.bfloat16)
    limit = limits["limit"]
    modes = [m for m in args.paths if m != "bf16"] + (["bf16"] if args.bf16 else [])
    evaluate(vae, x[:1], args.samples, "fast")  # warm-up
    for time_it in limits.values():
        time_it()
    seconds = {name: [] for name in [*limits, *modes]}
    mean_ll = {}
    # Blocks of images with the limit timed after each: on a whole test set (half an hour)
    # the load drifts, and the ratio should compare times taken under the same load.
    blocks = x.split(args.block or len(x))
    for r in range(args.repeats):
        total = dict.fromkeys(seconds, 0.0)
        lls = {name: [] for name in modes}
        for block in blocks:
            for name in modes if r % 2 == 0 else modes[::-1]:
                took, ll = evaluate(vae, block, args.samples, name)
                total[name] += took * len(block)
                lls[name].append(ll * len(block))
            for name, time_it in limits.items():
                total[name] += statistics.median(time_it() for _ in range(5)) * len(block)
        for name in seconds:
            seconds[name].append(total[name] / len(x))
        mean_ll = {name: sum(v) / len(x) for name, v in lls.items()}
    median = {k: statistics.median(v) for k, v in seconds.items()}
    result = {
        "benchmark": "iwae_evaluation_vs_matmul_limit",
        "model": f"784-{'-'.join(map(str, args.hidden))}-{args.latent} MLP VAE, Bernoulli",
        **info, "images": len(x), "num_samples": args.samples,
        "threads": torch.get_num_threads(), "repeats": args.repeats,
        "seconds_per_image": {k: round(v, 6) for k, v in median.items()},
        "images_per_second": {k: round(1 / v, 2) for k, v in median.items()},
        "gemm_gflop_per_image": round(limit.flops / 1e9, 3),
        "gemm_gflops_per_second": round(limit.flops / median["limit"] / 1e9, 1),
        "ratio_over_limit": {k: round(median[k] / median["limit"], 3) for k in modes},
        "extrapolated_test_set_seconds": {"images": args.test_size,
                                          **{k: round(args.test_size * median[k], 1)
                                             for k in modes}},
        # Reference and fast draw differently (other pass sizes): they agree within the
        # Monte Carlo error. bf16 draws as fast does: its difference is the precision's.
        "mean_nll": {k: round(-v, 4) for k, v in mean_ll.items()},
    }
    if {"reference", "fast"} <= set(modes):
        result["speedup_fast_over_reference"] = round(median["reference"] / median["fast"], 3)
    if args.images >= args.test_size:  # measured, not extrapolated
        result["test_set_wall_seconds"] = {k: round(median[k] * len(x), 1) for k in modes}
    if args.bf16:
        result["bf16_ratio_over_bf16_limit"] = round(median["bf16"] / median["limit_bf16"], 3)
        result["bf16_nll_minus_fp32_nll"] = round(mean_ll["fast"] - mean_ll["bf16"], 4)
    return finish(args, result, figures={
        "columns": ["path", "images/s", "ratio over the matmul limit"],
        "rows": [[k, result["images_per_second"][k], result["ratio_over_limit"][k]]
                 for k in modes]})


def parse_args(argv=None):
    p = script_parser(__doc__, record=True, smoke=False, threads=None)
    p.add_argument("--images", type=int, default=20)
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    p.add_argument("--latent", type=int, default=50)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--test-size", type=int, default=10000)
    p.add_argument("--block", type=int, default=None,
                   help="images per block, the limit timed after each (default: all)")
    p.add_argument("--paths", nargs="+", choices=["reference", "fast"],
                   default=["reference", "fast"],
                   help="evaluations to time (e.g. only fast, on the whole test set)")
    p.add_argument("--bf16", action="store_true",
                   help="also time the bf16-autocast evaluation and its NLL difference")
    p.add_argument("--checkpoint", type=Path, default=None,
                   help="a trained VAE's model.pt in its run directory (default: untrained)")
    return p.parse_args(argv)


if __name__ == "__main__":
    main()
