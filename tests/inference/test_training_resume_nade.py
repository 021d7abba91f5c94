"""Exact resume with a real density model and a learning-rate schedule."""

import pytest
import torch

from inference.training import MLEStep, Trainer
from ppl_models.distributions import NADE


def _fit(ckpt, max_epochs, resume, init_seed, ema_decay=None):
    torch.manual_seed(init_seed)
    model = NADE(12, 8, block_size=5)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=4 * 4)
    step = MLEStep(model, optimizer, scheduler=scheduler, ema_decay=ema_decay)
    data = torch.bernoulli(torch.full((60, 12), 0.3), generator=torch.Generator().manual_seed(1))
    trainer = Trainer(step, data[:48], data[48:], batch_size=12, max_epochs=max_epochs,
                      checkpoint_dir=ckpt, seed=5, progress=False, restore_best=False)
    return step, trainer.fit(resume=resume)


@pytest.mark.parametrize("ema_decay", [None, 0.9])
def test_nade_with_schedule_resumes_bit_identically(tmp_path, ema_decay):
    full_step, full = _fit(tmp_path / "a", 4, False, 0, ema_decay)
    _fit(tmp_path / "b", 2, False, 0, ema_decay)
    resumed_step, resumed = _fit(tmp_path / "b", 4, True, 123, ema_decay)
    assert [e["valid_loss"] for e in resumed.epochs] == [e["valid_loss"] for e in full.epochs]
    for a, b in zip(full_step.model.parameters(), resumed_step.model.parameters(), strict=True):
        assert torch.equal(a, b)
    assert resumed_step.scheduler.get_last_lr() == full_step.scheduler.get_last_lr()
    assert full_step.scheduler.last_epoch == 16  # stepped once per update, not per epoch
    if ema_decay is not None:
        for a, b in zip(full_step.update.average, resumed_step.update.average, strict=True):
            assert torch.equal(a, b)


def test_training_lowers_nll():
    step, history = _fit(None, 4, False, 0)
    assert history.epochs[-1]["valid_loss"] < history.epochs[0]["valid_loss"]


def test_parameter_average_is_an_exponential_moving_average_and_validates():
    torch.manual_seed(0)
    model = NADE(5, 3)
    step = MLEStep(model, lr=0.1, ema_decay=0.5)
    x = torch.bernoulli(torch.full((8, 5), 0.5))
    expected = [p.detach().clone() for p in model.parameters()]
    for _ in range(3):
        step.train_step(x)
        params = model.parameters()
        expected = [0.5 * e + 0.5 * p.detach() for e, p in zip(expected, params, strict=True)]
    for a, e in zip(step.update.average, expected, strict=True):
        torch.testing.assert_close(a, e)
    raw = [p.detach().clone() for p in model.parameters()]
    with step.update.averaged():
        averaged_nll = -model().log_prob(x).mean().item()
    assert step.eval_step(x)["loss"] == pytest.approx(averaged_nll)
    for p, r in zip(model.parameters(), raw, strict=True):  # raw weights are back
        assert torch.equal(p, r)
    step.update.load_average()
    assert -model().log_prob(x).mean().item() == pytest.approx(averaged_nll)


def test_bad_ema_decay():
    with pytest.raises(ValueError, match="ema_decay"):
        MLEStep(NADE(3, 2), ema_decay=1.0)
