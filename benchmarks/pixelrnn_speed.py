"""PixelRNN training throughput before and after a change of implementation, in one run.

Loads the ``pixelrnn`` module of another commit (``--before``, by default the commit before
the throughput work) from git, builds both implementations with the *same* parameters
(their state dicts share every key), checks that they give the same ``log_prob`` to 1e-4
nats, then times Adam updates (forward, backward, step) on one batch of binarized-MNIST-like
images ``(B, 1, 28, 28)``, alternating the two implementations so that other load on the
machine falls on both alike. Reports the median seconds per update and the implied seconds
per epoch of 50,000 images, for both kinds. Prints one JSON line.

    python benchmarks/pixelrnn_speed.py --hidden 16 --layers 1
"""

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import torch

from inference.cli.script_options import finish, script_parser
from ppl_models.distributions import pixelrnn as after_module

ROOT = Path(__file__).resolve().parents[1]
MODULE = "ppl_models/distributions/pixelrnn.py"


def parse_args(argv=None):
    p = script_parser(__doc__, record=True, smoke=False)
    p.add_argument("--before", default="094eba7", help="git commit of the baseline")
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=7)
    return p.parse_args(argv)


def load_before(commit: str):
    """The module as it was at ``commit``; its ``register`` is a no-op so that the kind
    is not registered twice."""
    source = subprocess.run(["git", "show", f"{commit}:{MODULE}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "pixelrnn_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("pixelrnn_before", path)
    module = importlib.util.module_from_spec(spec)
    with mock.patch("ppl_models.registry.register", lambda *a, **k: (lambda cls: cls)):
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


def update_seconds(model, x):
    """Seconds of one Adam update on ``x`` (a fresh optimiser: its state costs the same)."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    opt.zero_grad()
    (-model.log_prob_images(x).mean()).backward()
    opt.step()
    return time.perf_counter() - start


def main(args):
    before_module = load_before(args.before)
    torch.manual_seed(args.seed)
    x = torch.bernoulli(torch.full((args.batch_size, 1, 28, 28), 0.13))
    result = {"benchmark": "pixelrnn_speed", "before": args.before, "hidden": args.hidden,
              "layers": args.layers, "batch_size": args.batch_size, "seed": args.seed,
              "threads": args.threads, "repeats": args.repeats}
    for kind in after_module.KINDS:
        torch.manual_seed(args.seed)
        after = after_module.PixelRNN((1, 28, 28), kind, args.hidden, args.layers)
        before = before_module.PixelRNN((1, 28, 28), kind, args.hidden, args.layers)
        before.load_state_dict(after.state_dict())
        with torch.no_grad():
            gap = (after.log_prob_images(x) - before.log_prob_images(x)).abs().max().item()
        if gap > 1e-4:
            raise SystemExit(f"{kind}: the implementations disagree by {gap} nats")
        times = {"before": [], "after": []}
        for model in (before, after):  # warm-up, not timed
            update_seconds(model, x)
        for _ in range(args.repeats):
            times["before"].append(update_seconds(before, x))
            times["after"].append(update_seconds(after, x))
        med = {k: statistics.median(v) for k, v in times.items()}
        per_epoch = 50_000 / args.batch_size
        result[kind] = {"max_log_prob_gap_nats": gap,
                        "before_s_per_update": med["before"],
                        "after_s_per_update": med["after"],
                        "before_s_per_epoch": med["before"] * per_epoch,
                        "after_s_per_epoch": med["after"] * per_epoch,
                        "speed_up": med["before"] / med["after"]}
    return finish(args, result, figures={
        "columns": ["kind", "before (s / epoch)", "after (s / epoch)", "speed-up"],
        "rows": [[kind, round(result[kind]["before_s_per_epoch"], 1),
                  round(result[kind]["after_s_per_epoch"], 1),
                  round(result[kind]["speed_up"], 2)] for kind in after_module.KINDS]})


if __name__ == "__main__":
    main(parse_args())
