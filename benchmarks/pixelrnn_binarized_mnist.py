"""PixelRNN (Row LSTM or Diagonal BiLSTM) on the fixed binarized MNIST: exact test NLL after a
stated CPU budget.

Fits on (the first ``--train-limit`` rows of) the training split with Adam for at most
``--budget-minutes`` of training, keeps the epoch with the best NLL on (the first
``--valid-limit`` rows of) the validation split, and reports the exact test NLL on the
``--test-limit`` first test images (all 10,000 by default) in nats per image, with its
standard error; the seconds per epoch; and the time to draw 16 samples (784 sequential
network passes). The baseline measured in the same run is the independent-pixel model
fitted in closed form on the same training rows. References on this split: NADE 88.86
(ours 88.53), Row LSTM 80.54 and Diagonal BiLSTM 79.20 with 7 layers on GPUs.

Prints one JSON line.

    python benchmarks/pixelrnn_binarized_mnist.py --kind row_lstm --budget-minutes 10
"""

import argparse
import json
import math
import time
from pathlib import Path

import torch

from inference.metrics import evaluate_nll
from inference.training import MLEStep, Trainer, seed_everything
from ppl_models import registry
from ppl_models.data import load_binarized_mnist
from ppl_models.distributions.pixelrnn import KINDS

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_DATA = SHARED / "data" / "binarized_mnist.npz"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--kind", choices=KINDS, default="row_lstm")
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--budget-minutes", type=float, default=10.0, help="training time")
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--train-limit", type=int, default=None)
    p.add_argument("--valid-limit", type=int, default=1000)
    p.add_argument("--test-limit", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args(argv)


def main(args):
    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    data = load_binarized_mnist(args.data)
    images = {s: data[s].reshape(-1, 1, 28, 28) for s in ("train", "valid", "test")}
    train = images["train"][: args.train_limit]
    valid = images["valid"][: args.valid_limit]
    test = images["test"][: args.test_limit]
    model = registry.build("pixelrnn", input_shape=(1, 28, 28), variant=args.kind,
                           hidden=args.hidden, layers=args.layers)
    model.init_bias_from_data(train)
    trainer = Trainer(MLEStep(model, lr=args.lr), train, valid, batch_size=args.batch_size,
                      max_epochs=args.epochs, max_seconds=args.budget_minutes * 60,
                      seed=args.seed, progress=False)
    start = time.perf_counter()
    history = trainer.fit()
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    nll = evaluate_nll(model, test, batch_size=500)
    eval_seconds = time.perf_counter() - start
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    model().sample((16,))
    sample_seconds = time.perf_counter() - start
    # Baseline, same run: independent pixels with Beta(1, 1)-smoothed training marginals.
    p = (train.flatten(1).sum(0) + 1) / (len(train) + 2)
    independent = -torch.distributions.Bernoulli(probs=p).log_prob(
        test.flatten(1)).sum(1).double().mean().item()
    epochs = len(history.epochs)
    print(json.dumps({
        "benchmark": "pixelrnn_binarized_mnist", "kind": args.kind, "hidden": args.hidden,
        "layers": args.layers, "num_parameters": registry.num_parameters(model),
        "seed": args.seed, "threads": args.threads, "batch_size": args.batch_size,
        "lr": args.lr, "n_train": len(train), "n_valid": len(valid), "n_test": len(test),
        "estimator": "exact", "test_nll_nats": nll["nll_nats"],
        "test_stderr_nats": nll["stderr_nats"],
        "test_bits_per_dim": nll["nll_nats"] / (784 * math.log(2)),
        "epochs": epochs, "best_epoch": history.best_epoch,
        "budget_minutes": args.budget_minutes, "train_seconds": train_seconds,
        "seconds_per_epoch": train_seconds / max(epochs, 1),
        "eval_seconds": eval_seconds, "seconds_to_sample_16": sample_seconds,
        "baseline_independent_test_nll_nats": independent,
        "valid_nll_per_epoch": [e.get("valid_loss") for e in history.epochs]}))


if __name__ == "__main__":
    main(parse_args())
