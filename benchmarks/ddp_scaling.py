"""Images per second of NADE (MLE), the VAE (SVI) and DCGAN (adversarial) on 1 and 2 processes,
one thread each.

Each configuration is started with ``torch.multiprocessing`` spawn (the 1-process run too,
so both pay the same start-up, which is not timed), joins a gloo group on the loopback
address, and runs the training step (:class:`~inference.training.MLEStep` /
:class:`~inference.training.SVIStep` / :class:`~inference.training.AdversarialStep`, one
discriminator and one generator update per batch; gradients synchronised by DDP) on global
batches of
``--batch-size`` split over the ranks, for ``--seconds`` after two warm-up updates. Rank 0's
clock decides when all stop. Parallel efficiency is speed-up / processes. Prints one JSON
line.

A 2-core machine bounds the speed-up at 2, and a machine shared with other work bounds it
lower still: the load average at the start is part of the output.

    python benchmarks/ddp_scaling.py --seconds 20 --seed 0
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from inference.cli.script_options import finish, script_parser, shared_data
from inference.training import AdversarialStep, MLEStep, SVIStep, distributed
from ppl_models.data import load_dataset
from ppl_models.distributions import NADE
from ppl_models.gan import DCGAN
from ppl_models.vae import VAE

DATA = shared_data() / "binarized_mnist.npz"


def _images(path: str | None) -> tuple[torch.Tensor, str]:
    """``(N, 784)`` binary training images and the data set's name."""
    if path and Path(path).is_file():
        splits, name = load_dataset("binarized_mnist", path=path), "binarized_mnist"
    else:  # the embedded MNIST-5k, binarised at 0.5
        splits, name = load_dataset("mnist5k"), "mnist5k"
    return splits.train.reshape(len(splits.train), -1), name


def _worker(rank: int, world: int, port: int, cfg: dict, out: str) -> None:
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    if world > 1:
        dist.init_process_group("gloo", rank=rank, world_size=world)
    x, _ = _images(cfg["data"])
    torch.manual_seed(cfg["seed"])
    step = _step(cfg)
    if cfg["model"] == "dcgan":
        x = x.reshape(-1, 1, 28, 28)
    if world > 1:
        step.distribute()
    torch.manual_seed(distributed.rank_seed(cfg["seed"], rank))
    b = cfg["batch_size"]
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(cfg["seed"]))
    local = distributed.shard(b, rank, world)
    flag = torch.zeros(1)
    steps, started = 0, None
    while True:
        start = (steps * b) % (len(x) - b)
        batch = x[order[start:start + b]]
        if world > 1:
            step.train_step(batch[local], shard=distributed.Shard(len(batch[local]), b, world))
        else:
            step.train_step(batch)
        steps += 1
        if steps == 2:  # after warm-up
            started = time.perf_counter()
        if started is not None:
            flag[0] = float(time.perf_counter() - started >= cfg["seconds"])
            if world > 1:
                dist.broadcast(flag, src=0)
            if flag[0]:
                break
    if rank == 0:
        elapsed = time.perf_counter() - started
        Path(out).write_text(json.dumps({"updates": steps - 2, "seconds": elapsed,
                                         "images_per_second": (steps - 2) * b / elapsed}))
    if world > 1:
        dist.destroy_process_group()


def _step(cfg: dict):
    if cfg["model"] == "nade":
        return MLEStep(NADE(784, cfg["nade_hidden"]), lr=1e-3)
    if cfg["model"] == "vae":
        return SVIStep(VAE((784,), 50, hidden=(400,)), objective="meanfield", lr=1e-3)
    return AdversarialStep(DCGAN((1, 28, 28), latent_dim=100, channels=cfg["dcgan_channels"]))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(model: str, world: int, cfg: dict) -> dict:
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "result.json")
        mp.spawn(_worker, args=(world, _free_port(), {**cfg, "model": model}, out),
                 nprocs=world, join=True)
        return json.loads(Path(out).read_text())


def main(argv=None) -> dict:
    p = script_parser(__doc__, record=True, smoke=False)
    p.add_argument("--seconds", type=float, default=20.0,
                   help="timed seconds per configuration (the budget: 4 configurations)")
    p.add_argument("--batch-size", type=int, default=100, help="global batch size")
    p.add_argument("--nade-hidden", type=int, default=500)
    p.add_argument("--data", default=str(DATA),
                   help="binarized MNIST .npz (MNIST-5k is used when it is absent)")
    p.add_argument("--dcgan-channels", type=int, default=32,
                   help="DCGAN's base width c (28x28 images, latent 100)")
    p.add_argument("--models", nargs="+", default=["nade", "vae", "dcgan"],
                   choices=["nade", "vae", "dcgan"])
    args = p.parse_args(argv)
    if not args.seconds > 0 or args.batch_size < 2:
        p.error("--seconds must be positive and --batch-size at least 2")
    cfg = {"seconds": args.seconds, "seed": args.seed, "batch_size": args.batch_size,
           "nade_hidden": args.nade_hidden, "data": args.data,
           "dcgan_channels": args.dcgan_channels}
    load = os.getloadavg()[0]
    result = {"benchmark": "ddp_scaling", "dataset": _images(args.data)[1], "seed": args.seed,
              "batch_size": args.batch_size, "seconds_per_configuration": args.seconds,
              "threads_per_process": 1, "cpu_count": os.cpu_count(),
              "load_average_at_start": round(load, 2),
              "note": "speed-up is bounded by the cores: at most 2 on a 2-core machine, less "
                      "when it is shared"}
    for model in args.models:
        one = measure(model, 1, cfg)
        two = measure(model, 2, cfg)
        speedup = two["images_per_second"] / one["images_per_second"]
        name = {"nade": f"nade_h{args.nade_hidden}", "vae": "vae_784_400_50",
                "dcgan": f"dcgan_28x28_c{args.dcgan_channels}"}[model]
        result[name] = {"images_per_second_1": round(one["images_per_second"], 1),
                        "images_per_second_2": round(two["images_per_second"], 1),
                        "updates_1": one["updates"], "updates_2": two["updates"],
                        "speedup": round(speedup, 3), "efficiency": round(speedup / 2, 3)}
    return finish(args, result, figures={
        "columns": ["model", "images/s, 1 process", "images/s, 2 processes", "speed-up"],
        "rows": [[name, r["images_per_second_1"], r["images_per_second_2"], r["speedup"]]
                 for name, r in result.items() if isinstance(r, dict)]})


if __name__ == "__main__":
    main()
