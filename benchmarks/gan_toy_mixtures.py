"""Mode coverage of an MLP GAN on the ring of 8 and the 5x5 grid: minimax vs non-saturating
vs packing (PacGAN), following the PacGAN protocol (Lin et al. 2018, Sec. 4.1). Prints one
JSON line.

    python benchmarks/gan_toy_mixtures.py --threads 1 --record

For each mixture, configuration and seed, the recipe ``gan_toy_mixtures`` is trained by
``ppl-models train`` with that row's data set, loss and packing as overrides, and scored as
train scores a toy mixture: :func:`inference.metrics.mode_coverage` of 2,500 draws of the
generator's moving average (modes captured, the high-quality fraction within 3 sigma, the
reverse KL of the mode histogram to uniform). The epoch kept is the one whose selection
draws (from another seed than the scored ones) score best by
:attr:`inference.metrics.ModeCoverage.score` (fraction of modes captured plus high-quality
fraction); the last epoch's selection-draw figures are reported beside it (``last_epoch_*``)
and each run's on stderr. The baseline, measured in the same run, is 2,500 draws from the
true mixture (the real-vs-real floor).

Configurations: ``minimax`` (eq. 1 of Goodfellow et al. 2014 as written, pack 1),
``non_saturating`` (pack 1), ``pacgan4`` (non-saturating, pack 4). A packed discriminator
sees each batch as packs of ``m`` points, so a pack-``m`` run takes ``m`` times the recipe's
batch and epochs: every configuration makes the same updates on as many packs (its 20,000
training points are reused ``m`` times as often). Any other setting is a ``--set``, e.g.
``--set d_steps=5`` (the regime where the minimax generator's gradient vanishes),
``--set ema_decay=0.99``, ``--set gan_decay_from=0.8``, ``--set train_size=5000``.

References

1. Lin, Khetan, Fanti & Oh, "PacGAN: The power of two samples in generative adversarial
   networks", NeurIPS 2018.
2. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
3. Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN Training", ICLR 2019.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import mode_coverage
from inference.recipes import Recipe
from ppl_models.data import TOY_MIXTURES, sample_mixture, toy_mixture

CONFIGS = {
    "minimax": {"gan_loss": "minimax", "pack": 1},
    "non_saturating": {"gan_loss": "non_saturating", "pack": 1},
    "pacgan4": {"gan_loss": "non_saturating", "pack": 4},
}
LABELS = {"minimax": "minimax", "non_saturating": "non-saturating",
          "pacgan4": "PacGAN4 (non-saturating)"}
N_EVAL = 2500  # the protocol's sample size
#: A seconds-long pipeline check (one seed unless --seeds), not a result.
SMOKE = {"epochs": 2, "train_size": 400, "gan_hidden": [16, 16]}
FIGURES = ("modes", "high_quality", "reverse_kl", "seconds", "last_epoch_modes",
           "last_epoch_high_quality")


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="gan_toy_mixtures", out="runs/gan_toy_mixtures",
                      record=True)
    p.set_defaults(seed=None)
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="the seeds run (default 0 1 2 3 4; --seed N: that one; --smoke: 0)")
    p.add_argument("--mixtures", nargs="+", default=list(TOY_MIXTURES),
                   choices=list(TOY_MIXTURES))
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    return p.parse_args(argv)


def run_one(args, mixture: str, config: str, seed: int) -> dict:
    """Train the recipe for one row and seed; its scores from the run's metrics."""
    overrides = {**recipe_overrides(args, SMOKE), "seed": seed, "dataset": mixture,
                 **CONFIGS[config]}
    pack = CONFIGS[config]["pack"]
    if pack > 1:
        settings = {**Recipe.load(args.recipe).flat(), **overrides}
        overrides.update(batch_size=pack * settings["batch_size"],
                         epochs=pack * settings["epochs"])
    run = train_recipe(args.recipe, Path(args.out) / f"{mixture}_{config}_seed{seed}",
                       **overrides)
    m, last = run.metrics, run.history["epochs"][-1]
    scores = {"modes": m["modes_captured"], "high_quality": m["high_quality"],
              "reverse_kl": m["reverse_kl"], "seconds": m["fit_seconds"],
              "best_epoch": m["best_epoch"],
              "last_epoch_modes": last.get("valid_modes_captured"),
              "last_epoch_high_quality": last.get("valid_high_quality")}
    # Progress on stderr, so a run cut short still leaves its numbers.
    print(json.dumps({"mixture": mixture, "config": config, "seed": seed, **scores}),
          file=sys.stderr, flush=True)
    return scores


def summarise(runs: list[dict]) -> dict:
    out = {"n_seeds": len(runs)}
    for key in FIGURES:
        values = [r.get(key) for r in runs]
        if None in values:
            continue
        out[key] = statistics.fmean(values)
        out[f"{key}_per_seed"] = values
    return out


def floor(mixture: str, seeds: list[int]) -> dict:
    """The protocol's figures of ``N_EVAL`` draws from the true mixture, one set a seed."""
    means, std = toy_mixture(mixture)
    draws = [mode_coverage(sample_mixture(means, std, N_EVAL,
                                          generator=torch.Generator().manual_seed(s)),
                           means, std) for s in seeds]
    return summarise([{"modes": c.modes_captured, "high_quality": c.high_quality,
                       "reverse_kl": c.reverse_kl, "seconds": 0.0} for c in draws])


def row(mixture: str, label: str, s: dict) -> list[str]:
    modes = f"{s['modes']:g} {[int(m) for m in s['modes_per_seed']]}"
    seconds = "" if label.startswith("true") else f"{s['seconds']:.0f}"
    return [mixture, label, modes, f"{100 * s['high_quality']:.1f} %",
            f"{s['reverse_kl']:.3f}", seconds]


def main(argv=None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    seeds = (args.seeds or ([args.seed] if args.seed is not None else None)
             or ([0] if args.smoke else [0, 1, 2, 3, 4]))
    result = {"benchmark": "gan_toy_mixtures", "recipe": args.recipe,
              "protocol": "PacGAN: 2500 samples, high quality within 3 std, mode captured "
                          "with >= 1 high-quality sample",
              "seeds": seeds, "overrides": dict(args.settings), "results": {}}
    rows = []
    for mixture in args.mixtures:
        block = {"true_mixture": floor(mixture, seeds)}
        rows.append(row(f"{mixture} ({len(toy_mixture(mixture)[0])})",
                        "true mixture (floor)", block["true_mixture"]))
        for config in args.configs:
            block[config] = summarise([run_one(args, mixture, config, s) for s in seeds])
            rows.append(row(mixture, LABELS[config], block[config]))
        result["results"][mixture] = block
    args.seed = seeds  # the record names every seed run
    return finish(args, result, started=started, figures={
        "columns": ["mixture", "configuration", "modes", "high quality", "reverse KL",
                    "s / run"], "rows": rows})


if __name__ == "__main__":
    main()
