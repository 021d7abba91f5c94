"""Anomaly detection from exact densities and bounds: ROC curves per model and score.

Four recipes are trained by ``ppl-models train`` on every digit but one (the recipes hold out
the nines, ``holdout_class = 9``; ``--held-out`` picks another): a NADE
(``anomaly_nade_digits``), a Bernoulli MLP VAE (``anomaly_vae_digits``) and the two
backgrounds of the likelihood ratio, fitted by ``train --perturb`` to images whose pixels
are coin flips with probability 0.2 (Ren et al. 2019): a small NADE
(``anomaly_background_digits``) and independent Bernoulli pixels
(``anomaly_independent_background_digits``). The baseline is independent Bernoulli pixels
counted on the same training images (closed form). The test images of the kept digits are
the in-distribution set; the held-out digit's test images, the test images inverted, uniform
binary noise and the constant images are out of distribution (on 28x28 data, ``--dataset
mnist5k``, also scikit-learn's 8x8 digits upsampled). Each set is scored by
:func:`inference.metrics.anomaly_scores`: the NLL of the baseline and of the NADE, the
NADE's likelihood ratio against each background, the VAE's −ELBO and −IWAE-K (K its
recipe's ``iw_samples``), and by the typicality test on batches of 10 (Nalisnick et al.
2019). Writes one ROC figure per out-of-distribution set and a histogram of the NADE's
bits/dim in and out of distribution, and prints the AUROC table as JSON.

    python examples/anomaly_detection.py [--smoke] [--out runs/anomaly_detection]
    python examples/anomaly_detection.py --dataset mnist5k --epochs 20 --held-out 1
"""

import argparse
from pathlib import Path

import torch

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import (
    anomaly_scores,
    detection_metrics,
    exact_log_likelihood,
    roc_points,
    typicality_test,
)
from inference.plots import save_roc_curves, save_score_histograms
from ppl_models import registry
from ppl_models.data import (
    constant_images,
    held_out_classes,
    inverted,
    load_digits_images,
    resized,
    uniform_noise,
)

RECIPES = {"nade": "anomaly_nade_digits", "background": "anomaly_background_digits",
           "independent_background": "anomaly_independent_background_digits",
           "vae": "anomaly_vae_digits"}
#: Seconds: 400 training images, two epochs, tiny networks.
SMOKE_DATA = {"train_size": 400, "epochs": 2}
SMOKE = {"nade": {"hidden": 8}, "background": {"hidden": 4}, "independent_background": {},
         "vae": {"latent_dim": 2, "iw_samples": 10}}
TYPICALITY_BATCH = 10


def parse_args(argv=None):
    p = script_parser(__doc__, out="runs/anomaly_detection")
    p.add_argument("--dataset", choices=["digits", "mnist5k"], default=None,
                   help="every recipe's data set (default: theirs, the 8x8 digits)")
    p.add_argument("--held-out", type=int, default=None,
                   help="the digit left out of training (default: the recipes', 9)")
    p.add_argument("--epochs", type=int, default=None,
                   help="every model's most epochs (default: its recipe's)")
    return p.parse_args(argv)


def trained(args) -> dict:
    """Each recipe of :data:`RECIPES` run by ``ppl-models train``, in ``OUT/<model>``."""
    same = {key: value for key, value in (("dataset", args.dataset),
                                          ("holdout_class", args.held_out))
            if value is not None}
    runs = {}
    for model, recipe in RECIPES.items():
        own = argparse.Namespace(**{**vars(args), "recipe": recipe})
        smoke = {**SMOKE_DATA, **SMOKE[model]}
        runs[model] = train_recipe(recipe, Path(args.out) / model,
                                   **{**recipe_overrides(own, smoke), **same})
    return runs


def main(args):
    runs = trained(args)
    nade, vae = runs["nade"].model, runs["vae"].model
    splits, k = runs["nade"].splits, runs["nade"].config["holdout_class"]
    shape, iw = splits.image_shape, runs["vae"].config["iw_samples"]
    train, valid = splits.flat("train"), splits.flat("valid")
    test_in, _, test_out, _ = held_out_classes(splits.test, splits.test_labels, k)
    # The baseline, in closed form on the same training images.
    independent = registry.build("independent", dim=splits.dim).fit(train, alpha=1, beta=1)
    backgrounds = {"": runs["independent_background"].model,
                   " (NADE background)": runs["background"].model}
    scores = {
        "independent NLL": lambda x: anomaly_scores(independent, x),
        "NADE NLL": lambda x: anomaly_scores(nade, x),
        **{f"NADE likelihood ratio{name}": (lambda x, bg=bg: anomaly_scores(
            nade, x, "likelihood_ratio", background=bg)) for name, bg in backgrounds.items()},
        "VAE -ELBO": lambda x: anomaly_scores(vae, x, "neg_elbo", seed=args.seed),
        f"VAE -IWAE-{iw}": lambda x: anomaly_scores(vae, x, "neg_iwae", num_samples=iw,
                                                    seed=args.seed),
    }
    gen = torch.Generator().manual_seed(args.seed)
    ood = {f"held-out digit {k}": test_out, "inverted": inverted(test_in),
           "uniform noise": uniform_noise(len(test_in), shape, generator=gen),
           "constant": constant_images(shape)}
    digits, _ = load_digits_images()
    if tuple(digits.shape[1:]) != shape:
        ood["sklearn digits upsampled"] = resized(digits, shape[1:])

    out = Path(args.out)
    in_scores = {name: s(test_in) for name, s in scores.items()}
    auroc, figures = {}, []
    for set_name, x in ood.items():
        curves, auroc[set_name] = {}, {}
        for name, s in scores.items():
            s_out = s(x)
            m = detection_metrics(in_scores[name], s_out)
            auroc[set_name][name] = round(m["auroc"], 4)
            curves[name] = (*roc_points(in_scores[name], s_out), m["auroc"])
        path = out / f"roc_{set_name.replace(' ', '_')}.png"
        save_roc_curves(curves, path, title=f"{splits.name} without {k}: test vs {set_name}")
        figures.append(str(path))
    bpd = {"in distribution (test)": anomaly_scores(nade, test_in, "bits_per_dim")}
    bpd.update({name: anomaly_scores(nade, x, "bits_per_dim") for name, x in ood.items()
                if len(x) > 2})
    figures.append(str(save_score_histograms(
        bpd, out / "nade_bits_per_dim.png",
        title=f"NADE (H={runs['nade'].config['hidden']}) bits/dim, in and out")))

    # Typicality on batches: the threshold from training log-likelihoods, resampled.
    test = typicality_test(exact_log_likelihood(nade, train), TYPICALITY_BATCH,
                           bootstrap_log_likelihood=exact_log_likelihood(nade, valid),
                           seed=args.seed)
    rejected = {}
    for name, x in {"in distribution (test)": test_in, **ood}.items():
        if len(x) >= TYPICALITY_BATCH:
            stat = anomaly_scores(nade, x, "typicality", reference=test)
            rejected[name] = round((stat > test.threshold).double().mean().item(), 4)
    return finish(args, {
        "dataset": splits.name, "held_out": k, "n_train": len(train),
        "n_test_in": len(test_in), "n_test_out": len(test_out), "seed": args.seed,
        "recipes": {model: run.metrics["recipe"] for model, run in runs.items()},
        "epochs": {model: run.metrics["epochs"] for model, run in runs.items()},
        "auroc": auroc, "typicality_batches_rejected": rejected,
        "typicality_threshold_nats": round(test.threshold, 3), "figures": figures})


if __name__ == "__main__":
    main(parse_args())
