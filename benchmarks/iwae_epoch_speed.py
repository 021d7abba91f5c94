"""An epoch of the IWAE recipe: its K particles vectorised against drawn one after another.

The recipe (``iwae_binarized_mnist`` by default: a 784-200-200-50 Bernoulli MLP VAE on the
IWAE bound, ``RenyiELBO`` alpha 0 with K = 50 particles, batch 20, Adam) trains through
:class:`~inference.training.SVIStep` either way; the only difference is Pyro's
``vectorize_particles``: all K particles in one pass of the model and guide under a particle
plate left of the data plate (``vectorized``, the command line's default), or K passes of a
batch each (``sequential``). Two things are measured in one process:

- **per update**: both steps from the same initial weights take turns batch by batch (the
  order alternating, :func:`~inference.training.interleaved_timing.interleaved_epoch`) over
  the first ``--batches`` batches of the shuffled training set, after a few warm-up
  batches; the ratio of their times is the speed-up. The sequential step's epoch is this
  per-update time times the epoch's updates plus the validation time: **extrapolated**
  from ``--batches`` updates, not run (0.2 s an update, an epoch of 2,500 is ~10 minutes).
- **an epoch**: one whole vectorised epoch of the recipe through the
  :class:`~inference.training.Trainer` (shuffling, every update, the validation ELBO),
  from fresh weights: the figure a training budget is planned with.

The load average (``os.getloadavg``) before and after each part is printed beside the
times, as on a shared machine they mean little without it. Prints one JSON line.

    python benchmarks/iwae_epoch_speed.py --threads 1 --batches 300 --record
"""

from __future__ import annotations

import math
import os
import time

import torch

from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.recipes import Recipe
from inference.training import SVIStep, Trainer
from inference.training.interleaved_timing import interleaved_epoch
from ppl_models.data import load_dataset
from ppl_models.vae import VAE

WARM_UP = 5
DRAWS = ("vectorized", "sequential")


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _settings(args) -> dict:
    settings = Recipe.load(args.recipe).flat()
    settings.update(recipe_overrides(args))
    if settings.get("objective") != "renyi":
        raise ValueError(f"recipe {args.recipe}: objective must be 'renyi', got "
                         f"{settings.get('objective')!r}")
    return settings


def _step(settings: dict, shape, seed: int, draws: str) -> SVIStep:
    torch.manual_seed(seed)
    vae = VAE(shape, settings["latent_dim"], hidden=tuple(settings["vae_hidden"]))
    return SVIStep(vae, objective="renyi", num_particles=settings["particles"],
                   vectorize_particles=draws == "vectorized", lr=settings["lr"])


def main(args):
    started = time.perf_counter()
    settings = _settings(args)
    splits = load_dataset(settings["dataset"], path=settings.get("data_path"))
    train, valid = splits.train, splits.valid
    shape = tuple(train.shape[1:])
    batch = settings["batch_size"]
    updates = math.ceil(len(train) / batch)
    generator = torch.Generator().manual_seed(args.seed)
    batches = train[torch.randperm(len(train), generator=generator)].split(batch)
    if args.batches + WARM_UP > len(batches):
        raise ValueError(f"--batches {args.batches} (+ {WARM_UP} warm-up) exceeds the "
                         f"epoch's {len(batches)} batches")

    steps = {draws: _step(settings, shape, args.seed, draws) for draws in DRAWS}
    interleaved_epoch(steps, batches[:WARM_UP])
    load_before = _load()
    seconds = interleaved_epoch(steps, batches[WARM_UP:WARM_UP + args.batches])
    load_interleaved = _load()
    per_update = {k: v / args.batches for k, v in seconds.items()}

    step = _step(settings, shape, args.seed, "vectorized")
    trainer = Trainer(step, train, valid, batch_size=batch, max_epochs=1, seed=args.seed,
                      progress=False)
    record = trainer.fit().epochs[0]
    load_epoch = _load()
    epoch = record["seconds"]
    # What the epoch spent outside its updates: the validation ELBO (objective-independent,
    # the same for a sequential step), shuffling and bookkeeping.
    start = time.perf_counter()
    with torch.no_grad():
        for part in valid.split(batch):  # as the Trainer validates: its training batches
            step.eval_step(part)
    validation = time.perf_counter() - start
    sequential_epoch = per_update["sequential"] * updates + validation
    ratio = per_update["sequential"] / per_update["vectorized"]
    budget = args.budget_minutes * 60
    result = {
        "benchmark": "iwae_epoch_speed", "recipe": Recipe.load(args.recipe).name,
        "dataset": settings["dataset"], "particles": settings["particles"],
        "batch_size": batch, "updates_per_epoch": updates,
        "model": f"{math.prod(shape)}-{'-'.join(map(str, settings['vae_hidden']))}-"
                 f"{settings['latent_dim']} MLP VAE, Bernoulli",
        "threads": torch.get_num_threads(), "interleaved_batches": args.batches,
        "seconds_per_update": {k: round(v, 5) for k, v in per_update.items()},
        "ratio_sequential_over_vectorized": round(ratio, 2),
        "vectorized_epoch_seconds": round(epoch, 1),
        "vectorized_epoch_train_loss": round(record["train_loss"], 2),
        "vectorized_epoch_valid_elbo": round(record["valid_elbo"], 2),
        "validation_seconds": round(validation, 1),
        "sequential_epoch_seconds_extrapolated": round(sequential_epoch, 1),
        "epochs_in_budget": {"minutes": args.budget_minutes,
                             "vectorized": math.floor(budget / epoch),
                             "sequential": math.floor(budget / sequential_epoch)},
        "load_average": {"before": load_before, "after_interleaved": load_interleaved,
                         "after_epoch": load_epoch},
    }
    return finish(args, result, started=started, figures={
        "columns": ["particles", "s / update", "epoch (s)", "epoch measured or extrapolated",
                    "sequential / vectorized", f"epochs in {args.budget_minutes} min",
                    "load average (1 min) before / after"],
        "rows": [
            ["vectorized", result["seconds_per_update"]["vectorized"], result[
                "vectorized_epoch_seconds"], "measured: one whole epoch with validation",
             1.0, result["epochs_in_budget"]["vectorized"],
             f"{load_before[0]} / {load_epoch[0]}"],
            ["sequential", result["seconds_per_update"]["sequential"],
             result["sequential_epoch_seconds_extrapolated"],
             f"extrapolated from {args.batches} updates (+ validation)", result[
                 "ratio_sequential_over_vectorized"], result["epochs_in_budget"]["sequential"],
             f"{load_before[0]} / {load_interleaved[0]}"],
        ]})


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="iwae_binarized_mnist", data=True, record=True,
                      smoke=False)
    p.add_argument("--batches", type=int, default=300,
                   help="updates of each step timed in turns (after 5 warm-up batches)")
    p.add_argument("--budget-minutes", type=float, default=40,
                   help="the training budget the epochs are counted in")
    return p.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
