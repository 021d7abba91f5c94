"""PixelRNN under the CPU options for convolutional models, ``channels_last`` and bf16
autocast, each against the float32 default in the same run; and what bf16 training reaches
beside the spread of two float32 seeds. Prints one JSON line.

1. **Speed.** The library's PixelRNN of each ``--kinds`` kind at the speed benchmark's shape
   (``benchmarks/pixelrnn_speed.py``: ``(B, 1, 28, 28)`` binarized-MNIST-like images) in
   three copies with the same parameters: float32 with contiguous tensors, float32 with the
   module and images in ``channels_last``, and float32 parameters with the loss under CPU bf16
   autocast (the ``--precision bf16`` of ``ppl-models train``). Adam updates (forward,
   backward, step) rotate between the three, the order turned every round, so that other load
   falls on all alike; the median update of each and the ratio default / option.
2. **What training reaches.** ``--recipe`` (``pixelrnn_mnist5k``: the embedded MNIST-5k, 3
   epochs) trained by ``ppl-models train`` per kind at float32 with seeds ``s`` and ``s + 1``
   and with ``--precision bf16`` at seed ``s``; the test NLL is float32 in all three (train
   scores in float32 whatever the updates' precision). bf16 is within the seed spread when
   ``|bf16 - fp32|`` at the same seed is no larger than ``|fp32(s) - fp32(s + 1)|``.

bf16 is measured on every CPU; ``cpu_has_bf16`` in the output says whether the CPU has bf16
instructions (``avx512_bf16`` or ``amx_bf16`` among ``/proc/cpuinfo``'s flags) or autocast
emulated them, which makes its ratio meaningless.

    python benchmarks/pixelrnn_cpu_options.py --threads 1 --record
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from pathlib import Path

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.records import cpu_model
from inference.cli.script_options import finish, recipe_overrides, script_parser
from ppl_models.cpu_info import cpuinfo_field
from ppl_models.distributions.pixelrnn import KINDS, PixelRNN

#: Seconds-long pipeline check, not a result.
SMOKE = {"train_size": 100, "epochs": 1, "hidden": 4}
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
OPTIONS = ("fp32", "channels_last", "bf16")


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="pixelrnn_mnist5k", out="runs/pixelrnn_cpu_options",
                      record=True)
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    p.add_argument("--hidden", type=int, default=16, help="units of the timed models")
    p.add_argument("--batch-size", type=int, default=32, help="images per timed update")
    p.add_argument("--steps", type=int, default=30,
                   help="timed updates per option and kind (after 2 untimed)")
    args = p.parse_args(argv)
    if args.steps < 1:
        p.error(f"--steps must be at least 1, got {args.steps}")
    return args


def cpu_has_bf16() -> bool:
    flags = (cpuinfo_field("flags") or "").split()
    return any(flag in flags for flag in BF16_FLAGS)


def _copies(kind: str, hidden: int, seed: int) -> dict[str, PixelRNN]:
    """The three contenders, one set of parameters."""
    torch.manual_seed(seed)
    models = {name: PixelRNN((1, 28, 28), kind, hidden, 1) for name in OPTIONS}
    for m in models.values():
        m.load_state_dict(models["fp32"].state_dict())
    models["channels_last"].to(memory_format=torch.channels_last)
    return models


def _context(name: str):
    if name == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def time_updates(kind: str, args, batches) -> dict[str, float]:
    """Median seconds of an Adam update per option (rotated order, 2 untimed rounds)."""
    models = _copies(kind, args.hidden, args.seed)
    optimisers = {name: torch.optim.Adam(m.parameters(), lr=1e-3) for name, m in models.items()}
    wall = {name: [] for name in OPTIONS}
    for step in range(args.steps + 2):
        x = batches[step % len(batches)]
        turn = step % len(OPTIONS)
        for name in OPTIONS[turn:] + OPTIONS[:turn]:
            xs = x.contiguous(memory_format=torch.channels_last) if name == "channels_last" \
                else x
            started = time.perf_counter()
            optimisers[name].zero_grad()
            with _context(name):
                loss = -models[name].log_prob_images(xs).mean()
            loss.backward()
            optimisers[name].step()
            if step >= 2:
                wall[name].append(time.perf_counter() - started)
    return {name: statistics.median(v) for name, v in wall.items()}


def trained_nll(args, kind: str) -> dict[str, float]:
    """Test NLL of the recipe trained at fp32 (seeds s, s + 1) and bf16 (seed s)."""
    nll = {}
    for label, seed, precision in (("fp32", args.seed, "fp32"),
                                   ("fp32_next_seed", args.seed + 1, "fp32"),
                                   ("bf16", args.seed, "bf16")):
        own = {**recipe_overrides(args, SMOKE), "kind": kind, "seed": seed,
               "precision": precision}
        run = train_recipe(args.recipe, Path(args.out) / f"{kind}_{label}", **own)
        nll[label] = run.metrics["nll_nats"]
    return nll


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    torch.manual_seed(args.seed)
    batches = [torch.bernoulli(torch.full((args.batch_size, 1, 28, 28), 0.13))
               for _ in range(4)]
    result = {"benchmark": "pixelrnn_cpu_options", "recipe": args.recipe, "seed": args.seed,
              "hidden": args.hidden, "batch_size": args.batch_size, "steps": args.steps,
              "threads": torch.get_num_threads(), "cpu": cpu_model(),
              "cpu_has_bf16": cpu_has_bf16(),
              "load_before": [round(v, 2) for v in os.getloadavg()]}
    rows = []
    for kind in args.kinds:
        median = time_updates(kind, args, batches)
        nll = trained_nll(args, kind)
        spread = abs(nll["fp32"] - nll["fp32_next_seed"])
        result[kind] = {
            **{f"{name}_s_per_update": median[name] for name in OPTIONS},
            "channels_last_speed_up": median["fp32"] / median["channels_last"],
            "bf16_speed_up": median["fp32"] / median["bf16"],
            "test_nll_nats": nll, "bf16_minus_fp32_nats": nll["bf16"] - nll["fp32"],
            "seed_spread_nats": spread,
            "bf16_within_seed_spread": abs(nll["bf16"] - nll["fp32"]) <= spread}
        r = result[kind]
        rows.append([kind, f"{median['fp32'] * 1e3:.1f}",
                     f"{r['channels_last_speed_up']:.2f}", f"{r['bf16_speed_up']:.2f}",
                     f"{nll['fp32']:.2f} / {nll['fp32_next_seed']:.2f}", f"{nll['bf16']:.2f}",
                     "yes" if r["bf16_within_seed_spread"] else "no"])
    result["load_after"] = [round(v, 2) for v in os.getloadavg()]
    result["wall_seconds"] = time.perf_counter() - started
    return finish(args, result, started=started, figures={
        "columns": ["kind", "fp32 ms / update", "channels_last speed-up", "bf16 speed-up",
                    f"test NLL fp32, seeds {args.seed} / {args.seed + 1} (nats)",
                    f"test NLL bf16, seed {args.seed}", "bf16 within the seed spread"],
        "rows": rows})


if __name__ == "__main__":
    main()
