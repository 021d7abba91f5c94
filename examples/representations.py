"""What the models learned without labels: linear-probe accuracy against the number of labels.

The report's NADE, VAE, adversarial autoencoder and InfoGAN (its recipes ``report_nade``,
``report_vae``, ``report_aae`` and ``report_infogan``) are trained by ``ppl-models train``,
without labels, on the training split of ``--dataset``. Their representations are a NADE's
hidden state at the last position, the VAE's posterior mean, the AAE's code and InfoGAN's
shared discriminator/Q body (each model's own ``features(x)``, called through
:func:`inference.metrics.model_features`). Each is compared with the raw pixels and with PCA
of the same size by a cross-validated logistic-regression probe
(:func:`inference.metrics.linear_probe`) fitted on 1, 2, 5, 10 labels per class and on every
training label, and by k-means clustering accuracy
(:func:`inference.metrics.kmeans_accuracy`). Writes the probe curve and a 2-D map (the first
two principal components) of each representation coloured by digit; prints JSON.

    python examples/representations.py [--smoke] [--epochs 30] [--out runs/representations]
    python examples/representations.py --dataset mnist5k
"""

import argparse
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from inference.cli.recipe_run import train_recipe
from inference.cli.script_options import finish, recipe_overrides, script_parser
from inference.metrics import kmeans_accuracy, linear_probe, model_features
from inference.plots import save_latent_map, save_probe_accuracy

MODELS = {"NADE h_D": "report_nade", "VAE mean": "report_vae", "AAE code": "report_aae",
          "InfoGAN body": "report_infogan"}
LABELS_PER_CLASS = (1, 2, 5, 10)
#: Seconds: 400 training images, tiny widths, one epoch; a coarse probe.
SMOKE = {"report_nade": {"hidden": 8}, "report_vae": {"latent_dim": 2, "vae_hidden": [16]},
         "report_aae": {"latent_dim": 2, "vae_hidden": [16]},
         "report_infogan": {"infogan_channels": 4, "infogan_hidden": 16}}
SMOKE_PROBE = {"labels_per_class": (1, 5), "Cs": 3, "cv": 2, "max_iter": 100}


def parse_args(argv=None):
    p = script_parser(__doc__, out="runs/representations")
    p.add_argument("--dataset", choices=["digits", "mnist5k"], default="digits")
    p.add_argument("--epochs", type=int, default=30, help="every model's epochs")
    p.add_argument("--label-draws", type=int, default=3,
                   help="random label subsets averaged at each few-label point")
    return p.parse_args(argv)


def probe_curve(f_train, y_train, f_test, y_test, draws: int, seed: int,
                labels_per_class=LABELS_PER_CLASS, **probe_options) -> dict[int, float]:
    """Probe accuracy at each number of labels (mean over ``draws`` label subsets), then
    with every training label; ``probe_options`` go to :func:`linear_probe`."""
    classes = len(np.unique(y_train))
    curve = {}
    for per_class in labels_per_class:
        accs = [linear_probe(f_train, y_train, f_test, y_test, labels_per_class=per_class,
                             seed=seed + d, **probe_options).accuracy for d in range(draws)]
        curve[per_class * classes] = float(np.mean(accs))
    curve[len(y_train)] = linear_probe(f_train, y_train, f_test, y_test, seed=seed,
                                       **probe_options).accuracy
    return curve


def main(args):
    smoke_data = {"dataset": args.dataset, "train_size": 400, "epochs": 1}
    features, data = {}, None
    for name, recipe in MODELS.items():
        own = argparse.Namespace(**{**vars(args), "recipe": recipe})
        run = train_recipe(recipe, Path(args.out) / recipe, **{
            "dataset": args.dataset, **recipe_overrides(own, {**smoke_data, **SMOKE[recipe]})})
        # Each model's features of its own run's images (InfoGAN's are grey levels).
        f = [model_features(run.model, run.splits.images(s)).numpy() for s in ("train", "test")]
        features[f"{name} ({f[0].shape[1]})"] = f
        data = data or run.splits  # the NADE's binary images, for the baselines
    pixels = [data.flat(s).numpy() for s in ("train", "test")]
    sizes = {f[0].shape[1] for f in features.values()}
    for size in sorted(s for s in sizes if s < pixels[0].shape[1]):  # PCA of the same size
        pca = PCA(size, random_state=args.seed).fit(pixels[0])
        features[f"PCA ({size})"] = [pca.transform(p) for p in pixels]
    features[f"pixels ({pixels[0].shape[1]})"] = pixels
    y_train, y_test = data.train_labels.numpy(), data.test_labels.numpy()
    draws = 1 if args.smoke else args.label_draws
    out, curves, clustering, figures = Path(args.out), {}, {}, []
    for name, (f_tr, f_te) in features.items():
        curves[name] = probe_curve(f_tr, y_train, f_te, y_test, draws, args.seed,
                                   **(SMOKE_PROBE if args.smoke else {}))
        clustering[name] = kmeans_accuracy(f_te, y_test, seed=args.seed)
        two = PCA(2, random_state=args.seed).fit(f_tr).transform(f_te)
        figures.append(str(save_latent_map(
            torch.from_numpy(two), out / f"map_{name.split(' (')[0].replace(' ', '_')}.png",
            labels=torch.from_numpy(y_test), title=f"{name}: test images",
            axis_labels=("PC 1", "PC 2"))))
    figures.insert(0, str(save_probe_accuracy(
        curves, out / "probe_accuracy.png", chance=0.1,
        title=f"{args.dataset}: linear probe on each representation")))
    return finish(args, {
        "dataset": args.dataset, "n_train": len(y_train), "n_test": len(y_test),
        "label_draws": draws, "seed": args.seed,
        "probe_accuracy": {n: {str(k): v for k, v in c.items()} for n, c in curves.items()},
        "kmeans_accuracy": clustering, "figures": figures})


if __name__ == "__main__":
    main(parse_args())
