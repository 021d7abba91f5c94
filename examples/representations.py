"""What the models learned without labels: linear-probe accuracy against the number of labels.

A NADE, a VAE, an adversarial autoencoder and an InfoGAN are fitted (no labels) on the
training split; their representations are a NADE's hidden state at the last position, the
VAE's posterior mean, the AAE's code and InfoGAN's shared discriminator/Q body (each model's
own ``features(x)``, called through :func:`inference.metrics.model_features`). Each is
compared with the raw pixels and with PCA
of the same size by a cross-validated logistic-regression probe
(:func:`inference.metrics.linear_probe`) fitted on 1, 2, 5, 10 labels per class and on every
training label, and by k-means clustering accuracy
(:func:`inference.metrics.kmeans_accuracy`). Writes the probe curve and a 2-D map (the first
two principal components) of each representation coloured by digit; prints JSON.

    python examples/representations.py --out representations
    python examples/representations.py --dataset mnist5k --hidden 100 --latent-dim 16
    python examples/representations.py --smoke
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from inference.cli.fitting import fit_network, fit_vae
from inference.metrics import kmeans_accuracy, linear_probe, model_features
from inference.plots import save_latent_map, save_probe_accuracy
from inference.training import AdversarialStep, Trainer, seed_everything
from ppl_models import registry
from ppl_models.data import load_dataset

LABELS_PER_CLASS = (1, 2, 5, 10)
SMOKE_TRAIN = 400


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=["digits", "mnist5k"], default="digits")
    p.add_argument("--hidden", type=int, default=32, help="NADE hidden units (= its features)")
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--label-draws", type=int, default=3,
                   help="random label subsets averaged at each few-label point")
    p.add_argument("--infogan-hidden", type=int, default=64,
                   help="InfoGAN's shared D/Q body width (= its features)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="representations", help="folder for the figures")
    p.add_argument("--smoke", action="store_true",
                   help=f"{SMOKE_TRAIN} training images, 2 epochs, 1 and 5 labels per "
                        "class, one draw: seconds")
    return p.parse_args(argv)


def pca(train: np.ndarray, test: np.ndarray, size: int, seed: int):
    """Train and test projected on the first ``size`` principal components of train."""
    p = PCA(size, random_state=seed).fit(train)
    return p.transform(train), p.transform(test)


def probe_curve(f_train, y_train, f_test, y_test, draws: int, seed: int,
                labels_per_class=LABELS_PER_CLASS, **probe_options) -> dict[int, float]:
    """Probe accuracy at each number of labels (mean over ``draws`` label subsets);
    ``probe_options`` go to :func:`linear_probe` (e.g. ``Cs``, ``max_iter``)."""
    classes = len(np.unique(y_train))
    curve = {}
    for per_class in labels_per_class:
        accs = [linear_probe(f_train, y_train, f_test, y_test, labels_per_class=per_class,
                             seed=seed + d, **probe_options).accuracy for d in range(draws)]
        curve[per_class * classes] = float(np.mean(accs))
    curve[len(y_train)] = linear_probe(f_train, y_train, f_test, y_test, seed=seed,
                                       **probe_options).accuracy
    return curve


def fit_aae(splits, train, latent: int, epochs: int, seed: int):
    """An AAE (Gaussian prior) on the same images; it has no validation score, so the last
    epoch is kept."""
    torch.manual_seed(seed)
    aae = registry.build("aae", input_shape=list(splits.image_shape), latent_dim=latent,
                         hidden=[200], prior="gaussian")
    Trainer(AdversarialStep(aae, lr=2e-4), train, batch_size=100, max_epochs=epochs,
            seed=seed, progress=False, restore_best=False).fit()
    return aae


def fit_infogan(splits, train, hidden: int, epochs: int, seed: int):
    """An InfoGAN on the same images, trained with Chen et al.'s (2016, App. C) Adam rates;
    its features are the shared discriminator/Q body that Q's head reads."""
    torch.manual_seed(seed)
    model = registry.build("infogan", input_shape=list(splits.image_shape),
                           latent_dim=16, channels=max(4, hidden // 4), hidden=hidden)
    Trainer(AdversarialStep(model, lr=1e-3, lr_d=2e-4, betas=(0.5, 0.999)), train,
            batch_size=100, max_epochs=epochs, seed=seed, progress=False,
            restore_best=False).fit()
    return model


def main(args):
    torch.set_num_threads(1)
    seed_everything(args.seed)
    splits = load_dataset(args.dataset, seed=args.seed)
    train, valid, test = (splits.images(s) for s in ("train", "valid", "test"))
    y_train, y_test = splits.train_labels.numpy(), splits.test_labels.numpy()
    if args.smoke:
        train, y_train, valid = train[:SMOKE_TRAIN], y_train[:SMOKE_TRAIN], valid[:100]
        test, y_test = test[:SMOKE_TRAIN // 2], y_test[:SMOKE_TRAIN // 2]
    hidden, latent, epochs = (8, 2, 2) if args.smoke else (args.hidden, args.latent_dim,
                                                           args.epochs)
    draws = 1 if args.smoke else args.label_draws
    flat = {n: t.reshape(len(t), -1) for n, t in (("train", train), ("valid", valid),
                                                  ("test", test))}
    nade = registry.build("nade", dim=flat["train"].shape[1], hidden=hidden)
    fit_network(nade, flat["train"], flat["valid"], epochs=epochs, lr=5e-3, patience=10,
                seed=args.seed)
    vae = registry.build("vae", input_shape=list(splits.image_shape), latent_dim=latent,
                         hidden=[200])
    fit_vae(vae, train, valid, epochs=epochs, objective="meanfield", lr=3e-3, patience=10,
            seed=args.seed)

    aae = fit_aae(splits, train, latent, epochs, args.seed)
    q_width = 16 if args.smoke else args.infogan_hidden
    infogan = fit_infogan(splits, train, q_width, epochs, args.seed)

    def learned(model):
        # One generic call for every model's features: nothing here knows which kind it is.
        return tuple(model_features(model, x).numpy() for x in (train, test))

    pixels = (flat["train"].numpy(), flat["test"].numpy())
    features = {
        f"NADE h_D ({hidden})": learned(nade),
        f"PCA ({hidden})": pca(*pixels, hidden, args.seed),
        f"VAE mean ({latent})": learned(vae),
        f"AAE code ({latent})": learned(aae),
        f"InfoGAN body ({q_width})": learned(infogan),
        f"PCA ({latent})": pca(*pixels, latent, args.seed),
        f"pixels ({pixels[0].shape[1]})": pixels,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    curves, clustering, figures = {}, {}, []
    for name, (f_tr, f_te) in features.items():
        # The smoke run's probes: a coarse grid, fewer folds and iterations (seconds, not
        # a converged measurement).
        smoke = {"labels_per_class": (1, 5), "Cs": 3, "cv": 2, "max_iter": 100}
        curves[name] = probe_curve(f_tr, y_train, f_te, y_test, draws, args.seed,
                                   **(smoke if args.smoke else {}))
        clustering[name] = round(kmeans_accuracy(f_te, y_test, seed=args.seed), 4)
        two = PCA(2, random_state=args.seed).fit(f_tr).transform(f_te)
        slug = name.split(" (")[0].replace(" ", "_").replace("/", "")
        path = out / f"map_{slug}_{f_tr.shape[1]}.png"
        save_latent_map(torch.from_numpy(two), path, labels=torch.from_numpy(y_test),
                        title=f"{name}: test images", axis_labels=("PC 1", "PC 2"))
        figures.append(str(path))
    probe = save_probe_accuracy(curves, out / "probe_accuracy.png", chance=0.1,
                                title=f"{args.dataset}: linear probe on each representation")
    figures.insert(0, str(probe))
    result = {"dataset": args.dataset, "n_train": len(y_train), "n_test": len(y_test),
              "epochs": epochs, "label_draws": draws, "seed": args.seed,
              "probe_accuracy": {n: {str(k): round(v, 4) for k, v in c.items()}
                                 for n, c in curves.items()},
              "kmeans_accuracy": clustering, "figures": figures}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(parse_args())
