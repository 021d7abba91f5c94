"""The adversarial autoencoder (Makhzani et al. 2016) beside a VAE with the same encoder,
decoder, code size and prior, on binarised MNIST: FID of their samples on one local
classifier's features, and their codes as features for a 100-label linear probe beside raw
pixels. Prints one JSON line.

    python benchmarks/aae_mnist.py --data "$PPL_MODELS_DATA/mnist" --epochs 10 --seed 0

Both models are fitted in this run on the first ``--limit`` MNIST training images
(thresholded at 0.5), without labels, for ``--epochs`` epochs each (the last epoch kept for
both): the VAE by SVI on ``Trace_ELBO``, the AAE by :class:`inference.training.
AdversarialStep` (reconstruction NLL plus the adversarial term on codes, lambda = 1, the KL
replaced). Scores, all in this run:

- **FID** against the binarised test images, from ``--n-eval`` samples each (``x ~ p(x | z)``,
  ``z ~ p(z)``; binary, as the data), on the features of
  :func:`inference.metrics.feature_classifier` (``--classifier-dataset``, cached; its hash in
  the output), beside the train-vs-test FID of as many real images (the floor);
- **linear probe** (:func:`inference.metrics.linear_probe`, cross-validated logistic
  regression) fitted on 10 labelled training images per class (100 labels, mean over
  ``--label-draws`` draws) and scored on the test split: the AAE's code (the mean of
  q(z | x)), the VAE's posterior mean, and raw pixels.

The AAE paper reports 1.90 % error with 100 labels for its *semi-supervised* variant (a
categorical code trained with the labels); this measures the unsupervised code.

References

1. Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial Autoencoders", arXiv:1511.05644.
2. Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch

from inference.metrics import feature_classifier, frechet_distance, linear_probe
from inference.training import AdversarialStep, SVIStep, Trainer
from ppl_models.aae import AAE, PRIORS
from ppl_models.data import load_dataset
from ppl_models.vae import VAE

# The shared data: $PPL_MODELS_DATA, else ../shared/data beside the repository.
DATA = Path(os.environ.get("PPL_MODELS_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DATA / "mnist"), help="folder of MNIST IDX files")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, default=10_000, help="training images used")
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--hidden", type=int, nargs="+", default=[400])
    p.add_argument("--prior", choices=PRIORS, default="gaussian",
                   help="the AAE's prior (gaussian: the VAE's, so only the KL term differs)")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate, both models")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--n-eval", type=int, default=5000, help="samples and test images for FID")
    p.add_argument("--label-draws", type=int, default=3)
    p.add_argument("--classifier-dataset", choices=("mnist5k", "mnist"), default="mnist5k")
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def fit(step, train, args) -> float:
    """Train ``step`` on ``train`` for ``--epochs``; return the wall seconds."""
    t0 = time.perf_counter()
    Trainer(step, train, batch_size=args.batch_size, max_epochs=args.epochs, seed=args.seed,
            progress=False, restore_best=False).fit()
    return time.perf_counter() - t0


def probe(features_train, y_train, features_test, y_test, draws: int) -> dict:
    """Mean (and per-draw) test accuracy of the 100-label probe over ``draws`` label draws."""
    acc = [linear_probe(features_train, y_train, features_test, y_test, labels_per_class=10,
                        seed=d).accuracy for d in range(draws)]
    return {"accuracy": statistics.fmean(acc), "error": 1 - statistics.fmean(acc),
            "per_draw": acc}


def main(args) -> dict:
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    splits = load_dataset("mnist", path=args.data, binarize="threshold", seed=args.seed)
    train, y_train = splits.train[: args.limit], splits.train_labels[: args.limit]
    test, y_test = splits.test, splits.test_labels
    shape = tuple(splits.image_shape)

    torch.manual_seed(args.seed)
    vae = VAE(shape, args.latent_dim, hidden=args.hidden)
    vae_seconds = fit(SVIStep(vae, objective="trace", lr=args.lr), train, args)
    torch.manual_seed(args.seed)
    aae = AAE(shape, latent_dim=args.latent_dim, hidden=args.hidden, prior=args.prior)
    # betas (0.5, 0.999): the GAN convention (Radford et al. 2016) for the adversarial game.
    aae_seconds = fit(AdversarialStep(aae, lr=args.lr, betas=(0.5, 0.999)), train, args)

    classifier, info = feature_classifier(
        args.classifier_dataset, seed=0,
        data_path=args.data if args.classifier_dataset == "mnist" else None)
    n = min(args.n_eval, len(test))
    real = test[:n]
    fids = {}
    for name, model in (("aae", aae), ("vae", vae)):
        torch.manual_seed(10_000 + args.seed)  # the same draws of the noise for both
        fids[name] = frechet_distance(real, model.sample(n), classifier)["fid"]
    fids["train_vs_test"] = frechet_distance(real, splits.train[-n:], classifier)["fid"]

    features = {"aae_code": aae.vae.features, "vae_posterior_mean": vae.features,
                "raw_pixels": lambda x: x.reshape(len(x), -1)}
    probes = {name: probe(f(train), y_train, f(test), y_test, args.label_draws)
              for name, f in features.items()}
    result = {
        "benchmark": "aae_mnist", "seed": args.seed, "epochs": args.epochs,
        "n_train": len(train), "latent_dim": args.latent_dim, "hidden": args.hidden,
        "prior": args.prior, "lr": args.lr, "binarize": "threshold 0.5",
        "fid": fids, "n_eval": n,
        "probe_100_labels": probes, "aae_paper_semi_supervised_error_100_labels": 0.019,
        "extractor": info["name"], "extractor_sha256": info["weights_sha256"],
        "extractor_test_accuracy": info["test_accuracy"],
        "vae_train_seconds": vae_seconds, "aae_train_seconds": aae_seconds,
        "wall_seconds": time.perf_counter() - started,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(parse_args())
