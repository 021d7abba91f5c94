"""Mode coverage of an MLP GAN on the ring of 8 and the 5x5 grid: minimax vs non-saturating
vs packing (PacGAN), following the PacGAN protocol (Lin et al. 2018, Sec. 4.1).

For each mixture, configuration and seed: draw a training set from the mixture (seeded), fit
``ppl_models.gan.GAN`` by :class:`inference.training.AdversarialStep` through the Trainer,
then score 2,500 samples with :func:`inference.metrics.mode_coverage` (modes captured,
high-quality fraction within 3 sigma, reverse KL of the mode histogram to uniform). With
``--select`` (the default) the epoch kept is the one whose *selection* draws (2,500 from
another seed than the scored ones) score best by
:attr:`inference.metrics.ModeCoverage.score` (fraction of modes captured plus high-quality
fraction), as ``ppl-models train`` selects; the last epoch's selection-draw figures are
reported beside it (``last_epoch_*``) and every epoch's on stderr. ``--ema-decay`` scores and
selects an exponential moving average of the generator (Yazici et al. 2019); ``--decay-from
f`` lets both learning rates fall linearly to 0 over the last ``1 - f`` of the updates;
``--d-steps k`` makes ``k`` discriminator updates per generator update (the regime where
the minimax generator's gradient vanishes: a confident D puts D(G(z)) near 0). The
baseline, measured in the same run, is 2,500 draws from the true mixture (the real-vs-real
floor). Prints one JSON line.

    python benchmarks/gan_toy_mixtures.py --seeds 0 1 2 3 4 --epochs 100 --ema-decay 0.999 \
        --decay-from 0.5

Configurations: ``minimax`` (eq. 1 of Goodfellow et al. 2014 as written, pack 1),
``non_saturating`` (pack 1), ``pacgan4`` (non-saturating, pack 4).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch

from inference.metrics import mode_coverage
from inference.training import AdversarialStep, Trainer, linear_decay
from ppl_models.data import sample_mixture, toy_mixture
from ppl_models.gan import GAN

CONFIGS = {
    "minimax": {"loss": "minimax", "pack": 1},
    "non_saturating": {"loss": "non_saturating", "pack": 1},
    "pacgan4": {"loss": "non_saturating", "pack": 4},
}
N_EVAL = 2500  # the protocol's sample size


def run_one(mixture: str, config: str, seed: int, args) -> dict:
    means, std = toy_mixture(mixture)
    settings = CONFIGS[config]
    # PacGAN feeds the discriminator batch_size packs of m samples per update. To give every
    # configuration the same number of updates per epoch, a pack-m run draws m times the
    # training points (the mixture is known, so fresh points cost nothing).
    data = sample_mixture(means, std, args.n_train * settings["pack"],
                          generator=torch.Generator().manual_seed(10_000 + seed))
    torch.manual_seed(seed)
    model = GAN(2, latent_dim=args.latent_dim, hidden=args.hidden, pack=settings["pack"])
    total = args.epochs * -(-args.n_train // args.batch_size)  # updates in the run
    decay = None if args.decay_from is None else linear_decay(
        total, int(args.decay_from * total))
    step = AdversarialStep(model, loss=settings["loss"], lr=args.lr, betas=(args.beta1, 0.999),
                           ema_decay=args.ema_decay, lr_lambda=decay, d_steps=args.d_steps)
    selection = {} if not args.select else {
        "evaluate": lambda step, epoch: _coverage(step, model, means, std, 30_000 + seed),
        "monitor": "score", "mode": "max"}
    trainer = Trainer(step, data, batch_size=args.batch_size * settings["pack"],
                      max_epochs=args.epochs, seed=seed, progress=False,
                      restore_best=args.select, **selection)
    t0 = time.perf_counter()
    history = trainer.fit()
    seconds = time.perf_counter() - t0
    torch.manual_seed(20_000 + seed)
    with step.averaged():
        cov = mode_coverage(model.sample(N_EVAL), means, std)
    last = history.epochs[-1]
    # Progress on stderr, so a run cut short still leaves its numbers.
    print(json.dumps({"mixture": mixture, "config": config, "seed": seed,
                      "modes": cov.modes_captured, "high_quality": cov.high_quality,
                      "reverse_kl": cov.reverse_kl, "seconds": seconds,
                      "best_epoch": history.best_epoch,
                      "epoch_modes": [e.get("valid_modes") for e in history.epochs],
                      "epoch_high_quality": [round(e.get("valid_high_quality", 0.0), 3)
                                             for e in history.epochs]}), file=sys.stderr,
          flush=True)
    return {"modes": cov.modes_captured, "high_quality": cov.high_quality,
            "reverse_kl": cov.reverse_kl, "seconds": seconds, "best_epoch": history.best_epoch,
            "last_epoch_modes": last.get("valid_modes"),
            "last_epoch_high_quality": last.get("valid_high_quality"),
            "final_d_loss": last.get("train_d_loss"), "final_g_loss": last.get("train_g_loss")}


def _coverage(step, model, means, std, seed: int) -> dict:
    """Selection draws (the generator's EMA if kept), scored by ``ModeCoverage.score``."""
    with torch.random.fork_rng(devices=[]), step.averaged():
        torch.manual_seed(seed)
        cov = mode_coverage(model.sample(N_EVAL), means, std)
    return {"score": cov.score, "modes": cov.modes_captured, "high_quality": cov.high_quality}


def summarise(runs: list[dict]) -> dict:
    out = {"n_seeds": len(runs)}
    for key in ("modes", "high_quality", "reverse_kl", "seconds", "last_epoch_modes",
                "last_epoch_high_quality"):
        values = [r.get(key) for r in runs]
        if None in values:
            continue
        out[key] = statistics.fmean(values)
        out[f"{key}_per_seed"] = values
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--seed", type=int, default=None, help="one seed (overrides --seeds)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--n-train", type=int, default=20_000)
    p.add_argument("--batch-size", type=int, default=100, help="discriminator inputs a batch")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--beta1", type=float, default=0.5, help="Adam beta1 (PacGAN: 0.8)")
    p.add_argument("--select", action=argparse.BooleanOptionalAction, default=True,
                   help="keep the epoch with the best selection-draw coverage")
    p.add_argument("--ema-decay", type=float, default=None,
                   help="score (and select) an EMA of the generator (Yazici et al. 2019)")
    p.add_argument("--decay-from", type=float, default=None,
                   help="fraction of the run after which both learning rates fall linearly "
                        "to 0 (default: constant)")
    p.add_argument("--d-steps", type=int, default=1,
                   help="discriminator updates per generator update (a stronger D)")
    p.add_argument("--latent-dim", type=int, default=2)
    p.add_argument("--hidden", type=int, nargs="+", default=[128, 128, 128])
    p.add_argument("--mixtures", nargs="+", default=["ring", "grid"])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    if args.decay_from is not None and not 0 <= args.decay_from < 1:
        p.error(f"--decay-from must be in [0, 1), got {args.decay_from}")
    if args.ema_decay is not None and not 0 < args.ema_decay < 1:
        p.error(f"--ema-decay must be in (0, 1), got {args.ema_decay}")
    if args.d_steps < 1:
        p.error(f"--d-steps must be at least 1, got {args.d_steps}")
    torch.set_num_threads(args.threads)
    seeds = [args.seed] if args.seed is not None else args.seeds
    result = {"benchmark": "gan_toy_mixtures", "protocol": "PacGAN: 2500 samples, high "
              "quality within 3 std, mode captured with >= 1 high-quality sample",
              "epochs": args.epochs, "n_train": args.n_train, "batch_size": args.batch_size,
              "lr": args.lr, "beta1": args.beta1, "select": args.select,
              "d_steps": args.d_steps, "ema_decay": args.ema_decay, "decay_from": args.decay_from,
              "hidden": args.hidden, "latent_dim": args.latent_dim,
              "seeds": seeds, "results": {}}
    for mixture in args.mixtures:
        means, std = toy_mixture(mixture)
        floor = [mode_coverage(sample_mixture(means, std, N_EVAL,
                                              generator=torch.Generator().manual_seed(s)),
                               means, std) for s in seeds]
        block = {"true_mixture": summarise([{"modes": c.modes_captured,
                                             "high_quality": c.high_quality,
                                             "reverse_kl": c.reverse_kl, "seconds": 0.0}
                                            for c in floor])}
        for config in args.configs:
            block[config] = summarise([run_one(mixture, config, s, args) for s in seeds])
        result["results"][mixture] = block
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
