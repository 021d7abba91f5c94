"""Linear probe and k-means accuracy of NADE, VAE, AAE and InfoGAN features on the fixed binarized
MNIST, against raw pixels and PCA of the same size.

A NADE, a Bernoulli MLP VAE and an adversarial autoencoder (Gaussian prior, the VAE's
encoder and decoder) are fitted without labels on the first ``--train-limit`` rows
of the binarized *train* split (selected on 2,000 valid rows), within ``--max-seconds``
each (the budget option; the AAE has no validation score, so it keeps its last epoch). Their
representations, a NADE's hidden state at the last position, the VAE's posterior mean and the
AAE's code, InfoGAN's shared discriminator/Q body (``--infogan-hidden`` wide, trained
with :class:`inference.training.AdversarialStep` as ``benchmarks/infogan_mnist.py`` does,
within ``--infogan-max-seconds``) (each model's own ``features(x)``, called through
:func:`inference.metrics.model_features`), and the baselines, computed in
the same run (raw pixels and PCA fitted on the probe's training rows, of the NADE's and the
VAE's sizes), are probed with cross-validated logistic regression
(:func:`inference.metrics.linear_probe`) at 100 labels (10 per class, mean over
``--label-draws`` random draws) and at all labels, and clustered by k-means
(:func:`inference.metrics.kmeans_accuracy`). Only the binarized test rows are labelled, so
the probe trains on a seeded random half of them and is scored on the other half. Prints one
JSON line.

    python benchmarks/representations_mnist.py --train-limit 10000 --max-seconds 300
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.decomposition import PCA

from inference.cli.fitting import fit_network, fit_vae
from inference.metrics import evaluate_nll, kmeans_accuracy, linear_probe, model_features
from inference.training import AdversarialStep, Trainer
from ppl_models import registry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from labelled_binarized_mnist import (  # noqa: E402
    DEFAULT_DATA,
    DEFAULT_LABELS,
    load_all,
    split_labelled,
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    p.add_argument("--train-limit", type=int, default=10_000,
                   help="unlabelled binarized train rows the models are fitted on")
    p.add_argument("--hidden", type=int, default=100, help="NADE hidden units")
    p.add_argument("--latent-dim", type=int, default=16, help="VAE's and AAE's code size")
    p.add_argument("--vae-hidden", type=int, default=400)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--max-seconds", type=float, default=240.0,
                   help="training budget per model (the budget option)")
    p.add_argument("--label-draws", type=int, default=5)
    p.add_argument("--probe-limit", type=int, default=None,
                   help="use only this many of the 10,000 labelled rows (a quick check)")
    p.add_argument("--infogan-max-seconds", type=float, default=None,
                   help="InfoGAN's own training budget (default: --max-seconds)")
    p.add_argument("--infogan-channels", type=int, default=64)
    p.add_argument("--infogan-hidden", type=int, default=1024,
                   help="width of InfoGAN's shared D/Q body: its features' size")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def fit_aae(images, args):
    """An AAE on the same unlabelled images, within the same per-model budget."""
    torch.manual_seed(args.seed)
    aae = registry.build("aae", input_shape=[1, 28, 28], latent_dim=args.latent_dim,
                         hidden=[args.vae_hidden], prior="gaussian")
    step = AdversarialStep(aae, lr=2e-4)
    history = Trainer(step, images, batch_size=100, max_epochs=args.epochs,
                      max_seconds=args.max_seconds, seed=args.seed, progress=False,
                      restore_best=False).fit()
    return aae, len(history.epochs)


def fit_infogan(images, args):
    """An InfoGAN on the same unlabelled images, trained as benchmarks/infogan_mnist.py
    does (Chen et al. 2016, App. C: Adam, 1e-3 for G and Q, 2e-4 for D, beta1 = 0.5),
    within its own budget."""
    torch.manual_seed(args.seed)
    model = registry.build("infogan", input_shape=[1, 28, 28],
                           channels=args.infogan_channels, hidden=args.infogan_hidden)
    step = AdversarialStep(model, lr=1e-3, lr_d=2e-4, betas=(0.5, 0.999))
    budget = args.max_seconds if args.infogan_max_seconds is None else args.infogan_max_seconds
    history = Trainer(step, images, batch_size=100, max_epochs=args.epochs,
                      max_seconds=budget, seed=args.seed, progress=False,
                      restore_best=False).fit()
    return model, len(history.epochs), budget


def main(args):
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    data, labels = load_all(args.data, args.labels)
    train, valid = data["train"][: args.train_limit], data["valid"][:2000]
    torch.manual_seed(args.seed)
    nade = registry.build("nade", dim=784, hidden=args.hidden)
    nade_fit = fit_network(nade, train, valid, epochs=args.epochs, lr=2e-3, patience=5,
                           max_seconds=args.max_seconds, seed=args.seed)
    vae = registry.build("vae", input_shape=[1, 28, 28], latent_dim=args.latent_dim,
                         hidden=[args.vae_hidden])
    images = train.reshape(-1, 1, 28, 28)
    vae_fit = fit_vae(vae, images, valid.reshape(-1, 1, 28, 28), epochs=args.epochs,
                      objective="meanfield", lr=1e-3, patience=5,
                      max_seconds=args.max_seconds, seed=args.seed,
                      kl_warmup=len(train) // 100)
    aae, aae_epochs = fit_aae(images, args)
    infogan, infogan_epochs, infogan_budget = fit_infogan(images, args)
    train_seconds = time.perf_counter() - start
    perm = torch.randperm(len(labels), generator=torch.Generator().manual_seed(args.seed))
    keep = perm[: args.probe_limit]
    (x_tr, y_tr), (x_te, y_te) = split_labelled(data["test"][keep], labels[keep], (0.5, 0.5),
                                                args.seed)
    y_tr, y_te = y_tr.numpy(), y_te.numpy()

    def pca(size):
        p = PCA(size, random_state=args.seed).fit(x_tr.numpy())
        return p.transform(x_tr.numpy()), p.transform(x_te.numpy())

    def learned(model):
        # Each model's own features(x), through one generic call that flattens the images
        # for a kind built from dim: nothing here knows which kind it holds.
        return tuple(model_features(model, x.reshape(-1, 1, 28, 28)).numpy()
                     for x in (x_tr, x_te))

    features = {
        f"nade_h_last_{args.hidden}": learned(nade),
        f"pca_{args.hidden} (baseline)": pca(args.hidden),
        f"vae_mean_{args.latent_dim}": learned(vae),
        f"aae_code_{args.latent_dim}": learned(aae),
        f"infogan_body_{args.infogan_hidden}": learned(infogan),
        f"pca_{args.latent_dim} (baseline)": pca(args.latent_dim),
        "pixels_784 (baseline)": (x_tr.numpy(), x_te.numpy()),
    }
    results = {}
    for name, (f_tr, f_te) in features.items():
        t = time.perf_counter()
        few = [linear_probe(f_tr, y_tr, f_te, y_te, labels_per_class=10, seed=args.seed + d)
               .accuracy for d in range(args.label_draws)]
        everything = linear_probe(f_tr, y_tr, f_te, y_te, seed=args.seed).accuracy
        results[name] = {
            "probe_100_labels": round(float(np.mean(few)), 4),
            "probe_100_labels_sd": round(float(np.std(few, ddof=1)), 4)
            if len(few) > 1 else None,
            f"probe_{len(y_tr)}_labels": round(everything, 4),
            "kmeans_accuracy": round(kmeans_accuracy(f_te, y_te, seed=args.seed), 4),
            "seconds": round(time.perf_counter() - t, 1),
        }
        print(json.dumps({name: results[name]}), file=sys.stderr, flush=True)
    line = {
        "benchmark": "representations_mnist",
        "data": f"fixed binarized MNIST: models on the first {len(train)} train rows "
                "(no labels); probe on a seeded 50/50 split of the 10,000 labelled test rows",
        "seed": args.seed,
        "nade": {"hidden": args.hidden, "epochs": nade_fit.epochs,
                 "valid_nll": round(evaluate_nll(nade, valid)["nll_nats"], 3)},
        "vae": {"layers": f"784-{args.vae_hidden}-{args.latent_dim}", "epochs": vae_fit.epochs,
                "best_valid_neg_elbo": round(vae_fit.history.best_valid_loss, 3)},
        "aae": {"layers": f"784-{args.vae_hidden}-{args.latent_dim}", "prior": "gaussian",
                "epochs": aae_epochs},
        "infogan": {"channels": args.infogan_channels, "hidden": args.infogan_hidden,
                    "epochs": infogan_epochs, "max_seconds": infogan_budget},
        "max_seconds_per_model": args.max_seconds, "label_draws": args.label_draws,
        "train_seconds": round(train_seconds, 1),
        "results": results,
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    print(json.dumps(line))
    return line


if __name__ == "__main__":
    main(parse_args())
