"""Puzzle-GAN (Lee et al. 2018) on MNIST: whole digits from K random key patches. Prints one
JSON line: mask IoU against the true digit mask (ink > 0.5), patch L1 (the completion at the
patches' own places vs the patches), label preservation (the local MNIST classifier on the
completed digits vs the source label), beside baselines measured in the same run: the
untrained model (same seed), the patches pasted on a blank canvas at the centre (its mask is
the pasted ink), and an *oracle* that pastes them at the places they were cut from (the
positions the model is never given: how much of the digit the patches themselves hold).

    python benchmarks/puzzle_gan_mnist.py --data "$PPL_MODELS_DATA/mnist" --epochs 8 --lr 1e-3 \
        --latent-dim 2 --appearance-weight 30 --seed 0    # the README's best run

Default patches are 14 x 14 (three of them): a probe that reads the digit from the summed
part embeddings (the encoder plus a linear layer, trained on labels) reached 59 % with
10 x 10 patches after 6 epochs and 79 % with 14 x 14 after 3, so at 10 x 10 the patches do
not hold enough of the digit for 80 % label preservation.

``--budget-seconds`` stops training after that much wall time (the JSON says how many
epochs and updates were done).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
from pathlib import Path

import torch

from inference.metrics import feature_classifier, label_kept, mask_iou, patch_l1
from inference.training import AdversarialStep
from ppl_models.data import load_mnist
from ppl_models.gan.puzzle_gan import PuzzleGAN, centre_boxes, object_mask, paste_patches

# The shared data: $PPL_MODELS_DATA, else ../shared/data beside the repository.
DATA = Path(os.environ.get("PPL_MODELS_DATA",
                           Path(__file__).resolve().parents[2] / "shared" / "data"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(DATA / "mnist"), help="folder of MNIST IDX files")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget-seconds", type=float, default=None, help="stop training after")
    p.add_argument("--num-patches", type=int, default=3)
    p.add_argument("--patch-size", type=int, default=14)
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--latent-dim", type=int, default=16)
    p.add_argument("--mask-weight", type=float, default=10.0)
    p.add_argument("--appearance-weight", type=float, default=10.0)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-4, help="both players (2e-4 in the paper)")
    p.add_argument("--classifier-dataset", choices=("mnist", "mnist5k"), default="mnist")
    p.add_argument("--n-train", type=int, default=60000)
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def scores(model, x, labels, clf, baseline: str | None = None) -> dict:
    """The three figures on test images ``x``; the same crops for every method (fixed seed).
    ``baseline``: ``"centre"`` or ``"true_place"`` pastes the patches instead of the model."""
    torch.manual_seed(1234)
    patches, boxes = model.crop(x)
    if baseline:
        h, w = x.shape[-2:]
        at = (boxes if baseline == "true_place" else
              centre_boxes(len(x), patches.shape[1], patches.shape[-1], h, w))
        completed = paste_patches(patches, at, h, w)
        mask = object_mask(completed, model.mask_threshold)
    else:
        model.eval()
        completed, mask = model.complete(patches)
        model.train()
    return {"mask_iou": round(mask_iou(mask, object_mask(x, model.mask_threshold)), 4),
            "patch_l1": round(patch_l1(completed, patches, boxes), 4),
            "label_preservation": round(label_kept(clf.predict, completed, labels), 4)}


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    x, _ = load_mnist(args.data, "train")
    xt, yt = load_mnist(args.data, "test")
    x, xt, yt = x[:args.n_train], xt[:args.n_test], yt[:args.n_test]
    torch.manual_seed(args.seed)
    model = PuzzleGAN((1, 28, 28), num_patches=args.num_patches, patch_size=args.patch_size,
                      channels=args.channels, latent_dim=args.latent_dim)
    untrained = copy.deepcopy(model)
    # Lee et al. 2018, Sec. 4: Adam(2e-4, 0.5, 0.999).
    step = AdversarialStep(model, lr=args.lr, betas=(0.5, 0.999), mask_weight=args.mask_weight,
                           appearance_weight=args.appearance_weight)
    g = torch.Generator().manual_seed(args.seed)
    t0, epochs, updates, out = time.perf_counter(), 0, 0, {}
    for _ in range(args.epochs):
        for idx in torch.randperm(len(x), generator=g).split(args.batch_size):
            out = step.train_step(x[idx])
            updates += 1
            if args.budget_seconds and time.perf_counter() - t0 > args.budget_seconds:
                break
        else:
            epochs += 1
            continue
        break
    train_seconds = time.perf_counter() - t0
    clf, info = feature_classifier(
        args.classifier_dataset, seed=0,
        data_path=args.data if args.classifier_dataset == "mnist" else None)
    result = {
        "benchmark": "puzzle_gan_mnist", "seed": args.seed, "epochs": args.epochs,
        "epochs_done": epochs, "updates": updates, "budget_seconds": args.budget_seconds,
        "threads": args.threads, "config": model.config, "batch_size": args.batch_size,
        "lr": args.lr,
        "n_train": len(x), "n_test": len(xt),
        "mask": "true digit mask: ink > mask_threshold",
        "trained": scores(model, xt, yt, clf),
        "untrained_baseline": scores(untrained, xt, yt, clf),
        "centre_paste_baseline": scores(model, xt, yt, clf, baseline="centre"),
        "true_place_paste_oracle": scores(model, xt, yt, clf, baseline="true_place"),
        "real_images_label_accuracy": round(label_kept(clf.predict, xt, yt), 4),
        "classifier": {k: info[k] for k in ("name", "weights_sha256", "test_accuracy")},
        "last_losses": {k: round(v, 4) for k, v in out.items()},
        "train_seconds": round(train_seconds, 1),
        "wall_seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
