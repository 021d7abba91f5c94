"""Closed-form KL between two Gaussians against its Monte Carlo estimate, N = 1 ... 10^5.

For Gaussians q and p in D dimensions the KL divergence has a closed form, the one a VAE's
analytic rate term uses. Its Monte Carlo estimate, the mean of log q(z) - log p(z) over N
draws z ~ q, is unbiased with standard error sigma / sqrt(N), sigma being the standard
deviation of the log-ratio. This script, for a diagonal and a full-covariance pair,

1. runs ``inference.diagnostics.kl_check`` at log-spaced N (two points a decade);
2. prints one JSON line per (case, N): analytic KL, estimate, |error|, SE and z-score;
3. plots |error| against N on log-log axes next to the line sigma / sqrt(N), with sigma
   estimated from the largest run; the points scatter around the line (for a normal error,
   E|error| = 0.80 SE) and follow its slope of -1/2. Below about 100 draws the skewed
   log-ratios make both the error and the SE estimated from the draws erratic.

    python examples/kl_check.py [--smoke] [--out kl_check.png]
"""

import argparse
import json
import math

import numpy as np
import pyro.distributions as dist
import torch
from matplotlib.figure import Figure

from inference.diagnostics import kl_check


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dim", type=int, default=5, help="dimension D of the Gaussians")
    p.add_argument("--max-exp", type=int, default=5, help="largest N is 10^max-exp")
    p.add_argument("--seed", type=int, default=0, help="seed of the Gaussians and the draws")
    p.add_argument("--out", default="kl_check.png", help="path of the PNG to write")
    p.add_argument("--smoke", action="store_true", help="N up to 10^3 only (seconds)")
    return p.parse_args(argv)


def gaussian_pairs(dim: int, seed: int) -> dict:
    """``{"diagonal": (q, p), "full covariance": (q, p)}`` with random parameters."""
    g = torch.Generator().manual_seed(seed)

    def diagonal():
        scale = torch.rand(dim, generator=g, dtype=torch.float64) + 0.5
        return dist.Normal(torch.randn(dim, generator=g, dtype=torch.float64), scale).to_event(1)

    def full():
        a = torch.randn(dim, dim, generator=g, dtype=torch.float64)
        cov = a @ a.T / dim + 0.5 * torch.eye(dim, dtype=torch.float64)
        return dist.MultivariateNormal(torch.randn(dim, generator=g, dtype=torch.float64), cov)

    return {"diagonal": (diagonal(), diagonal()), "full covariance": (full(), full())}


def sample_sizes(max_exp: int) -> list[int]:
    """1, 3, 10, 32, ..., 10^max_exp: two log-spaced points a decade."""
    return sorted({round(v) for v in np.logspace(0, max_exp, 2 * max_exp + 1)})


def run(pairs: dict, sizes: list[int], seed: int) -> list[dict]:
    rows = []
    for case, (q, p) in pairs.items():
        for k, n in enumerate(sizes):
            check = kl_check(q, p, n, seed=seed + k)
            rows.append({"case": case, "num_samples": n, "analytic": check.analytic.item(),
                         "monte_carlo": check.monte_carlo.item(),
                         "abs_error": abs(check.monte_carlo - check.analytic).item(),
                         "stderr": check.stderr.item(), "z": check.z_score.item()})
    return rows


def log_ratio_sd(rows: list[dict]) -> dict[str, float]:
    """sigma per case from its largest run: SE * sqrt(N)."""
    largest = {}
    for r in rows:
        if r["num_samples"] >= largest.get(r["case"], {"num_samples": 0})["num_samples"]:
            largest[r["case"]] = r
    return {case: r["stderr"] * math.sqrt(r["num_samples"]) for case, r in largest.items()}


def plot(rows: list[dict], sigma: dict[str, float], path: str) -> None:
    fig = Figure(figsize=(5.5, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for k, case in enumerate(sigma):
        mine = [r for r in rows if r["case"] == case]
        n = np.array([r["num_samples"] for r in mine], dtype=float)
        error = np.array([r["abs_error"] for r in mine])
        ax.loglog(n, error, "o", color=f"C{k}", label=f"{case}: |MC - analytic|")
        ax.loglog(n, sigma[case] / np.sqrt(n), "--", color=f"C{k}",
                  label=f"{case}: SE = {sigma[case]:.2f} / sqrt(N)")
    ax.set_xlabel("Monte Carlo draws N")
    ax.set_ylabel("|error| (nats)")
    ax.set_title("KL(q || p): closed form vs Monte Carlo", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.savefig(path, dpi=100)


def main(args):
    sizes = sample_sizes(min(args.max_exp, 3) if args.smoke else args.max_exp)
    rows = run(gaussian_pairs(args.dim, args.seed), sizes, args.seed)
    for r in rows:
        print(json.dumps(r))
    sigma = log_ratio_sd(rows)
    plot(rows, sigma, args.out)
    print(f"wrote {args.out}")
    return {"rows": rows, "sigma": sigma, "out": args.out}


if __name__ == "__main__":
    main(parse_args())
