"""NADE / FVSBN on the fixed binarized MNIST: fit on train, select on valid, report test.

Prints one JSON line: test NLL (exact, nats per image, and bits/dim), the epoch selected,
epochs run and wall time. Published (Larochelle & Murray 2011): NADE 88.86, FVSBN 97.45.

    python benchmarks/nade_binarized_mnist.py --model nade --epochs 18
"""

import argparse
import json
import math
import time
from pathlib import Path

import torch

from inference.metrics import evaluate_nll
from inference.training import MLEStep, Trainer
from ppl_models import registry
from ppl_models.data import load_binarized_mnist

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_DATA = SHARED / "data" / "binarized_mnist.npz"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--model", choices=["nade", "fvsbn"], default="nade")
    p.add_argument("--hidden", type=int, default=500)
    p.add_argument("--epochs", type=int, default=18)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--patience", type=int, default=4)
    p.add_argument("--ema-decay", type=float, default=None,
                   help="validate and test with an exponential moving average of the weights")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint-dir", type=Path, default=None)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--threads", type=int, default=None,
                   help="torch threads; 1 when sharing the machine (OpenMP hates oversubscription)")
    p.add_argument("--train-limit", type=int, default=None, help="use the first N train rows")
    return p.parse_args(argv)


def _options(args) -> dict:
    """The kind's own options (NADE's ``hidden``; none for FVSBN), from the registry."""
    return {o.name: getattr(args, o.dest) for o in registry.entry(args.model).options}


def main(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = load_binarized_mnist(args.data)
    train = data["train"][: args.train_limit]
    options = _options(args)
    model = registry.build(args.model, dim=784, **options)
    model.init_bias_from_data(train)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    # Cosine decay to zero over the whole budget, in updates: the last epochs average out
    # Adam's noise, which is worth about a nat over a constant rate at equal epochs.
    updates = args.epochs * math.ceil(len(train) / args.batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=updates)
    step = MLEStep(model, optimizer, scheduler=scheduler, ema_decay=args.ema_decay)
    trainer = Trainer(step, train, data["valid"], batch_size=args.batch_size,
                      max_epochs=args.epochs, patience=args.patience, seed=args.seed,
                      checkpoint_dir=args.checkpoint_dir,
                      log_fn=lambda r: print(json.dumps({"epoch_record": r}), flush=True))
    start = time.perf_counter()
    history = trainer.fit(resume=args.resume)
    train_seconds = time.perf_counter() - start
    if args.ema_decay is not None:
        step.update.load_average()
    test = evaluate_nll(model, data["test"], batch_size=1000)
    result = {
        "benchmark": "binarized_mnist_nll",
        "model": args.model,
        "hidden": options.get("hidden"),
        "estimator": "exact",
        "binarisation": "fixed (Larochelle & Murray 2011)",
        "seed": args.seed,
        "test_nll_nats": round(test["nll_nats"], 3),
        "test_nll_stderr": round(test["stderr_nats"], 3),
        "test_bits_per_dim": round(test["bits_per_dim"], 5),
        "best_valid_nll_nats": round(history.best_valid_loss, 3),
        "best_epoch": history.best_epoch,
        "epochs_run": len(history.epochs),
        "train_wall_seconds": round(train_seconds, 1),
        "lr": args.lr,
        "ema_decay": args.ema_decay,
        "batch_size": args.batch_size,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main(parse_args())
