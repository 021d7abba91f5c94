"""Anomaly detection from exact densities and bounds: ROC curves per model and score.

Three models are fitted on every digit but one (``--held-out``, default 9): the independent
Bernoulli (closed form), a NADE (exact, maximum likelihood) and a VAE (SVI). The test images
of the kept digits are the in-distribution set; the held-out digit, the test images inverted,
uniform binary noise and the constant images are out of distribution (with ``--dataset
mnist5k``, also scikit-learn's 8x8 digits upsampled to 28x28). Each set is scored by each
model's scores (:func:`inference.metrics.anomaly_scores`): an exact model's NLL, the NADE's
likelihood ratios against two backgrounds fitted to perturbed images (Ren et al. 2019): an
independent model and a small NADE (``--background-hidden``,
:func:`inference.cli.fitting.fit_background`)
and a VAE's −ELBO and −IWAE-K, and by the typicality test on batches of 10 (Nalisnick et al.
2019). Writes one ROC figure per out-of-distribution set, a histogram of the NADE's bits/dim
in and out of distribution, and prints the AUROC table as JSON.

    python examples/anomaly_detection.py --out anomaly
    python examples/anomaly_detection.py --dataset mnist5k --hidden 100 --epochs 20
    python examples/anomaly_detection.py --smoke
"""

import argparse
import json
from pathlib import Path

import torch

from inference.cli.fitting import fit_background, fit_network, fit_vae
from inference.metrics import (
    anomaly_scores,
    detection_metrics,
    exact_log_likelihood,
    roc_points,
    typicality_test,
)
from inference.plots import save_roc_curves, save_score_histograms
from inference.training import seed_everything
from ppl_models import registry
from ppl_models.data import (
    constant_images,
    held_out_classes,
    inverted,
    load_dataset,
    load_digits_images,
    perturb_binary,
    resized,
    uniform_noise,
)

TYPICALITY_BATCH = 10
SMOKE_TRAIN = 400


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=["digits", "mnist5k"], default="digits")
    p.add_argument("--held-out", type=int, default=9, help="the digit left out of training")
    p.add_argument("--hidden", type=int, default=50, help="NADE hidden units")
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--iw-samples", type=int, default=100)
    p.add_argument("--perturb", type=float, default=0.2,
                   help="perturbation rate of the likelihood ratio's background model")
    p.add_argument("--background-hidden", type=int, default=10,
                   help="hidden units of the NADE background (small: it should learn only "
                        "population statistics)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="anomaly_detection", help="folder for the figures")
    p.add_argument("--smoke", action="store_true",
                   help=f"{SMOKE_TRAIN} training and {SMOKE_TRAIN // 4} test images, 2 epochs, "
                        "small models: seconds")
    return p.parse_args(argv)


def load(args):
    """Binary train / valid / test images and labels, and the extra OOD sets of the data."""
    splits = load_dataset(args.dataset, seed=args.seed)
    parts = {s: (splits.images(s), getattr(splits, f"{s}_labels"))
             for s in ("train", "valid", "test")}
    extra = {}
    if args.dataset == "mnist5k":
        digits, _ = load_digits_images()
        extra["sklearn digits upsampled"] = resized(digits, (28, 28))
    return parts, splits.image_shape, extra


def main(args):
    torch.set_num_threads(1)
    seed_everything(args.seed)
    parts, shape, extra = load(args)
    k = args.held_out
    train, _, _, _ = held_out_classes(*parts["train"], k)
    valid, _, _, _ = held_out_classes(*parts["valid"], k)
    test_in, _, test_out, _ = held_out_classes(*parts["test"], k)
    if args.smoke:
        train, valid = train[:SMOKE_TRAIN], valid[:SMOKE_TRAIN // 4]
        test_in = test_in[:SMOKE_TRAIN // 4]
    dim = train[0].numel()
    hidden, latent, epochs = (8, 2, 2) if args.smoke else (args.hidden, args.latent_dim,
                                                           args.epochs)
    iw = 10 if args.smoke else args.iw_samples
    flat = {n: t.reshape(len(t), -1) for n, t in (("train", train), ("valid", valid))}

    independent = registry.build("independent", dim=dim).fit(flat["train"], alpha=1, beta=1)
    nade = registry.build("nade", dim=dim, hidden=hidden)
    fit_network(nade, flat["train"], flat["valid"], epochs=epochs, lr=5e-3, patience=10,
                seed=args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    background = registry.build("independent", dim=dim).fit(
        perturb_binary(flat["train"], args.perturb, generator=gen), alpha=1, beta=1)
    # The second background: a small NADE on pixel-flipped data (Ren et al. 2019), which
    # also divides out correlations between pixels that the independent one cannot.
    nade_background = registry.build("nade", dim=dim,
                                     hidden=4 if args.smoke else args.background_hidden)
    fit_background(nade_background, flat["train"], flat["valid"], args.perturb,
                   seed=args.seed, epochs=epochs, lr=5e-3, patience=10)
    vae = registry.build("vae", input_shape=list(shape), latent_dim=latent, hidden=[200])
    fit_vae(vae, train, valid, epochs=epochs, objective="meanfield", lr=3e-3, patience=10,
            seed=args.seed)

    scores = {
        "independent NLL": lambda x: anomaly_scores(independent, x),
        "NADE NLL": lambda x: anomaly_scores(nade, x),
        "NADE likelihood ratio": lambda x: anomaly_scores(nade, x, "likelihood_ratio",
                                                          background=background),
        "NADE likelihood ratio (NADE background)": lambda x: anomaly_scores(
            nade, x, "likelihood_ratio", background=nade_background),
        "VAE -ELBO": lambda x: anomaly_scores(vae, x, "neg_elbo", seed=args.seed),
        f"VAE -IWAE-{iw}": lambda x: anomaly_scores(vae, x, "neg_iwae", num_samples=iw,
                                                    seed=args.seed),
    }
    ood = {f"held-out digit {k}": test_out, "inverted": inverted(test_in),
           "uniform noise": uniform_noise(len(test_in), shape, generator=gen),
           "constant": constant_images(shape), **extra}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
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
        save_roc_curves(curves, path, title=f"{args.dataset} without {k}: test vs {set_name}")
        figures.append(str(path))
    bpd = {"in distribution (test)": anomaly_scores(nade, test_in, "bits_per_dim")}
    bpd.update({name: anomaly_scores(nade, x, "bits_per_dim") for name, x in ood.items()
                if len(x) > 2})
    hist = save_score_histograms(bpd, out / "nade_bits_per_dim.png",
                                 title=f"NADE (H={hidden}) bits/dim, in and out")
    figures.append(str(hist))

    # Typicality on batches: the threshold from training log-likelihoods, resampled.
    test = typicality_test(exact_log_likelihood(nade, flat["train"]), TYPICALITY_BATCH,
                           bootstrap_log_likelihood=exact_log_likelihood(nade, flat["valid"]),
                           seed=args.seed)
    rejected = {}
    for name, x in {"in distribution (test)": test_in, **ood}.items():
        if len(x) >= TYPICALITY_BATCH:
            stat = anomaly_scores(nade, x, "typicality", reference=test)
            rejected[name] = round((stat > test.threshold).double().mean().item(), 4)
    result = {"dataset": args.dataset, "held_out": k, "n_train": len(train),
              "n_test_in": len(test_in), "nade_hidden": hidden, "vae_latent_dim": latent,
              "epochs": epochs, "seed": args.seed, "auroc": auroc,
              "typicality_batches_rejected": rejected,
              "typicality_threshold_nats": round(test.threshold, 3),
              "figures": figures}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(parse_args())
