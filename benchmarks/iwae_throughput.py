"""Throughput and peak memory of ``importance_log_likelihood`` at K = 5000.

A 784-400-50 Bernoulli MLP VAE (weights need not be trained: the cost does not depend on
them) scores binary 28x28 images with K importance samples, chunked over particles.
Each chunk size in ``--chunks`` runs in a fresh process (same seed, same draws per chunk
size) so its peak memory is the resident-set growth of that process; the first chunk size
is the baseline the others are compared with. Prints one JSON line.

    python benchmarks/iwae_throughput.py --images 100 --samples 5000
"""

import multiprocessing as mp
import time

import torch

from inference.cli.script_options import finish, script_parser
from inference.diagnostics import importance_log_likelihood
from ppl_models.vae import VAE


def run(images, samples, chunk, seed=0):
    torch.manual_seed(seed)
    vae = VAE((1, 28, 28), 50, hidden=(400,))
    x = torch.bernoulli(torch.full((images, 1, 28, 28), 0.13))
    start = time.perf_counter()
    result = importance_log_likelihood(vae.model, vae.guide, x, num_samples=samples,
                                       chunk_size=chunk, seed=seed, compute_pareto_k=True)
    seconds = time.perf_counter() - start
    return seconds, result.log_likelihood.mean().item()


def _high_water_mib() -> float:
    # VmHWM belongs to this address space; ru_maxrss would also count the parent's peak
    # inherited through fork before exec.
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _child(images, samples, chunk, queue):
    before = _high_water_mib()
    seconds, ll = run(images, samples, chunk)
    queue.put((seconds, ll, _high_water_mib() - before))


def measure(images, samples, chunk):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(images, samples, chunk, queue))
    proc.start()
    seconds, ll, growth = queue.get()
    proc.join()
    return {"chunk_size": chunk, "seconds": round(seconds, 2),
            "images_per_second": round(images / seconds, 2),
            "peak_memory_growth_mib": round(growth, 1), "mean_log_likelihood": round(ll, 3)}


def main(args):
    runs = [measure(args.images, args.samples, chunk) for chunk in args.chunks]
    result = {"benchmark": "importance_log_likelihood", "images": args.images,
              "num_samples": args.samples, "model": "784-400-50 MLP VAE, Bernoulli",
              "threads": torch.get_num_threads(), "runs": runs}
    return finish(args, result, figures={
        "columns": ["chunk", "images/s", "peak memory growth (MiB)"],
        "rows": [[r["chunk_size"], r["images_per_second"], r["peak_memory_growth_mib"]]
                 for r in runs]})


def parse_args(argv=None):
    p = script_parser(__doc__, record=True, smoke=False, threads=None)
    p.add_argument("--images", type=int, default=100)
    p.add_argument("--samples", type=int, default=5000)
    p.add_argument("--chunks", type=int, nargs="+", default=[500, 1000])
    return p.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
