"""The Bayesian chain-rule pixel model: NUTS against the exact Beta posterior.

The chain-rule pixel model (``ChainRuleBernoulli``, see ``parameter_counting.py``) writes a
distribution over binary pixels as a product of conditionals, one conditional probability
table (CPT) per pixel. Here every CPT entry is itself random, with a Beta prior:

.. math::

   \\theta_{i,j} \\sim \\mathrm{Beta}(a, b), \\qquad
   x_{n,i} \\mid x_{n,\\mathrm{pa}(i)} = j \\;\\sim\\; \\mathrm{Bernoulli}(\\theta_{i,j}),

with parent sets ``pa(i) = {i - 1}`` (a first-order Markov chain in raster order, ``2n - 1``
entries; the default) or ``pa(i) = {}`` (independent pixels, ``n`` entries). The pixels are the
``side x side`` centre patch of the threshold-binarised 8 x 8 digits (default 4 x 4 = 16
pixels), and the data are the training split. The model is the Pyro program
:meth:`ppl_models.bayesian_chain_rule.BetaBernoulliChainRule.model`: one ``pyro.plate`` over the
CPT entries, one over the images, no Python loop over data.

**Conjugacy.** Entry :math:`\\theta_{i,j}` appears in the likelihood only through the images
whose parents are in configuration ``j``; among them, :math:`n^1_{i,j}` have pixel ``i`` on and
:math:`n^0_{i,j}` off. The likelihood is :math:`\\prod_{i,j}\\theta_{i,j}^{n^1_{i,j}}
(1-\\theta_{i,j})^{n^0_{i,j}}`, so with independent Beta priors the posterior factorises into

.. math:: \\theta_{i,j} \\mid x \\sim \\mathrm{Beta}(a + n^1_{i,j},\\; b + n^0_{i,j})

(Heckerman et al. 1995's parameter independence; the counts are those of
``ChainRuleBernoulli.fit``). NUTS never uses this: it samples the unnormalised joint in the
logit space of every entry. The script therefore checks the sampler against the truth:

- an ArviZ summary (``az.from_pyro`` + ``az.summary``) with split-r̂, bulk and tail ESS;
- for every entry, the NUTS posterior mean and sd against the exact Beta mean and sd, as
  z-scores in units of ArviZ's Monte Carlo standard errors (``mcse_mean``, ``mcse_sd``);
  a correct sampler gives z-scores that look standard normal;
- a PNG with NUTS histograms over the exact Beta densities for four entries, the z-scores of
  every entry, and its ESS and r̂.

Chains run one after another in this process (not Pyro's multiprocessing), so the numbers
depend only on ``--seed``.

    python examples/bayesian_pixel_model.py [--structure independent] [--patch 3] [--smoke]

References:

1. Hoffman & Gelman, "The No-U-Turn Sampler", JMLR 15, 2014.
2. Heckerman, Geiger & Chickering, "Learning Bayesian networks: the combination of knowledge
   and statistical data", Machine Learning 20, 1995.
3. Gelman et al., "Bayesian Data Analysis", 3rd ed., CRC 2013, ch. 2.4 (Beta-Bernoulli).
4. Vehtari, Gelman, Simpson, Carpenter & Bürkner, "Rank-normalization, folding, and
   localization: an improved R-hat for assessing convergence of MCMC", Bayesian Analysis 2021
   (the r̂, ESS and MCSE that ArviZ reports).
"""

import argparse
import time
from pathlib import Path

import arviz as az
import numpy as np
import pyro
import torch
from matplotlib.figure import Figure
from pyro.infer import MCMC, NUTS

from ppl_models.bayesian_chain_rule import BetaBernoulliChainRule
from ppl_models.data import load_dataset

# (patch side, warm-up steps, samples per chain): the full run and the --smoke run.
DEFAULTS = {"full": (4, 300, 700), "smoke": (3, 150, 200)}
# A correct sampler's z-scores are roughly standard normal; 4 MCSE leaves ~6e-5 per entry.
Z_TOLERANCE = 4.0


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--structure", choices=["markov", "independent"], default="markov",
                   help="parents of each pixel: the previous pixel in raster order, or none")
    p.add_argument("--patch", type=int, default=None,
                   help=f"side of the centre patch (default {DEFAULTS['full'][0]}, "
                        f"{DEFAULTS['smoke'][0]} with --smoke)")
    p.add_argument("--prior-a", type=float, default=1.0, help="Beta prior a (pseudo-ones)")
    p.add_argument("--prior-b", type=float, default=1.0, help="Beta prior b (pseudo-zeros)")
    p.add_argument("--chains", type=int, default=2,
                   help="chains, run one after another (r̂ needs at least 2)")
    p.add_argument("--warmup", type=int, default=None,
                   help=f"warm-up steps per chain (default {DEFAULTS['full'][1]}, "
                        f"{DEFAULTS['smoke'][1]} with --smoke)")
    p.add_argument("--samples", type=int, default=None,
                   help=f"kept samples per chain (default {DEFAULTS['full'][2]}, "
                        f"{DEFAULTS['smoke'][2]} with --smoke)")
    p.add_argument("--seed", type=int, default=0, help="seed of the data split and of NUTS")
    p.add_argument("--no-jit", action="store_true",
                   help="do not JIT-compile the potential (about twice as slow)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (the tensors are tiny: one thread is fastest)")
    p.add_argument("--out", default="bayesian_pixel_model",
                   help="folder for nuts_vs_exact.png")
    p.add_argument("--smoke", action="store_true",
                   help="3 x 3 patch, 150 warm-up + 200 samples per chain: seconds")
    return p.parse_args(argv)


def centre_patch(images: torch.Tensor, side: int) -> torch.Tensor:
    """The ``side x side`` centre pixels of ``(N, 1, H, W)`` images, ``(N, side^2)`` raster."""
    h, w = images.shape[-2:]
    if not 1 <= side <= min(h, w):
        raise ValueError(f"patch side must be in 1..{min(h, w)}, got {side}")
    top, left = (h - side) // 2, (w - side) // 2
    return images[..., top:top + side, left:left + side].reshape(len(images), -1)


def run_nuts(model: BetaBernoulliChainRule, x: torch.Tensor, *, chains: int, warmup: int,
             samples: int, seed: int, jit: bool = True) -> az.InferenceData:
    """NUTS on ``model.model(x)``, ``chains`` chains in turn; posterior as InferenceData.

    One seed, set once, drives every chain in sequence; each chain starts from its own
    random point (Pyro's ``init_to_uniform`` on the logit scale) and adapts its own step
    size and diagonal mass matrix.
    """
    pyro.set_rng_seed(seed)
    entry = model.entry_index(x)
    labels = model.entry_labels()
    parts = []
    for _ in range(chains):
        kernel = NUTS(model.model, jit_compile=jit, ignore_jit_warnings=True)
        mcmc = MCMC(kernel, num_samples=samples, warmup_steps=warmup, disable_progbar=True)
        mcmc.run(x, entry)
        parts.append(az.from_pyro(mcmc, log_likelihood=False, coords={"entry": labels},
                                  dims={"theta": ["entry"]}))
    return parts[0] if chains == 1 else az.concat(*parts, dim="chain")


def compare_to_exact(summary, concentration1, concentration0) -> dict[str, np.ndarray]:
    """NUTS moments from an ``az.summary`` table against exact ``Beta(c1, c0)`` moments.

    :param summary: ``az.summary(..., round_to="none")`` of ``theta``, one row per entry.
    :param concentration1: ``(K,)`` exact posterior ``a + n1``.
    :param concentration0: ``(K,)`` exact posterior ``b + n0``.
    :returns: arrays of length ``K``: NUTS and exact means and sds, ArviZ's MCSEs, the
        z-scores ``(nuts - exact) / mcse`` of mean and sd, the relative sd error, ESS, r̂.
    """
    c1 = np.asarray(concentration1, dtype=np.float64)
    c0 = np.asarray(concentration0, dtype=np.float64)
    total = c1 + c0
    mean_exact = c1 / total
    sd_exact = np.sqrt(c1 * c0 / (total**2 * (total + 1)))
    col = {name: summary[name].to_numpy(dtype=np.float64)
           for name in ("mean", "sd", "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat")}
    return {
        "concentration1": c1, "concentration0": c0,
        "mean_nuts": col["mean"], "mean_exact": mean_exact, "mcse_mean": col["mcse_mean"],
        "z_mean": (col["mean"] - mean_exact) / col["mcse_mean"],
        "sd_nuts": col["sd"], "sd_exact": sd_exact, "mcse_sd": col["mcse_sd"],
        "z_sd": (col["sd"] - sd_exact) / col["mcse_sd"],
        "rel_sd_error": col["sd"] / sd_exact - 1.0,
        "ess_bulk": col["ess_bulk"], "ess_tail": col["ess_tail"], "r_hat": col["r_hat"],
    }


def pick_entries(counts: torch.Tensor, z_mean: np.ndarray, k: int = 4) -> list[int]:
    """Entries worth a histogram: fewest data, most data, then the largest |z| of the mean."""
    chosen = [int(counts.argmin()), int(counts.argmax())]
    for i in np.argsort(-np.abs(z_mean)).tolist():
        if len(chosen) >= min(k, len(z_mean)):
            break
        if i not in chosen:
            chosen.append(i)
    return chosen[:k]


def save_figure(path: Path, draws: np.ndarray, comparison: dict, labels: list[str],
                picks: list[int], title: str) -> None:
    """NUTS histograms over exact Beta densities; z-scores; ESS and r̂ per entry."""
    fig = Figure(figsize=(14, 7.5), layout="constrained")
    grid = fig.add_gridspec(2, 4)
    for col, k in enumerate(picks):
        ax = fig.add_subplot(grid[0, col])
        ax.hist(draws[:, k], bins=40, density=True, color="tab:blue", alpha=0.5,
                label="NUTS")
        m, s = comparison["mean_exact"][k], comparison["sd_exact"][k]
        c1, c0 = comparison["concentration1"][k], comparison["concentration0"][k]
        grid_x = torch.linspace(max(m - 5 * s, 1e-6), min(m + 5 * s, 1 - 1e-6), 300,
                                dtype=torch.float64)
        density = torch.distributions.Beta(float(c1), float(c0)).log_prob(grid_x).exp()
        ax.plot(grid_x.numpy(), density.numpy(), color="black",
                label=f"exact Beta({c1:g}, {c0:g})")
        ax.set_title(f"θ[{labels[k]}]  z={comparison['z_mean'][k]:+.2f}", fontsize=9)
        ax.legend(fontsize=7)
    idx = np.arange(len(labels))
    ax = fig.add_subplot(grid[1, :2])
    ax.axhspan(-Z_TOLERANCE, Z_TOLERANCE, color="0.92")
    ax.axhline(0, color="0.5", lw=0.8)
    ax.plot(idx, comparison["z_mean"], "o", label="mean: (NUTS − exact) / MCSE")
    ax.plot(idx, comparison["z_sd"], "x", label="sd: (NUTS − exact) / MCSE")
    ax.set_xticks(idx, labels, rotation=90, fontsize=6)
    ax.set_ylabel("z-score")
    ax.set_title(f"agreement with the conjugate posterior (band: ±{Z_TOLERANCE:g})",
                 fontsize=9)
    ax.legend(fontsize=7)
    ax = fig.add_subplot(grid[1, 2])
    ax.bar(idx - 0.2, comparison["ess_bulk"], width=0.4, label="bulk")
    ax.bar(idx + 0.2, comparison["ess_tail"], width=0.4, label="tail")
    ax.set_xticks(idx, labels, rotation=90, fontsize=6)
    ax.set_title("effective sample size", fontsize=9)
    ax.legend(fontsize=7)
    ax = fig.add_subplot(grid[1, 3])
    ax.plot(idx, comparison["r_hat"], "o")
    ax.axhline(1.0, color="0.5", lw=0.8)
    ax.axhline(1.01, color="tab:red", ls="--", lw=0.8, label="1.01")
    ax.set_xticks(idx, labels, rotation=90, fontsize=6)
    ax.set_title("split r̂ (rank-normalised)", fontsize=9)
    ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def print_comparison(comparison: dict, labels: list[str], counts: torch.Tensor) -> None:
    print(f"\n{'entry':<14} {'n':>5} {'mean NUTS':>10} {'exact':>8} {'z':>6} "
          f"{'sd NUTS':>9} {'exact':>8} {'z':>6} {'rel':>6} {'ess':>6} {'r_hat':>6}")
    c = comparison
    for k, label in enumerate(labels):
        print(f"{label:<14} {int(counts[k]):>5} {c['mean_nuts'][k]:10.4f} "
              f"{c['mean_exact'][k]:8.4f} {c['z_mean'][k]:+6.2f} {c['sd_nuts'][k]:9.5f} "
              f"{c['sd_exact'][k]:8.5f} {c['z_sd'][k]:+6.2f} {c['rel_sd_error'][k]:+6.3f} "
              f"{c['ess_bulk'][k]:6.0f} {c['r_hat'][k]:6.3f}")


def main(args):
    start = time.perf_counter()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    full_side, full_warmup, full_samples = DEFAULTS["smoke" if args.smoke else "full"]
    side = args.patch or full_side
    warmup = full_warmup if args.warmup is None else args.warmup
    samples = full_samples if args.samples is None else args.samples

    splits = load_dataset("digits", binarize="threshold", seed=args.seed)
    x = centre_patch(splits.images("train"), side)
    model = getattr(BetaBernoulliChainRule, args.structure)(x.shape[1], args.prior_a,
                                                           args.prior_b)
    labels = model.entry_labels()
    ones, zeros = model.counts(x)
    exact = model.posterior(x)
    print(f"{args.structure} Beta({args.prior_a:g}, {args.prior_b:g})-Bernoulli model on the "
          f"{side}x{side} centre patch of {len(x)} binarised digits: {model.num_entries} CPT "
          f"entries; NUTS {args.chains} chain(s) x ({warmup} warm-up + {samples} samples)")

    idata = run_nuts(model, x, chains=args.chains, warmup=warmup, samples=samples,
                     seed=args.seed, jit=not args.no_jit)
    summary = az.summary(idata, var_names=["theta"], round_to="none")
    print(summary.to_string(float_format=lambda v: f"{v:.4f}"))
    comparison = compare_to_exact(summary, exact.concentration1, exact.concentration0)
    print_comparison(comparison, labels, ones + zeros)

    picks = pick_entries(ones + zeros, comparison["z_mean"])
    figure = Path(args.out) / "nuts_vs_exact.png"
    draws = idata.posterior["theta"].values  # (chains, samples, entries)
    save_figure(figure, draws.reshape(-1, model.num_entries), comparison, labels, picks,
                f"NUTS vs exact Beta posterior: {args.structure}, {side}x{side} digits patch, "
                f"{args.chains} x {samples} draws")
    results = {
        "structure": args.structure,
        "num_pixels": x.shape[1],
        "num_data": len(x),
        "num_entries": model.num_entries,
        "chains": args.chains,
        "warmup": warmup,
        "samples": samples,
        "prior": (args.prior_a, args.prior_b),
        "counts": (ones, zeros),
        "summary": summary,
        "draws": draws,
        "comparison": comparison,
        "max_abs_z_mean": float(np.abs(comparison["z_mean"]).max()),
        "max_abs_z_sd": float(np.abs(comparison["z_sd"]).max()),
        "max_abs_rel_sd_error": float(np.abs(comparison["rel_sd_error"]).max()),
        "max_r_hat": float(comparison["r_hat"].max()),
        "min_ess_bulk": float(comparison["ess_bulk"].min()),
        "min_ess_tail": float(comparison["ess_tail"].min()),
        "figure": str(figure),
    }
    results["seconds"] = time.perf_counter() - start
    print(f"\nmax |z| mean {results['max_abs_z_mean']:.2f}, sd {results['max_abs_z_sd']:.2f}; "
          f"max |sd error| {100 * results['max_abs_rel_sd_error']:.1f}%; max r_hat "
          f"{results['max_r_hat']:.4f}; min ESS bulk {results['min_ess_bulk']:.0f}, tail "
          f"{results['min_ess_tail']:.0f}; {results['seconds']:.1f} s; figure {figure}")
    return results


if __name__ == "__main__":
    main(parse_args())
