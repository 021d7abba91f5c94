"""Exact resume with a real density model and a learning-rate schedule."""

import torch

from inference.training import MLEStep, Trainer
from ppl_models.distributions import NADE


def _fit(ckpt, max_epochs, resume, init_seed):
    torch.manual_seed(init_seed)
    model = NADE(12, 8, block_size=5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4 * 4)
    step = MLEStep(model, optimizer, scheduler=scheduler)
    data = torch.bernoulli(torch.full((60, 12), 0.3), generator=torch.Generator().manual_seed(1))
    trainer = Trainer(step, data[:48], data[48:], batch_size=12, max_epochs=max_epochs,
                      checkpoint_dir=ckpt, seed=5, progress=False, restore_best=False)
    return step, trainer.fit(resume=resume)


def test_nade_with_schedule_resumes_bit_identically(tmp_path):
    full_step, full = _fit(tmp_path / "a", 4, False, 0)
    _fit(tmp_path / "b", 2, False, 0)
    resumed_step, resumed = _fit(tmp_path / "b", 4, True, 123)
    assert [e["valid_loss"] for e in resumed.epochs] == [e["valid_loss"] for e in full.epochs]
    for a, b in zip(full_step.model.parameters(), resumed_step.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed_step.scheduler.get_last_lr() == full_step.scheduler.get_last_lr()
    assert full_step.scheduler.last_epoch == 16  # stepped once per update, not per epoch


def test_training_lowers_nll():
    step, history = _fit(None, 4, False, 0)
    assert history.epochs[-1]["valid_loss"] < history.epochs[0]["valid_loss"]
