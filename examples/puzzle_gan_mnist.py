"""Puzzle-GAN (Lee et al. 2018) on MNIST-5k (embedded data, no files needed): whole digits
from three random key patches, with the figure parts -> whole (patches at the places they
were cut from, predicted mask, completed image, the real digit) and the three figures
(mask IoU against the ink, patch L1, label preservation by the local MNIST classifier).

    python examples/puzzle_gan_mnist.py [--smoke] [--epochs 5] [--out runs/puzzle_gan]
"""

import argparse
import itertools
import json
from pathlib import Path

import torch

from inference.metrics import feature_classifier, label_kept, mask_iou, patch_l1
from inference.plots import save_sample_grid
from inference.training import AdversarialStep
from ppl_models.data import load_mnist5k
from ppl_models.gan.puzzle_gan import PuzzleGAN, object_mask, paste_patches


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--channels", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/puzzle_gan")
    p.add_argument("--smoke", action="store_true", help="a few updates of a tiny model")
    return p.parse_args(argv)


def main(args):
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(args.seed)
    x, labels = load_mnist5k()
    test = torch.arange(0, len(x), 50)  # 100 held-out digits, every label
    train = torch.tensor(sorted(set(range(len(x))) - set(test.tolist())))
    torch.manual_seed(args.seed)
    model = PuzzleGAN((1, 28, 28), num_patches=3, patch_size=14,
                      channels=4 if args.smoke else args.channels)
    step = AdversarialStep(model, lr=2e-4, betas=(0.5, 0.999))  # their Sec. 4
    batches = [train[torch.randperm(len(train), generator=g)].split(args.batch_size)
               for _ in range(args.epochs)]
    for idx in itertools.islice(itertools.chain(*batches), 4 if args.smoke else None):
        losses = step.train_step(x[idx])
    model.eval()
    xt = x[test]
    patches, boxes = model.crop(xt)
    completed, mask = model.complete(patches)
    parts = paste_patches(patches, boxes, 28, 28)
    n = 10
    figure = save_sample_grid(torch.cat([parts[:n], mask[:n], completed[:n], xt[:n]]),
                              out / "parts_to_whole.png", nrow=n,
                              title="patches, predicted mask, completed, real")
    clf, _ = feature_classifier("mnist5k", seed=0)
    result = {"last_losses": losses,
              "mask_iou": mask_iou(mask, object_mask(xt, model.mask_threshold)),
              "patch_l1": patch_l1(completed, patches, boxes),
              "label_preservation": label_kept(clf.predict, completed, labels[test]),
              "figures": [str(figure)]}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(parse_args())
