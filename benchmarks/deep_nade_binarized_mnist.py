"""Order-agnostic DeepNADE on the fixed binarized MNIST: a CPU learning curve.

Trains with :class:`~inference.training.ModelLossStep` (a random order and split per image,
Uria, Murray & Larochelle 2014), selects on the exact NLL of the identity ordering over the
first ``--valid-limit`` validation images (the exact score costs 784 masked passes per image,
about 1 s per 100 images on one core, so the full 10,000 every epoch would cost more than
the training), and reports the exact test NLL of the identity ordering and of ensembles of
orderings. Prints one JSON line per epoch and a final one. Published: DeepNADE 2 hidden
layers with ensembles about 85.1 nats (as the PixelRNN paper lists it); NADE 88.86.

    python benchmarks/deep_nade_binarized_mnist.py --max-seconds 900 --threads 1
"""

import argparse
import json
import time
from pathlib import Path

import torch

from inference.metrics import evaluate_nll
from inference.training import ModelLossStep, Trainer
from ppl_models.data import load_binarized_mnist
from ppl_models.distributions import DeepNADE

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_DATA = SHARED / "data" / "binarized_mnist.npz"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--hidden", type=int, nargs="+", default=[500, 500])
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--valid-limit", type=int, default=1000)
    p.add_argument("--test-limit", type=int, default=None)
    p.add_argument("--orderings", type=int, nargs="*", default=[2])
    p.add_argument("--max-seconds", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    return p.parse_args(argv)


def main(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = load_binarized_mnist(args.data)
    train, valid = data["train"], data["valid"][: args.valid_limit]
    test = data["test"][: args.test_limit]
    model = DeepNADE(784, args.hidden)
    model.init_bias_from_data(train)
    step = ModelLossStep(model, lr=args.lr)
    trainer = Trainer(step, train, valid, batch_size=args.batch_size, max_epochs=args.epochs,
                      seed=args.seed, max_seconds=args.max_seconds, progress=False,
                      log_fn=lambda r: print(json.dumps({"epoch_record": r}), flush=True))
    start, cpu = time.perf_counter(), time.process_time()
    history = trainer.fit()
    train_seconds, train_cpu = time.perf_counter() - start, time.process_time() - cpu
    test_nll = evaluate_nll(model, test, batch_size=500)
    ensembles = {}
    model.eval()
    for k in args.orderings:
        with torch.no_grad():
            lp = torch.cat([model.ensemble(k).log_prob(x) for x in test.split(500)])
        ensembles[str(k)] = round(-lp.double().mean().item(), 3)
    print(json.dumps({
        "benchmark": "deep_nade_binarized_mnist",
        "hidden": args.hidden,
        "estimator": "exact",
        "binarisation": "fixed (Larochelle & Murray 2011)",
        "seed": args.seed,
        "test_n": len(test),
        "test_nll_nats": round(test_nll["nll_nats"], 3),
        "test_nll_stderr": round(test_nll["stderr_nats"], 3),
        "test_nll_ensembles_nats": ensembles,
        "valid_images": len(valid),
        "best_valid_nll_nats": round(history.best_valid_loss, 3),
        "best_epoch": history.best_epoch,
        "epochs_run": len(history.epochs),
        "train_wall_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu, 1),
        "lr": args.lr,
        "batch_size": args.batch_size,
        "threads": torch.get_num_threads(),
    }), flush=True)


if __name__ == "__main__":
    main(parse_args())
