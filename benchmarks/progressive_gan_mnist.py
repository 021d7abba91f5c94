"""Progressive GAN (Karras et al. 2018) on MNIST 7 -> 14 -> 28 against DCGAN trained for the same
wall time in the same run, both scored by FID on the local MNIST classifier's features (the
progressive model's FID also at the end of every epoch, with its stage and alpha); then a
progressive GAN on Stacked MNIST (3 channels, 1000 modes) and its mode count, each channel read by
the same classifier (App. D). Prints one JSON line.

    python benchmarks/progressive_gan_mnist.py --data "$PPL_MODELS_DATA/mnist" --epochs 10 --seed 0

``--budget-seconds`` caps each model's training time (the DCGAN baseline always gets the time
the progressive model actually used); ``--limit`` trains on the first N images only (a check of
the pipeline, not a result).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import torch

from inference.metrics import feature_classifier, frechet_distance
from inference.metrics.stacked_modes import stacked_mode_count
from inference.training import AdversarialStep, Trainer
from ppl_models.data import load_dataset, load_mnist
from ppl_models.data.stacked_mnist import stack_digits
from ppl_models.gan import DCGAN
from ppl_models.gan.progressive_gan import ProgressiveGAN

# The shared data: $PPL_MODELS_DATA, else ../shared/data beside the repository.
DATA = Path(os.environ.get("PPL_MODELS_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))


def _pgan(shape, epochs, n_train, batch, args):
    rounds = epochs * math.ceil(n_train / batch)
    phase = max(1, rounds // 5)  # 3 stages: stable, fade, stable, fade, stable
    return ProgressiveGAN(shape, latent_dim=args.latent_dim, channels=args.channels, stages=3,
                          fade_steps=phase, stable_steps=phase)


def _wgan_gp(model):
    # Karras et al. 2018, App. A.1: WGAN-GP (lambda 10), Adam lr 1e-3, betas (0, 0.99).
    return AdversarialStep(model, loss="wasserstein", gp=10.0, lr=1e-3, betas=(0.0, 0.99))


def _samples(model, n, seed):
    torch.manual_seed(seed)
    return torch.cat([model.sample(min(1000, n - i)) for i in range(0, n, 1000)])


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DATA / "mnist"), help="folder of MNIST IDX files")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget-seconds", type=float, default=None)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--latent-dim", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--n-eval", type=int, default=10_000)
    p.add_argument("--n-stacked", type=int, default=26_000, help="mode-count samples (App. D)")
    p.add_argument("--classifier-dataset", choices=("mnist", "mnist5k"), default="mnist")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    splits = load_dataset("mnist", path=args.data, binarize=None)
    train = splits.train if args.limit is None else splits.train[: args.limit]
    classifier, info = feature_classifier(
        args.classifier_dataset, seed=0,
        data_path=args.data if args.classifier_dataset == "mnist" else None)
    n = min(args.n_eval, len(splits.test))
    test = splits.test[:n]

    torch.manual_seed(args.seed)
    pgan = _pgan(splits.image_shape, args.epochs, len(train), args.batch_size, args)
    per_epoch = []

    def stage_fid(record):
        stage, alpha = pgan.schedule()
        with torch.random.fork_rng(devices=[]):
            fake = _samples(pgan, min(n, 2000), 10_000 + args.seed)
        per_epoch.append({"epoch": record["epoch"], "stage": stage, "alpha": alpha,
                          "resolution": 7 * 2 ** stage,
                          "fid_2k": frechet_distance(test[:2000], fake, classifier)["fid"]})

    t0 = time.perf_counter()
    Trainer(_wgan_gp(pgan), train, batch_size=args.batch_size, max_epochs=args.epochs,
            seed=args.seed, progress=False, restore_best=False, log_fn=stage_fid,
            max_seconds=args.budget_seconds).fit()
    pgan_seconds = time.perf_counter() - t0

    torch.manual_seed(args.seed)
    dcgan = DCGAN(splits.image_shape, latent_dim=100, channels=args.channels)
    t0 = time.perf_counter()
    # Equal wall time: many epochs allowed, stopped by the progressive model's time.
    Trainer(AdversarialStep(dcgan, lr=2e-4, betas=(0.5, 0.999)), train,
            batch_size=args.batch_size, max_epochs=10_000, seed=args.seed, progress=False,
            restore_best=False, max_seconds=pgan_seconds).fit()
    dcgan_seconds = time.perf_counter() - t0

    images, labels = load_mnist(args.data, "train")
    n_stack = len(train)
    stacks, _ = stack_digits(images, labels, n_stack, seed=args.seed)
    torch.manual_seed(args.seed)
    stacked = _pgan((3, 28, 28), args.epochs, n_stack, args.batch_size, args)
    t0 = time.perf_counter()
    Trainer(_wgan_gp(stacked), stacks, batch_size=args.batch_size, max_epochs=args.epochs,
            seed=args.seed, progress=False, restore_best=False,
            max_seconds=args.budget_seconds).fit()
    stacked_seconds = time.perf_counter() - t0
    modes = stacked_mode_count(_samples(stacked, args.n_stacked, 20_000 + args.seed), classifier)

    result = {
        "benchmark": "progressive_gan_mnist", "seed": args.seed, "epochs": args.epochs,
        "n_train": len(train), "n_eval": n,
        "pgan_fid": frechet_distance(test, _samples(pgan, n, 10_000 + args.seed),
                                     classifier)["fid"],
        "dcgan_fid": frechet_distance(test, _samples(dcgan, n, 10_000 + args.seed),
                                      classifier)["fid"],
        "fid_train_vs_test": frechet_distance(test, splits.train[:n], classifier)["fid"],
        "pgan_per_epoch": per_epoch, "pgan_final_stage": list(pgan.schedule()),
        "pgan_train_seconds": pgan_seconds, "dcgan_train_seconds": dcgan_seconds,
        "stacked_modes": modes["modes"], "stacked_kl_to_uniform": modes["kl_to_uniform"],
        "stacked_n_samples": modes["n"], "stacked_train_seconds": stacked_seconds,
        "extractor": info["name"], "extractor_sha256": info["weights_sha256"],
        "extractor_test_accuracy": info["test_accuracy"],
        "wall_seconds": time.perf_counter() - started,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
