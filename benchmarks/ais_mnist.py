r"""One likelihood axis for the three families on binarized MNIST: NADE (exact), VAE (ELBO,
IWAE, AIS), AAE (AIS) and DCGAN (AIS with a stated Bernoulli observation model) on the same
test images, with the bidirectional Monte Carlo gap on simulated data beside every AIS row.
Prints one JSON line.

    python benchmarks/ais_mnist.py --data ../shared/data --threads 1 --seed 0
    PPL_MODELS_DATA=../shared/data python benchmarks/ais_mnist.py
    python benchmarks/ais_mnist.py --smoke        # seconds, sklearn digits, no files

Every model is fitted in this run, briefly (``--epochs`` on the first ``--limit`` training
rows of the fixed binarisation of Larochelle & Murray 2011; ``--smoke``: scikit-learn's 8x8
digits thresholded at 0.5): NADE by maximum likelihood, the VAE by SVI on ``Trace_ELBO``, the
AAE (Gaussian prior) and the DCGAN by :class:`inference.training.AdversarialStep`. Then, on
the first ``--n-test`` test images:

- NADE: exact :math:`-\log p(x)`;
- VAE: the ELBO (``--elbo-samples`` draws), IWAE with ``--iwae-samples`` draws, AIS;
- AAE and DCGAN: AIS. The DCGAN's generator outputs pixel probabilities, so its stated
  observation model is :class:`ppl_models.observation.BernoulliObservation` (clamped to
  [1e-6, 1 - 1e-6]): a probability mass on binary images like every other row's. With
  ``--dcgan-observation gaussian`` it is :class:`~ppl_models.observation.GaussianObservation`
  instead, :math:`\sigma` chosen from ``--sigmas`` by AIS on ``--n-test`` validation images
  (:func:`inference.diagnostics.select_observation_sigma`, as Wu et al. do): a density on
  :math:`\mathbb{R}^D`, which is not comparable with the masses of the other rows.

AIS (:func:`inference.diagnostics.annealed_importance_sampling`) runs ``--chains`` chains
over ``--steps`` sigmoid-scheduled temperatures, HMC with ``--leapfrog`` leapfrog steps and
the step size adapted per image. Each AIS row also runs
:func:`inference.diagnostics.bidirectional_monte_carlo` with the same settings on ``--n-sim``
pairs simulated from that model: the mean gap between reverse (upper) and forward (lower)
AIS bounds the forward estimate's error on such data (Wu et al. 2017 read it as the error on
real data too; real images may be harder).

The data folder (holding ``binarized_mnist.npz``) is ``--data`` or else the environment
variable ``PPL_MODELS_DATA``. Figures are in nats per image, the NLL a mean over the test
images with the standard error of that mean; ``estimator_stderr`` is the Monte Carlo
standard error of one image's estimate, averaged.

References

1. Wu, Burda, Salakhutdinov & Grosse, "On the quantitative analysis of decoder-based
   generative models", ICLR 2017.
2. Neal, "Annealed importance sampling", Statistics and Computing 2001.
3. Grosse, Ghahramani & Adams, "Sandwiching the marginal likelihood using bidirectional
   Monte Carlo", arXiv:1511.02543, 2015.
4. Larochelle & Murray, "The Neural Autoregressive Distribution Estimator", AISTATS 2011.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import pyro.distributions as dist
import torch

from inference.diagnostics import (
    annealed_importance_sampling,
    bidirectional_monte_carlo,
    elbo_decomposition,
    importance_log_likelihood,
    select_observation_sigma,
)
from inference.training import AdversarialStep, MLEStep, SVIStep, Trainer
from ppl_models.aae import AAE
from ppl_models.data import load_dataset
from ppl_models.distributions.nade import NADE
from ppl_models.gan import DCGAN
from ppl_models.observation import BernoulliObservation, GaussianObservation, ObservedGenerator
from ppl_models.vae import VAE

# --smoke: every size small enough that the whole table takes seconds on one core.
SMOKE = dict(limit=300, epochs=1, n_test=8, n_sim=4, chains=4, steps=20, leapfrog=5,
             iwae_samples=50, elbo_samples=10, latent_dim=4, hidden=32, nade_hidden=16,
             channels=4)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None,
                   help="folder holding binarized_mnist.npz (default: $PPL_MODELS_DATA)")
    p.add_argument("--smoke", action="store_true",
                   help="sklearn digits and tiny sizes: a check of the pipeline, not a result")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, default=10_000, help="training rows used")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--hidden", type=int, default=200, help="VAE/AAE hidden width")
    p.add_argument("--nade-hidden", type=int, default=100)
    p.add_argument("--channels", type=int, default=16, help="DCGAN base width")
    p.add_argument("--n-test", type=int, default=20, help="test images scored by every row")
    p.add_argument("--n-sim", type=int, default=10, help="simulated pairs for each BDMC gap")
    p.add_argument("--chains", type=int, default=8)
    p.add_argument("--steps", type=int, default=100, help="AIS temperatures T")
    p.add_argument("--leapfrog", type=int, default=10)
    # Wu et al. start at 0.01 and run thousands of temperatures; x1.02 per transition takes
    # 80 transitions to go from 0.01 to 0.05, so a short run starts nearer its working size.
    p.add_argument("--initial-step-size", type=float, default=0.05)
    p.add_argument("--iwae-samples", type=int, default=1000)
    p.add_argument("--elbo-samples", type=int, default=100)
    p.add_argument("--dcgan-observation", choices=("bernoulli", "gaussian"),
                   default="bernoulli",
                   help="gaussian: sigma chosen from --sigmas by AIS on --n-test validation "
                        "images; a density on R^D, not comparable with the other rows' masses")
    p.add_argument("--sigmas", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.4])
    args = p.parse_args(argv)
    if args.smoke:
        for name, value in SMOKE.items():
            setattr(args, name, value)
    elif args.data is None:
        if "PPL_MODELS_DATA" not in os.environ:
            p.error("give --data (the folder holding binarized_mnist.npz) or set "
                    "PPL_MODELS_DATA, or run --smoke")
        args.data = Path(os.environ["PPL_MODELS_DATA"])
    return args


def load(args) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, str]:
    """Training rows, validation and test images (all ``(N, 1, H, W)`` in {0, 1}; the first
    ``--n-test`` of each evaluation split) and the data's name."""
    if args.smoke:
        splits = load_dataset("digits", seed=args.seed)
        name = "sklearn digits 8x8, threshold 0.5"
    else:
        splits = load_dataset("binarized_mnist", path=args.data / "binarized_mnist.npz")
        name = "binarized MNIST (fixed, Larochelle & Murray 2011)"
    return (splits.train[: args.limit], splits.valid[: args.n_test], splits.test[: args.n_test],
            name)


def fit(step, train, args) -> float:
    """Train ``step`` for ``--epochs``; the wall seconds."""
    start = time.perf_counter()
    Trainer(step, train, batch_size=args.batch_size, max_epochs=args.epochs, seed=args.seed,
            progress=False, restore_best=False).fit()
    return time.perf_counter() - start


def fit_models(train, args) -> tuple[dict, dict]:
    """NADE, VAE, AAE and DCGAN fitted on ``train``, and their training seconds."""
    shape, dim = tuple(train.shape[1:]), train[0].numel()
    torch.manual_seed(args.seed)
    models = {"nade": NADE(dim, args.nade_hidden),
              "vae": VAE(shape, args.latent_dim, hidden=[args.hidden]),
              "aae": AAE(shape, latent_dim=args.latent_dim, hidden=[args.hidden]),
              "dcgan": DCGAN(shape, args.latent_dim, channels=args.channels)}
    models["nade"].init_bias_from_data(train.reshape(len(train), dim))
    steps = {"nade": (MLEStep(models["nade"]), train.reshape(len(train), dim)),
             "vae": (SVIStep(models["vae"], objective="trace"), train),
             # betas (0.5, 0.999): the GAN convention (Radford et al. 2016).
             "aae": (AdversarialStep(models["aae"], lr=1e-3, betas=(0.5, 0.999)), train),
             "dcgan": (AdversarialStep(models["dcgan"], lr=2e-4, betas=(0.5, 0.999)), train)}
    seconds = {name: fit(step, data, args) for name, (step, data) in steps.items()}
    models["dcgan"].generator.eval()  # batch norm on its running statistics from now on
    return models, seconds


def row(model: str, estimator: str, log_likelihood: torch.Tensor, started: float,
        estimator_stderr: torch.Tensor | None = None, bdmc=None) -> dict:
    """One line of the table: mean NLL over the test images and its standard error."""
    nll = -log_likelihood.double()
    out = {"model": model, "estimator": estimator, "nll_nats": round(nll.mean().item(), 3),
           "stderr_nats": round((nll.std() / len(nll) ** 0.5).item(), 3) if len(nll) > 1
           else None,
           "estimator_stderr": None if estimator_stderr is None
           else round(estimator_stderr.double().mean().item(), 4),
           "seconds": round(time.perf_counter() - started, 1)}
    if bdmc is not None:
        out["bdmc"] = {k: round(v, 4) if isinstance(v, float) else v
                       for k, v in bdmc.summary().items()}
        out["bdmc_gap_nats"] = out["bdmc"]["gap"]
    return out


def ais_settings(args) -> dict:
    """The keyword arguments of every AIS run here."""
    return dict(num_chains=args.chains, num_steps=args.steps, leapfrog_steps=args.leapfrog,
                initial_step_size=args.initial_step_size, seed=args.seed)


def ais_row(model: str, decoder, prior, test, args) -> dict:
    """AIS on the test images and the BDMC gap on simulated pairs, same settings; its
    ``seconds`` count both."""
    started = time.perf_counter()
    out = annealed_importance_sampling(decoder, prior, test, **ais_settings(args))
    gap = bidirectional_monte_carlo(decoder, prior, args.n_sim, **ais_settings(args))
    result = row(model, "ais", out.log_likelihood, started, out.stderr, gap)
    result["mean_acceptance"] = round(out.acceptance.double().mean().item(), 3)
    return result


def dcgan_row(generator, prior, valid, test, args) -> dict:
    """The DCGAN's AIS row under its stated observation model (``--dcgan-observation``)."""
    if args.dcgan_observation == "bernoulli":
        decoder = ObservedGenerator(generator, BernoulliObservation())
        return ais_row("dcgan (bernoulli observation)", decoder, prior, test, args)
    chosen = select_observation_sigma(generator, prior, valid, args.sigmas, **ais_settings(args))
    decoder = ObservedGenerator(generator, GaussianObservation(chosen.sigma))
    out = ais_row(f"dcgan (gaussian observation, sigma {chosen.sigma})", decoder, prior, test,
                  args)
    out["sigma_selection"] = chosen.summary()
    out["note"] = "a density on R^D, not a probability mass: not comparable with other rows"
    return out


def vae_rows(vae: VAE, test, args) -> list[dict]:
    """The VAE's ELBO and IWAE rows (its AIS row is :func:`ais_row`'s)."""
    started = time.perf_counter()
    elbo = elbo_decomposition(vae.model, vae.guide, test, args.elbo_samples, seed=args.seed,
                              vectorize_particles=True)
    rows = [row("vae", f"elbo ({args.elbo_samples} draws)", elbo.elbo, started)]
    started = time.perf_counter()
    iwae = importance_log_likelihood(vae.model, vae.guide, test, args.iwae_samples,
                                     min(args.iwae_samples, 500), seed=args.seed)
    rows.append(row("vae", f"iwae-{args.iwae_samples}", iwae.log_likelihood, started,
                    iwae.stderr))
    return rows


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    train, valid, test, data_name = load(args)
    models, train_seconds = fit_models(train, args)
    prior = dist.Normal(torch.zeros(args.latent_dim), 1.0).to_event(1)
    t0 = time.perf_counter()
    with torch.no_grad():
        exact = models["nade"]().log_prob(test.reshape(len(test), -1))
    table = [row("nade", "exact", exact, t0)]
    table += vae_rows(models["vae"], test, args)
    table.append(ais_row("vae", models["vae"].decode, prior, test, args))
    aae = models["aae"]
    table.append(ais_row("aae", aae.vae.decode, aae.prior_distribution(), test, args))
    table.append(dcgan_row(models["dcgan"].generator, prior, valid, test, args))
    result = {
        "benchmark": "ais_mnist", "data": data_name, "smoke": args.smoke, "seed": args.seed,
        "n_train": len(train), "n_test": len(test), "epochs": args.epochs,
        "latent_dim": args.latent_dim, "hidden": args.hidden, "nade_hidden": args.nade_hidden,
        "dcgan_channels": args.channels,
        "ais": {"chains": args.chains, "steps": args.steps, "schedule": "sigmoid",
                "leapfrog": args.leapfrog, "step_size": "adaptive",
                "initial_step_size": args.initial_step_size, "n_sim": args.n_sim},
        "table": table, "train_seconds": {k: round(v, 1) for k, v in train_seconds.items()},
        "threads": torch.get_num_threads(), "wall_seconds": round(time.perf_counter() - started,
                                                                  1),
    }
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
