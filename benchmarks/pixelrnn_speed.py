"""PixelRNN training throughput: the library's implementation against the one it replaced,
measured in the same run.

The baseline is a frozen copy of the forward as it was before the scan rewrite
(``benchmarks/pixelrnn_baseline.py``, commit 4b27140); both get the *same* parameters (their
state dicts share every key). First the two are checked to agree: ``log_prob`` and the
gradient of the mean negative ``log_prob`` with respect to every parameter, in float32 at
the benchmark's shape (relative gap at most ``--tolerance``) and in float64 on a few images
(where only rounding separates them). Then Adam updates (forward, backward, step) on
batches of binarized-MNIST-like images ``(B, 1, 28, 28)`` alternate between the two, the
order swapped every round so that other load on the machine falls on both alike. Reports
per implementation the median wall and CPU seconds of an update, the seconds of an epoch of
50,000 images implied by the median (timed updates extrapolated, not a whole epoch run), the
page faults per update and the ratio baseline / library; with the load average before and
after. Both run on the allocator the command line uses (freed memory kept in the process,
:mod:`inference.heap`; ``PPL_MODELS_RELEASE_MEMORY=1`` measures glibc's defaults). Prints
one JSON line.

    python benchmarks/pixelrnn_speed.py --hidden 16 --layers 1 --threads 1 --record
"""

import os
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

from inference.cli.records import cpu_model
from inference.cli.script_options import finish, script_parser
from inference.heap import keep_freed_memory
from ppl_models.distributions.pixelrnn import KINDS, PixelRNN

sys.path.insert(0, str(Path(__file__).resolve().parent))
from pixelrnn_baseline import BaselinePixelRNN  # noqa: E402

EPOCH = 50_000  # binarized MNIST's training images


def parse_args(argv=None):
    p = script_parser(__doc__, record=True, smoke=False)
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--size", type=int, default=28, help="image height and width")
    p.add_argument("--steps", type=int, default=40,
                   help="timed updates per implementation and kind (after 2 untimed)")
    p.add_argument("--tolerance", type=float, default=1e-5,
                   help="largest relative gap allowed between the two in float32")
    return p.parse_args(argv)


def _gaps(new, old, x):
    """Largest relative gaps of ``log_prob`` and of each parameter's gradient."""
    lp_new, lp_old = new.log_prob_images(x), old.log_prob_images(x)
    g_new = torch.autograd.grad(-lp_new.mean(), list(new.parameters()))
    g_old = torch.autograd.grad(-lp_old.mean(), list(old.parameters()))
    lp_gap = ((lp_new - lp_old).abs().max() / lp_old.abs().max()).item()
    grad_gap = max(((a - b).abs().max() / b.abs().max().clamp_min(1e-30)).item()
                   for a, b in zip(g_new, g_old, strict=True))
    return lp_gap, grad_gap


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def main(args):
    shape = (1, args.size, args.size)
    torch.manual_seed(args.seed)
    batches = [torch.bernoulli(torch.full((args.batch_size, *shape), 0.13)) for _ in range(4)]
    result = {"benchmark": "pixelrnn_speed",
              "baseline": "benchmarks/pixelrnn_baseline.py (commit 4b27140)",
              "hidden": args.hidden, "layers": args.layers, "batch_size": args.batch_size,
              "image": list(shape), "steps": args.steps, "seed": args.seed,
              "threads": torch.get_num_threads(), "cpu": cpu_model(),
              "epoch_images": EPOCH, "seconds_per_epoch": "median update x epoch / batch",
              # The parser has applied it; asked again (it is idempotent) for the answer.
              "freed_memory": "kept" if keep_freed_memory() else "released",
              "load_before": [round(v, 2) for v in os.getloadavg()]}
    for kind in args.kinds:
        torch.manual_seed(args.seed)
        new = PixelRNN(shape, kind, args.hidden, args.layers)
        old = BaselinePixelRNN(shape, kind, args.hidden, args.layers)
        old.load_state_dict(new.state_dict())
        gaps32 = _gaps(new, old, batches[0])
        gaps64 = _gaps(new.double(), old.double(), batches[0][:4].double())
        new.float(), old.float()
        if max(gaps32) > args.tolerance:
            raise SystemExit(f"{kind}: the implementations disagree (relative gaps of "
                             f"log_prob and gradients {gaps32})")
        models = {"baseline": old, "library": new}
        optimisers = {name: torch.optim.Adam(m.parameters(), lr=1e-3)
                      for name, m in models.items()}
        wall, cpu, faults = ({name: [] for name in models} for _ in range(3))
        for step in range(args.steps + 2):
            x = batches[step % len(batches)]
            for name in (models if step % 2 == 0 else reversed(models)):
                f0, c0, t0 = _faults(), time.process_time(), time.perf_counter()
                optimisers[name].zero_grad()
                (-models[name].log_prob_images(x).mean()).backward()
                optimisers[name].step()
                if step >= 2:
                    wall[name].append(time.perf_counter() - t0)
                    cpu[name].append(time.process_time() - c0)
                    faults[name].append(_faults() - f0)
        median = {name: statistics.median(v) for name, v in wall.items()}
        result[kind] = {
            "log_prob_relative_gap_fp32": gaps32[0], "grad_relative_gap_fp32": gaps32[1],
            "log_prob_relative_gap_fp64": gaps64[0], "grad_relative_gap_fp64": gaps64[1],
            **{f"{name}_s_per_update": median[name] for name in models},
            **{f"{name}_cpu_s_per_update": statistics.median(cpu[name]) for name in models},
            **{f"{name}_s_per_epoch": median[name] * EPOCH / args.batch_size
               for name in models},
            **{f"{name}_page_faults_per_update": statistics.mean(faults[name])
               for name in models},
            "speed_up": median["baseline"] / median["library"],
            "speed_up_cpu": statistics.median(cpu["baseline"]) / statistics.median(
                cpu["library"]),
            "load_after": [round(v, 2) for v in os.getloadavg()]}
    result["load_after"] = [round(v, 2) for v in os.getloadavg()]
    load = f"{result['load_before'][0]:.1f} / {result['load_after'][0]:.1f}"
    return finish(args, result, figures={
        "columns": ["kind", "threads", "freed memory", "baseline s / epoch",
                    "library s / epoch", "speed-up",
                    "speed-up (CPU time)", "page faults / update (baseline, library)",
                    "timed updates each", "load (1 min, before / after)"],
        "rows": [[kind, result["threads"], result["freed_memory"],
                  round(result[kind]["baseline_s_per_epoch"], 1),
                  round(result[kind]["library_s_per_epoch"], 1),
                  round(result[kind]["speed_up"], 2), round(result[kind]["speed_up_cpu"], 2),
                  f"{result[kind]['baseline_page_faults_per_update']:.0f}, "
                  f"{result[kind]['library_page_faults_per_update']:.0f}",
                  args.steps, load] for kind in args.kinds]})


if __name__ == "__main__":
    main(parse_args())
