"""What every rank of the two-process adversarial tests runs (imported by the spawned children).

As in :mod:`ddp_workers`, one spawn runs every scenario (starting two Python processes that
import torch and Pyro costs seconds); each rank saves its results for the test process,
which computes the single-process references itself.
"""

from __future__ import annotations

import datetime
import os
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from inference.games import CycleGame
from inference.metrics.frechet import frechet_distance
from inference.training import AdversarialStep, Trainer
from inference.training import trainer as trainer_module
from inference.training.divergence import TrainingDiverged
from ppl_models.aae import AAE
from ppl_models.data import UnpairedDomains
from ppl_models.gan import DCGAN, GAN
from ppl_models.gan.cyclegan import CycleGAN

SEED = 5  # the Trainer's seed in every scenario
LR = 0.01
# A rank left waiting by the other (the bug the divergence scenarios catch) fails after
# this long instead of hanging the test.
GROUP_TIMEOUT = datetime.timedelta(seconds=30)


def gan_data() -> torch.Tensor:
    return torch.randn(7, 2, generator=torch.Generator().manual_seed(4))


def aae_data() -> torch.Tensor:
    g = torch.Generator().manual_seed(6)
    return torch.bernoulli(torch.full((5, 6), 0.5), generator=g)


def dcgan_data() -> torch.Tensor:
    return torch.rand(6, 1, 8, 8, generator=torch.Generator().manual_seed(7))


def build_gan() -> GAN:
    torch.manual_seed(0)
    return GAN(2, latent_dim=2, hidden=(8,))


def build_aae() -> AAE:
    torch.manual_seed(0)
    return AAE((6,), latent_dim=2, hidden=(5,), disc_hidden=(4,))


def build_dcgan() -> DCGAN:
    torch.manual_seed(0)
    return DCGAN((1, 8, 8), latent_dim=3, channels=2)


def gan_step(model: nn.Module, **kwargs) -> AdversarialStep:
    return AdversarialStep(model, lr=LR, **kwargs)


def _grads(module: nn.Module) -> list:
    return [None if p.grad is None else p.grad.detach().clone() for p in module.parameters()]


def snapshot(step: AdversarialStep, history=None) -> dict:
    model = step.model
    average = step.generator_update.average
    return {
        "params": [p.detach().clone() for p in model.parameters()],
        "buffers": [b.detach().clone() for b in model.buffers()],
        "average": None if average is None else [a.clone() for a in average],
        "g_grads": _grads(model.generator),
        "d_grads": _grads(model.discriminator),
        "train": None if history is None else [e["train_d_loss"] for e in history.epochs],
    }


def fit(build, data, n_train: int, batch_size: int, epochs: int, ckpt=None, resume=False,
        step_kwargs=None, step_class=AdversarialStep) -> dict:
    x = data()
    step = step_class(build(), lr=LR, **(step_kwargs or {}))
    trainer = Trainer(step, x[:n_train], None, batch_size=batch_size, max_epochs=epochs,
                      seed=SEED, progress=False, restore_best=False, checkpoint_dir=ckpt)
    return snapshot(step, trainer.fit(resume=resume))


class NaNLossOnRankOne(AdversarialStep):
    """Reports a NaN loss on rank 1 alone at its 4th update; every gradient stays finite."""

    def train_step(self, batch, shard=None):
        out = super().train_step(batch, shard)
        if dist.get_rank() == 1 and self.updates == 4:
            out["loss"] = float("nan")
        return out


class NaNGradientOnRankOne(AdversarialStep):
    """Writes a NaN into one discriminator gradient on rank 1 alone, after DDP's all-reduce
    and before the 4th update's finite check (a gradient no wrapper synchronises)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        update = self.discriminator_update
        original = update.step

        def poisoned() -> None:
            if dist.get_rank() == 1 and self.updates == 3:
                update.parameters[0].grad.view(-1)[0] = float("nan")
            original()

        update.step = poisoned


def _cycle(epochs: int, ckpt: Path, resume: bool = False) -> dict:
    """CycleGAN on 2 ranks with 2-image replay buffers (full after a round): each rank's
    buffer holds its own share's fakes, so a resume must give each rank its own back."""
    torch.manual_seed(0)
    game = CycleGame(CycleGAN((1, 8, 8), channels=2, residual_blocks=1), buffer_size=2)
    g = torch.Generator().manual_seed(3)
    data = UnpairedDomains(torch.rand(8, 1, 8, 8, generator=g), torch.rand(6, 1, 8, 8, generator=g))
    step = AdversarialStep(game, lr=LR)
    Trainer(step, data, None, batch_size=4, max_epochs=epochs, seed=SEED, progress=False,
            restore_best=False, checkpoint_dir=ckpt).fit(resume=resume)
    return {"params": [p.detach().clone() for p in step.model.parameters()],
            "buffers": [i.clone() for b in game.buffers.values() for i in b.images]}


def _diverge(step_class, ckpt: Path) -> dict:
    started = time.perf_counter()
    try:
        fit(build_gan, gan_data, 7, 3, 3, ckpt=ckpt, step_class=step_class)
    except TrainingDiverged as e:
        return {"message": str(e), "seconds": time.perf_counter() - started}
    except Exception as e:  # what a rank left waiting gets (a gloo timeout or a dead peer)
        return {"message": f"{type(e).__name__}: {e}", "seconds": time.perf_counter() - started}
    return {"message": None, "seconds": time.perf_counter() - started}


class TinyFeatures(nn.Module):
    """A 2-feature extractor: enough for torchmetrics' FID on a few images."""

    num_features = 2

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = nn.Linear(64, 2)

    def forward(self, x):
        return self.linear(x.reshape(len(x), -1))


def _score_on_rank_zero_alone(rank: int) -> dict | None:
    """What the CLI does after training: rank 0 alone scores samples (FID), the other ranks
    have finished."""
    if rank != 0:
        return None
    started = time.perf_counter()
    try:
        fid = frechet_distance(dcgan_data(), torch.rand(6, 1, 8, 8), TinyFeatures())["fid"]
    except Exception as e:  # a gather from ranks that never come: a gloo timeout
        return {"fid": None, "error": f"{type(e).__name__}: {e}",
                "seconds": time.perf_counter() - started}
    return {"fid": fid, "error": None, "seconds": time.perf_counter() - started}


def worker(rank: int, world_size: int, port: int, out: str) -> None:
    """Every scenario on rank ``rank``; results to ``out/rank{rank}.pt``."""
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world_size, timeout=GROUP_TIMEOUT)
    out = Path(out)
    results: dict = {"inference_file": trainer_module.__file__, "started": time.time()}
    # One discriminator-only round (d_steps=2) on 4 examples: shares of 2 and 2.
    results["gan_one_round"] = fit(build_gan, gan_data, 4, 4, 1, step_kwargs={"d_steps": 2})
    # 7 examples in batches of 3: shares (2, 1), (2, 1), (1, 0), so rank 1 holds a stand-in
    # at every epoch's last round; the generator moves every 2nd round, with an EMA.
    results["gan_steps"] = fit(build_gan, gan_data, 7, 3, 2,
                               step_kwargs={"d_steps": 2, "ema_decay": 0.9})
    # The AAE: its reconstruction term shares the generator's update; R1 differentiates the
    # discriminator's input gradient inside DDP's forward. Shares of 3 and 2.
    results["aae_steps"] = fit(build_aae, aae_data, 5, 5, 3, step_kwargs={"r1": 0.5})

    # DCGAN (BatchNorm in both players): rank-0-only checkpoints, resume, equal buffers.
    saves = []
    original = trainer_module.save_checkpoint
    trainer_module.save_checkpoint = lambda path, state: (saves.append(str(path)),
                                                          original(path, state))
    try:
        results["dcgan_uninterrupted"] = fit(build_dcgan, dcgan_data, 6, 4, 3,
                                             ckpt=out / "uninterrupted")
    finally:
        trainer_module.save_checkpoint = original
    results["saves"] = saves
    fit(build_dcgan, dcgan_data, 6, 4, 1, ckpt=out / "resumed")
    results["dcgan_resumed"] = fit(build_dcgan, dcgan_data, 6, 4, 3, ckpt=out / "resumed",
                                   resume=True)

    results["cycle_uninterrupted"] = _cycle(3, out / "cycle_uninterrupted")
    _cycle(1, out / "cycle_resumed")
    results["cycle_resumed"] = _cycle(3, out / "cycle_resumed", resume=True)

    # Last: without agreement the ranks would part here and the group would be unusable.
    results["nan_loss"] = _diverge(NaNLossOnRankOne, out / "nan_loss")
    results["nan_gradient"] = _diverge(NaNGradientOnRankOne, out / "nan_gradient")
    results["fid_on_rank_zero"] = _score_on_rank_zero_alone(rank)
    results["finished"] = time.time()
    torch.save(results, out / f"rank{rank}.pt")
    dist.destroy_process_group()
