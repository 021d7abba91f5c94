"""NADE log-likelihood forward + backward: library implementation vs two baselines.

Baselines, measured in the same run on the same data and weights:

- ``loop``: the straightforward per-position loop of Larochelle & Murray (2011) eq. 3-5,
  differentiated by autograd, slicing ``W[d]`` and ``V[d]`` (each slice's backward
  materialises a full ``D x H`` gradient);
- ``loop_unbind``: the same loop over ``unbind`` views, whose backward stacks the slice
  gradients once: the strongest plain loop we know;
- ``cumsum``: all pre-activations at once as an exclusive cumulative sum over a
  ``B x D x H`` tensor, differentiated by autograd.

Timings are medians of interleaved repetitions (the machine is shared); peak memory is
the growth of the resident-set high-water mark of a fresh process doing one forward +
backward. Prints one JSON
line.

    python benchmarks/nade_speed.py --batch 100 --dim 784 --hidden 500
"""

import multiprocessing as mp
import statistics
import time

import torch
import torch.nn.functional as F

from inference.cli.script_options import finish, script_parser
from ppl_models.distributions import NADE
from ppl_models.distributions.nade_kernel import nade_kernel, torch_only


def loop_log_prob(m: NADE, x: torch.Tensor) -> torch.Tensor:
    a = m.c.expand(x.shape[0], -1)
    logits = []
    for d in range(m.dim):
        logits.append(torch.sigmoid(a) @ m.V[d] + m.b[d])
        a = a + x[:, d : d + 1] * m.W[d]
    logits = torch.stack(logits, 1)
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def unbind_loop_log_prob(m: NADE, x: torch.Tensor) -> torch.Tensor:
    a = m.c.expand(x.shape[0], -1)
    W, V, xs = m.W.unbind(0), m.V.unbind(0), x.unbind(1)
    logits = []
    for d in range(m.dim):
        logits.append(torch.sigmoid(a) @ V[d])
        a = a + xs[d].unsqueeze(1) * W[d]
    logits = torch.stack(logits, 1) + m.b
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def cumsum_log_prob(m: NADE, x: torch.Tensor) -> torch.Tensor:
    increments = x.unsqueeze(2) * m.W  # (B, D, H)
    pre = m.c + torch.cumsum(increments, 1) - increments  # exclusive: a_d uses x_<d
    logits = (torch.sigmoid(pre) * m.V).sum(-1) + m.b
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)


def library_log_prob(m: NADE, x: torch.Tensor) -> torch.Tensor:
    return m().log_prob(x)


def library_torch_log_prob(m: NADE, x: torch.Tensor) -> torch.Tensor:
    """The library without its C kernel: the blocked torch recursion."""
    with torch_only():
        return m().log_prob(x)


IMPLEMENTATIONS = {
    "loop": loop_log_prob,
    "loop_unbind": unbind_loop_log_prob,
    "cumsum": cumsum_log_prob,
    "library": library_log_prob,
    "library_torch": library_torch_log_prob,
}


def setup(batch, dim, hidden, seed=0):
    torch.manual_seed(seed)
    m = NADE(dim, hidden)
    x = torch.bernoulli(torch.full((batch, dim), 0.13))  # binarized MNIST's pixel mean
    return m, x


def forward_backward(fn, m, x):
    m.zero_grad(set_to_none=True)
    fn(m, x).mean().backward()


def gradient_gap(m: NADE, x: torch.Tensor) -> float:
    """The largest gap between the library's and the unbind loop's parameter gradients,
    relative to the largest gradient entry of each parameter."""
    grads = {}
    for fn in (library_log_prob, unbind_loop_log_prob):
        forward_backward(fn, m, x)
        grads[fn] = [p.grad.clone() for p in m.parameters()]
    return max(((a - b).abs().max() / b.abs().max()).item()
               for a, b in zip(*grads.values(), strict=True))


def _high_water_mib() -> float:
    # VmHWM belongs to this address space; ru_maxrss would also count the parent's peak
    # inherited through fork before exec.
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _peak_memory_child(name, batch, dim, hidden, queue):
    m, x = setup(batch, dim, hidden)
    before = _high_water_mib()
    forward_backward(IMPLEMENTATIONS[name], m, x)
    queue.put(_high_water_mib() - before)


def peak_memory_mib(name, batch, dim, hidden):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_peak_memory_child, args=(name, batch, dim, hidden, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return round(result, 1)


def main(args):
    m, x = setup(args.batch, args.dim, args.hidden)
    reference = loop_log_prob(m, x)
    for fn in IMPLEMENTATIONS.values():  # same numbers before timing anything
        torch.testing.assert_close(fn(m, x), reference, rtol=1e-4, atol=1e-3)
    times = {name: [] for name in IMPLEMENTATIONS}
    for fn in IMPLEMENTATIONS.values():
        forward_backward(fn, m, x)  # warm-up
    for _ in range(args.repeats):
        for name, fn in IMPLEMENTATIONS.items():
            start = time.perf_counter()
            forward_backward(fn, m, x)
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    result = {
        "benchmark": "nade_forward_backward",
        "batch": args.batch, "dim": args.dim, "hidden": args.hidden,
        "threads": torch.get_num_threads(), "repeats": args.repeats,
        "seconds": {k: round(v, 4) for k, v in median.items()},
        "speedup_vs_loop": round(median["loop"] / median["library"], 2),
        "speedup_vs_loop_unbind": round(median["loop_unbind"] / median["library"], 2),
        "speedup_vs_cumsum": round(median["cumsum"] / median["library"], 2),
        "speedup_vs_library_torch": round(median["library_torch"] / median["library"], 2),
        "kernel": nade_kernel() is not None,
    }
    result["max_gradient_gap_vs_loop_unbind"] = gradient_gap(m, x)
    if not args.no_memory:
        result["peak_memory_mib"] = {
            name: peak_memory_mib(name, args.batch, args.dim, args.hidden)
            for name in IMPLEMENTATIONS
        }
    return finish(args, result, figures={
        "columns": ["B x D x H", "threads", "C kernel", "library s",
                    "speed-up vs unbind loop", "speed-up vs loop",
                    "speed-up vs the torch recursion", "peak MiB"],
        "rows": [[f"{args.batch} x {args.dim} x {args.hidden}", result["threads"],
                  result["kernel"], result["seconds"]["library"],
                  result["speedup_vs_loop_unbind"], result["speedup_vs_loop"],
                  result["speedup_vs_library_torch"],
                  result.get("peak_memory_mib", {}).get("library", "-")]]})


def parse_args(argv=None):
    p = script_parser(__doc__, record=True, smoke=False, threads=None)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--dim", type=int, default=784)
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--no-memory", action="store_true")
    return p.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
