"""What every rank of the two-process tests runs (imported by the spawned children).

One spawn runs every scenario, because starting two Python processes that import torch and
Pyro costs seconds on the shared 2-core machine; each rank saves its results for the test
process to compare with a single-process reference it computes itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyro
import torch
import torch.distributed as dist
from torch import nn

from inference.training import MLEStep, SVIStep, Trainer
from inference.training import trainer as trainer_module
from ppl_models.distributions import NADE
from ppl_models.vae import VAE

SEED = 3  # the Trainer's seed in every scenario
LR = 0.01


def nade_data() -> torch.Tensor:
    """``(12, 6)`` binary data; the first rows train, the rest validate."""
    g = torch.Generator().manual_seed(1)
    return torch.bernoulli(torch.full((12, 6), 0.4), generator=g)


def vae_data() -> torch.Tensor:
    g = torch.Generator().manual_seed(2)
    return torch.bernoulli(torch.full((7, 6), 0.5), generator=g)


def build_nade() -> NADE:
    torch.manual_seed(0)
    return NADE(6, 4, block_size=4)


def build_vae() -> VAE:
    torch.manual_seed(0)
    return VAE((6,), 2, hidden=(5,))


def _snapshot(model: nn.Module, history) -> dict:
    return {
        "params": [p.detach().clone() for p in model.parameters()],
        "grads": [p.grad.detach().clone() for p in model.parameters()],
        "valid": [e["valid_loss"] for e in history.epochs],
        "train": [e["train_loss"] for e in history.epochs],
    }


def fit_nade(n_train: int, batch_size: int, epochs: int, ckpt=None, resume=False) -> dict:
    x = nade_data()
    model = build_nade()
    step = MLEStep(model, lr=LR)
    trainer = Trainer(step, x[:n_train], x[n_train:], batch_size=batch_size,
                      max_epochs=epochs, seed=SEED, progress=False, restore_best=False,
                      checkpoint_dir=ckpt)
    return _snapshot(model, trainer.fit(resume=resume))


def fit_vae(n_train: int, batch_size: int, epochs: int, ckpt=None, resume=False,
            valid: bool = False) -> dict:
    x = vae_data()
    vae = build_vae()
    step = SVIStep(vae, lr=LR)
    # Without validation data no evaluation draws noise, so the single-process reference
    # only has to replay the training draws.
    trainer = Trainer(step, x[:n_train], x[n_train:] if valid else None, batch_size=batch_size,
                      max_epochs=epochs, seed=SEED, progress=False, restore_best=False,
                      checkpoint_dir=ckpt)
    return _snapshot(vae, trainer.fit(resume=resume))


class _NoDistributeStep:
    def __init__(self) -> None:
        self.w = nn.Parameter(torch.zeros(1))

    def train_step(self, batch):
        return {"loss": 0.0}

    def eval_step(self, batch):
        return {"loss": 0.0}

    def state_dict(self):
        return {}

    def load_state_dict(self, state):
        pass


class _StoreParamVAE(nn.Module):
    """A model/guide pair with one parameter in Pyro's global store only."""

    def __init__(self) -> None:
        super().__init__()
        self.loc = nn.Linear(6, 1)

    def model(self, x):
        shift = pyro.param("outside_the_module", torch.zeros(1))
        with pyro.plate("data", x.shape[0]):
            z = pyro.sample("z", pyro.distributions.Normal(shift, 1.0).to_event(1))
            pyro.sample("x", pyro.distributions.Bernoulli(logits=z.expand(-1, 6)).to_event(1),
                        obs=x)

    def guide(self, x):
        with pyro.plate("data", x.shape[0]):
            pyro.sample("z", pyro.distributions.Normal(self.loc(x), 1.0).to_event(1))


def _refusal(fn) -> str | None:
    try:
        fn()
    except ValueError as e:
        return str(e)
    return None


def worker(rank: int, world_size: int, port: int, out: str) -> None:
    """Every scenario on rank ``rank``; results to ``out/rank{rank}.pt``."""
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    out = Path(out)
    results: dict = {"inference_file": trainer_module.__file__}
    # 5 examples in one batch: shares of 3 and 2 (an uneven split).
    results["nade_one_step"] = fit_nade(5, 5, 1)
    # 7 examples in batches of 3: shares (2, 1), (2, 1) and (1, 0), so rank 1 holds a
    # stand-in at every epoch's last update.
    results["nade_steps"] = fit_nade(7, 3, 3)
    results["vae_one_step"] = fit_vae(4, 4, 1)
    results["vae_steps"] = fit_vae(7, 3, 2)

    saves = []
    original = trainer_module.save_checkpoint
    trainer_module.save_checkpoint = lambda path, state: (saves.append(str(path)),
                                                          original(path, state))
    try:
        results["vae_uninterrupted"] = fit_vae(5, 2, 3, ckpt=out / "uninterrupted", valid=True)
    finally:
        trainer_module.save_checkpoint = original
    results["saves"] = saves
    fit_vae(5, 2, 1, ckpt=out / "resumed", valid=True)
    results["vae_resumed"] = fit_vae(5, 2, 3, ckpt=out / "resumed", resume=True, valid=True)

    # Decisions every rank must share: rank 0's clock (max_seconds) and rank 0's evaluate
    # numbers (here they differ by rank), or the ranks would stop apart and hang.
    x = nade_data()
    history = Trainer(MLEStep(build_nade(), lr=LR), x[:6], max_epochs=3, max_seconds=1e-9,
                      seed=SEED, progress=False, monitor="score", mode="max",
                      evaluate=lambda step, epoch: {"score": float(rank)}).fit()
    results["shared_decisions"] = [e["valid_score"] for e in history.epochs]

    # Written by one process before the spawn.
    results["world_size_refusal"] = _refusal(
        lambda: fit_nade(7, 3, 2, ckpt=out / "single", resume=True))
    results["no_distribute_refusal"] = _refusal(
        lambda: Trainer(_NoDistributeStep(), torch.zeros(4, 1), progress=False).fit())
    results["store_param_refusal"] = _refusal(
        lambda: Trainer(SVIStep(_StoreParamVAE()), vae_data(), max_epochs=1,
                        progress=False).fit())
    torch.save(results, out / f"rank{rank}.pt")
    dist.destroy_process_group()
