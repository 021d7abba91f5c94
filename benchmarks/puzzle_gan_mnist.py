"""Puzzle-GAN (Lee et al. 2018) on MNIST: whole digits from K random key patches. Prints one
JSON line: mask IoU against the true digit mask (ink > 0.5), patch L1 (the completion at the
patches' own places vs the patches), label preservation (the local MNIST classifier on the
completed digits vs the source label), beside two baselines measured in the same run: the
untrained model (same seed) and the patches pasted on a blank canvas at the centre (its
mask is the pasted ink).

    python benchmarks/puzzle_gan_mnist.py --data /work/shared/data/mnist --epochs 5 --seed 0

``--budget-seconds`` stops training after that much wall time (the JSON says how many
epochs and updates were done).
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import torch

from inference.metrics import feature_classifier, label_kept, mask_iou, patch_l1
from inference.training import AdversarialStep
from ppl_models.data import load_mnist
from ppl_models.gan.puzzle_gan import PuzzleGAN, centre_boxes, object_mask, paste_patches


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/work/shared/data/mnist", help="folder of MNIST IDX files")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget-seconds", type=float, default=None, help="stop training after")
    p.add_argument("--num-patches", type=int, default=3)
    p.add_argument("--patch-size", type=int, default=10)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--n-train", type=int, default=60000)
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def scores(model, x, labels, clf, baseline: bool = False) -> dict:
    """The three figures on test images ``x``; the same crops for every method (fixed seed)."""
    torch.manual_seed(1234)
    patches, boxes = model.crop(x)
    if baseline:
        h, w = x.shape[-2:]
        completed = paste_patches(patches, centre_boxes(len(x), patches.shape[1],
                                                        patches.shape[-1], h, w), h, w)
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
                      hidden=args.hidden)
    untrained = copy.deepcopy(model)
    # Lee et al. 2018, Sec. 4: Adam(2e-4, 0.5, 0.999).
    step = AdversarialStep(model, lr=2e-4, betas=(0.5, 0.999))
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
    clf, info = feature_classifier("mnist5k", seed=0)
    result = {
        "benchmark": "puzzle_gan_mnist", "seed": args.seed, "epochs": args.epochs,
        "epochs_done": epochs, "updates": updates, "budget_seconds": args.budget_seconds,
        "threads": args.threads, "config": model.config, "batch_size": args.batch_size,
        "n_train": len(x), "n_test": len(xt),
        "mask": "true digit mask: ink > mask_threshold",
        "trained": scores(model, xt, yt, clf),
        "untrained_baseline": scores(untrained, xt, yt, clf),
        "centre_paste_baseline": scores(model, xt, yt, clf, baseline=True),
        "classifier": {k: info[k] for k in ("name", "weights_sha256", "test_accuracy")},
        "last_losses": {k: round(v, 4) for k, v in out.items()},
        "train_seconds": round(train_seconds, 1),
        "wall_seconds": round(time.perf_counter() - started, 1)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
