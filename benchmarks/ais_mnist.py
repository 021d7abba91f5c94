r"""One likelihood axis for the three families on binarized MNIST: NADE (exact), VAE (ELBO,
IWAE, AIS), AAE (AIS) and DCGAN (AIS under a stated observation model) on the same test
images, with the bidirectional Monte Carlo gap on simulated data beside every AIS row.
Prints one JSON line.

    python benchmarks/ais_mnist.py --threads 1 --seed 0 --record
    python benchmarks/ais_mnist.py --smoke        # seconds, sklearn digits, no files

Each model is trained by its recipe, exactly as ``ppl-models train --recipe NAME`` trains it
(:func:`inference.cli.recipe_run.train_recipe`): ``ais_nade_binarized_mnist``,
``ais_vae_binarized_mnist``, ``ais_aae_binarized_mnist`` and ``ais_dcgan_binarized_mnist``
(``--nade-recipe`` and the like name others), all on the fixed binarisation of Larochelle &
Murray (2011); ``--smoke`` trains them for an epoch at tiny sizes on scikit-learn's 8x8
digits thresholded at 0.5. The script checks that the four runs share their data and
binarisation, and then scores ``--n-test`` test images, evenly spaced through the test split
(it is sorted by digit, so its first images are all zeros):

- NADE: exact :math:`-\log p(x)`;
- VAE: the ELBO (``--elbo-samples`` draws), IWAE with ``--iwae-samples`` draws, AIS, and the
  paired difference AIS minus IWAE per image (mean and its standard error);
- AAE: AIS under its own decoder;
- DCGAN: AIS under the observation model ``--observation`` states. Its generator outputs
  pixel probabilities, so the default is :class:`ppl_models.observation.BernoulliObservation`
  (clamped to [1e-6, 1 - 1e-6]): a probability mass on binary images like every other row's.
  ``--observation gaussian`` states :class:`~ppl_models.observation.GaussianObservation`
  instead, :math:`\sigma` chosen from ``--sigmas`` by AIS on ``--n-test`` validation images
  (:func:`inference.diagnostics.select_observation_sigma`, as Wu et al. do): a density on
  :math:`\mathbb{R}^D`, not comparable with the masses of the other rows.

AIS (:func:`inference.diagnostics.annealed_importance_sampling`, the decoder and prior of
:func:`inference.cli.ais_evaluation.stated_decoder`, as ``ppl-models evaluate --estimator
ais`` uses) runs ``--chains`` chains over ``--steps`` sigmoid-scheduled temperatures, HMC
with ``--leapfrog`` leapfrog steps and the step size adapted per image; the DCGAN row, whose
convolutional generator costs about ten times the VAE's decoder per evaluation, runs
``--dcgan-chains`` and ``--dcgan-steps``. Each AIS row also runs
:func:`inference.diagnostics.bidirectional_monte_carlo` with the same settings on ``--n-sim``
pairs simulated from that model: the mean gap between reverse (upper) and forward (lower)
AIS bounds the forward estimate's error on such data (Wu et al. 2017 read it as the error on
real data too; real images may be harder).

Figures are in nats per image, the NLL a mean over the test images with the standard error
of that mean; ``estimator_stderr`` is the Monte Carlo standard error of one image's
estimate, averaged. The result also gives the process's CPU seconds beside the wall seconds
and the load average at the start and the end (on a shared machine the two differ).

References

1. Wu, Burda, Salakhutdinov & Grosse, "On the quantitative analysis of decoder-based
   generative models", ICLR 2017.
2. Neal, "Annealed importance sampling", Statistics and Computing 2001.
3. Grosse, Ghahramani & Adams, "Sandwiching the marginal likelihood using bidirectional
   Monte Carlo", arXiv:1511.02543, 2015.
4. Burda, Grosse & Salakhutdinov, "Importance weighted autoencoders", ICLR 2016.
5. Larochelle & Murray, "The Neural Autoregressive Distribution Estimator", AISTATS 2011.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from inference.cli.ais_evaluation import SIGMAS, stated_decoder
from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.diagnostics import (
    annealed_importance_sampling,
    bidirectional_monte_carlo,
    elbo_decomposition,
    importance_log_likelihood,
    select_observation_sigma,
)
from ppl_models.observation import OBSERVATION_MODELS

#: The recipe each row's model is trained by (``--<model>-recipe`` names another).
RECIPES = {"nade": "ais_nade_binarized_mnist", "vae": "ais_vae_binarized_mnist",
           "aae": "ais_aae_binarized_mnist", "dcgan": "ais_dcgan_binarized_mnist"}

#: --smoke: every model an epoch at tiny sizes on the thresholded 8x8 digits, so that the
#: whole table takes seconds on one core; a check of the pipeline, not a result.
_TINY = {"dataset": "digits", "epochs": 1}
SMOKE_RECIPES = {"nade": {**_TINY, "hidden": 16},
                 "vae": {**_TINY, "latent_dim": 4, "vae_hidden": [32], "iw_samples": 10},
                 "aae": {**_TINY, "latent_dim": 4, "vae_hidden": [32], "eval_samples": 100},
                 "dcgan": {**_TINY, "latent_dim": 4, "dcgan_channels": 4,
                           "eval_samples": 100}}
SMOKE = dict(n_test=8, n_sim=4, chains=4, steps=20, leapfrog=5, dcgan_chains=4,
             dcgan_steps=20, iwae_samples=50, elbo_samples=10)


def parse_args(argv=None) -> argparse.Namespace:
    p = script_parser(__doc__, out="runs/ais_mnist", data=True, record=True)
    for name, recipe in RECIPES.items():
        p.add_argument(f"--{name}-recipe", default=recipe,
                       help=f"the recipe the {name.upper()} row's model is trained by: a "
                            f"shipped recipe's name or a .toml path (default {recipe})")
    p.add_argument("--n-test", type=int, default=200,
                   help="test images scored by every row, evenly spaced through the split")
    p.add_argument("--n-sim", type=int, default=20, help="simulated pairs for each BDMC gap")
    p.add_argument("--chains", type=int, default=8, help="AIS chains per image (VAE, AAE)")
    p.add_argument("--steps", type=int, default=300, help="AIS temperatures T (VAE, AAE)")
    p.add_argument("--dcgan-chains", type=int, default=4, help="AIS chains per image (DCGAN)")
    p.add_argument("--dcgan-steps", type=int, default=100, help="AIS temperatures (DCGAN)")
    p.add_argument("--leapfrog", type=int, default=10, help="leapfrog steps per transition")
    # Wu et al. start at 0.01 and run thousands of temperatures; x1.02 per transition takes
    # 80 transitions to go from 0.01 to 0.05, so a short run starts nearer its working size.
    p.add_argument("--initial-step-size", type=float, default=0.05)
    p.add_argument("--iwae-samples", type=int, default=5000)
    p.add_argument("--elbo-samples", type=int, default=100)
    p.add_argument("--observation", choices=OBSERVATION_MODELS, default="bernoulli",
                   help="the DCGAN's stated observation model; gaussian: sigma chosen from "
                        "--sigmas by AIS on --n-test validation images, a density on R^D "
                        "not comparable with the other rows' masses")
    p.add_argument("--sigmas", type=float, nargs="+", default=list(SIGMAS))
    args = p.parse_args(argv)
    if args.smoke:
        for name, value in SMOKE.items():
            setattr(args, name, value)
    return args


def train(args) -> dict:
    """Every row's model, trained by its recipe in ``--out/<model>``."""
    runs = {}
    for name in RECIPES:
        recipe = getattr(args, f"{name}_recipe")
        overrides = recipe_overrides(argparse.Namespace(**{**vars(args), "recipe": recipe}),
                                     SMOKE_RECIPES[name])
        runs[name] = train_recipe(recipe, Path(args.out) / name, **overrides)
    data = {name: (run.config["dataset"], run.config["binarize"]) for name, run in runs.items()}
    if len(set(data.values())) != 1:
        raise ValueError(f"the table compares models on the same images: the recipes' data "
                         f"sets and binarisations differ ({data})")
    return runs


def spaced(x: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` rows of ``x`` evenly spaced from its first (all of them if it has fewer)."""
    n = min(n, len(x))
    return x[torch.arange(n) * (len(x) // n)]


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


def ais_settings(args, generator: bool = False) -> dict:
    """The keyword arguments of a row's AIS runs: ``--dcgan-chains`` and ``--dcgan-steps``
    for the ``generator`` row, ``--chains`` and ``--steps`` for the others."""
    chains, steps = ((args.dcgan_chains, args.dcgan_steps) if generator
                     else (args.chains, args.steps))
    return dict(num_chains=chains, num_steps=steps, leapfrog_steps=args.leapfrog,
                initial_step_size=args.initial_step_size, seed=args.seed)


def ais_row(label: str, decoder, prior, test, args,
            generator: bool = False) -> tuple[dict, torch.Tensor]:
    """AIS on the test images and the BDMC gap on simulated pairs, same settings (its
    ``seconds`` count both); and the per-image estimates."""
    started = time.perf_counter()
    settings = ais_settings(args, generator)
    out = annealed_importance_sampling(decoder, prior, test, **settings)
    gap = bidirectional_monte_carlo(decoder, prior, args.n_sim, **settings)
    result = row(label, "ais", out.log_likelihood, started, out.stderr, gap)
    result.update(mean_acceptance=round(out.acceptance.double().mean().item(), 3),
                  chains=settings["num_chains"], steps=settings["num_steps"])
    return result, out.log_likelihood


def dcgan_row(model, valid, test, args) -> dict:
    """The DCGAN's AIS row under its stated observation model (``--observation``)."""
    if args.observation == "bernoulli":
        decoder, prior = stated_decoder(model, "bernoulli")
        return ais_row("dcgan (bernoulli observation)", decoder, prior, test, args, True)[0]
    generator, prior = model.generator_and_prior()
    chosen = select_observation_sigma(generator, prior, valid, args.sigmas,
                                      **ais_settings(args, generator=True))
    decoder, prior = stated_decoder(model, "gaussian", chosen.sigma)
    out = ais_row(f"dcgan (gaussian observation, sigma {chosen.sigma})", decoder, prior, test,
                  args, True)[0]
    out["sigma_selection"] = chosen.summary()
    out["note"] = "a density on R^D, not a probability mass: not comparable with other rows"
    return out


def vae_rows(vae, test, args) -> tuple[list[dict], torch.Tensor]:
    """The VAE's ELBO and IWAE rows (its AIS row is :func:`ais_row`'s), and the IWAE's
    per-image estimates."""
    started = time.perf_counter()
    elbo = elbo_decomposition(vae.model, vae.guide, test, args.elbo_samples, seed=args.seed,
                              vectorize_particles=True)
    rows = [row("vae", f"elbo ({args.elbo_samples} draws)", elbo.elbo, started)]
    started = time.perf_counter()
    iwae = importance_log_likelihood(vae.model, vae.guide, test, args.iwae_samples,
                                     min(args.iwae_samples, 500), seed=args.seed)
    rows.append(row("vae", f"iwae-{args.iwae_samples}", iwae.log_likelihood, started,
                    iwae.stderr))
    return rows, iwae.log_likelihood


def paired(a: torch.Tensor, b: torch.Tensor) -> dict:
    """Mean per-image difference ``a - b`` (nats) and its standard error over the images."""
    d = (a.double() - b.double())
    return {"mean": round(d.mean().item(), 4),
            "stderr": round((d.std() / len(d) ** 0.5).item(), 4) if len(d) > 1 else None}


def main(argv=None) -> dict:
    args = parse_args(argv)
    started, cpu_started, load_start = time.perf_counter(), time.process_time(), os.getloadavg()
    runs = train(args)
    splits = runs["vae"].splits
    test, valid = spaced(splits.test, args.n_test), spaced(splits.valid, args.n_test)
    t0 = time.perf_counter()
    with torch.no_grad():
        exact = runs["nade"].model().log_prob(test.reshape(len(test), -1))
    table = [row("nade", "exact", exact, t0)]
    vae = runs["vae"].model
    rows, iwae = vae_rows(vae, test, args)
    table += rows
    vae_row, vae_ais = ais_row("vae", *stated_decoder(vae), test, args)
    table.append(vae_row)
    table.append(ais_row("aae", *stated_decoder(runs["aae"].model), test, args)[0])
    table.append(dcgan_row(runs["dcgan"].model, valid, test, args))
    recipes = {name: run.metrics["recipe"] for name, run in runs.items()}
    result = {
        "benchmark": "ais_mnist", "data": splits.name, "binarize": runs["vae"].config[
            "binarize"], "smoke": args.smoke, "seed": args.seed, "recipes": recipes,
        "n_train": len(splits.train), "n_test": len(test),
        "test_images": f"{len(test)} evenly spaced through the test split (one in every "
                       f"{len(splits.test) // len(test)}, from the first)",
        "epochs": {name: run.metrics["epochs"] for name, run in runs.items()},
        "ais": {"chains": args.chains, "steps": args.steps, "dcgan_chains": args.dcgan_chains,
                "dcgan_steps": args.dcgan_steps, "schedule": "sigmoid",
                "leapfrog": args.leapfrog, "step_size": "adaptive",
                "initial_step_size": args.initial_step_size, "n_sim": args.n_sim},
        "table": table,
        # Positive: AIS finds more probability than IWAE's guide-proposed draws.
        "vae_ais_minus_iwae_log_likelihood": paired(vae_ais, iwae),
        "train_seconds": {name: round(run.metrics["fit_seconds"], 1)
                          for name, run in runs.items()},
        "threads": torch.get_num_threads(),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu_started, 1),
        "load_average": {"start": list(load_start), "end": list(os.getloadavg())},
    }
    figures = {"columns": ["model", "estimator", "NLL (nats)", "stderr", "BDMC gap (nats)",
                           "seconds"],
               "rows": [[r["model"], r["estimator"], r["nll_nats"], r["stderr_nats"],
                         r.get("bdmc_gap_nats"), r["seconds"]] for r in table]}
    record_args = argparse.Namespace(**{**vars(args), "recipe": ", ".join(
        getattr(args, f"{name}_recipe") for name in RECIPES)})
    return finish(record_args, result, figures=figures, started=started)


if __name__ == "__main__":
    main()
