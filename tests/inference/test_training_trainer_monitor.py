"""Trainer: a monitored metric (min or max, from eval_step or an evaluate callback) selects
the best epoch and drives early stopping; resume stays exact with a random callback."""

import json
import math

import pyro.distributions as dist
import pytest
import torch
from torch import nn

from inference.training import History, MLEStep, Trainer

D = 5
X = torch.zeros(4, 1)


class ScriptedStep:
    """One update per epoch; validation reports a constant loss and a scripted "acc"."""

    def __init__(self, script):
        self.script = script
        self.updates = 0

    def train_step(self, batch):
        self.updates += 1
        return {"loss": 0.0}

    def eval_step(self, batch):
        return {"loss": 10.0 - self.updates, "acc": self.script[self.updates - 1]}

    def state_dict(self):
        return {"updates": self.updates}

    def load_state_dict(self, sd):
        self.updates = sd["updates"]


def _trainer(step, valid=X, **kwargs):
    return Trainer(step, X, valid, batch_size=4, progress=False, **kwargs)


def test_mode_max_selects_the_peak_and_restores_its_state(tmp_path):
    script = [0.2, 0.5, 0.9, 0.7, 0.8]
    step = ScriptedStep(script)
    history = _trainer(step, max_epochs=5, monitor="acc", mode="max",
                       checkpoint_dir=tmp_path).fit()
    assert history.monitored == script
    assert (history.best_epoch, history.best_value) == (3, 0.9)
    assert history.best_valid_loss == 7.0  # the loss at the best epoch, not the lowest loss
    assert (history.monitor, history.mode) == ("acc", "max")
    assert step.updates == 3
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert (best["epoch"], best["value"], best["monitor"], best["mode"]) == (3, 0.9, "acc", "max")
    assert best["step"] == {"updates": 3}


def test_mode_min_on_another_metric():
    step = ScriptedStep([0.4, 0.1, 0.3])
    history = _trainer(step, max_epochs=3, monitor="acc", mode="min").fit()
    assert (history.best_epoch, history.best_value, step.updates) == (2, 0.1, 2)


def test_early_stopping_follows_the_monitored_metric():
    # The loss improves every epoch, so only the monitored metric can stop the run; NaN never
    # improves, in either direction.
    script = [1.0, 3.0, 2.0, float("nan"), 2.9, 5.0]
    step = ScriptedStep(script)
    history = _trainer(step, max_epochs=6, monitor="acc", mode="max", patience=3).fit()
    assert [e["epoch"] for e in history.epochs] == [1, 2, 3, 4, 5]
    assert (history.best_epoch, history.best_value) == (2, 3.0)
    assert step.updates == 2


def test_evaluate_runs_after_validation_and_is_recorded_before_selection():
    calls, records = [], []

    def evaluate(step, epoch):
        calls.append((epoch, step.updates))
        return {"score": torch.tensor([4.0, 1.0, 6.0, 2.0])[epoch - 1]}  # a tensor is fine

    step = ScriptedStep([0.0] * 4)
    history = _trainer(step, max_epochs=4, monitor="score", mode="max", evaluate=evaluate,
                       log_fn=records.append).fit()
    assert calls == [(1, 1), (2, 2), (3, 3), (4, 4)]  # 1-based, on that epoch's state
    assert [r["valid_score"] for r in records] == [4.0, 1.0, 6.0, 2.0]
    assert all(isinstance(r["valid_score"], float) for r in records)
    assert {"valid_loss", "valid_acc", "valid_score"} <= records[0].keys()
    assert (history.best_epoch, step.updates) == (3, 3)


def test_evaluate_without_valid_data_selects_and_stops():
    def evaluate(step, epoch):
        return {"fid": [30.0, 20.0, 25.0, 26.0, 10.0][epoch - 1]}

    step = ScriptedStep([0.0] * 5)
    history = _trainer(step, valid=None, max_epochs=5, monitor="fid", evaluate=evaluate,
                       patience=2).fit()
    assert history.valid_loss == [None] * 4
    assert history.monitored == [30.0, 20.0, 25.0, 26.0]
    assert (history.best_epoch, history.best_value, history.best_valid_loss) == (2, 20.0, None)
    assert step.updates == 2


@pytest.mark.parametrize("kwargs, message", [
    ({"mode": "maximum"}, "mode must be one of"),
    ({"mode": None}, "mode must be one of"),
    ({"monitor": ""}, "monitor must be a non-empty str"),
    ({"monitor": 3}, "monitor must be a non-empty str"),
    ({"monitor": "acc", "valid": None}, "monitor='acc' can never be measured"),
    ({"evaluate": "fid"}, "evaluate must be callable"),
    ({"patience": 2, "valid": None}, "patience needs valid_data or evaluate"),
])
def test_bad_monitor_mode_or_evaluate_is_refused_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _trainer(ScriptedStep([0.0]), **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    ({"monitor": "fid"}, r"monitor='fid' is not among .*\['acc', 'loss'\]"),
    ({"valid": None, "evaluate": lambda s, e: {"fid": 1.0}},
     "monitor='loss' is not among .* one of evaluate's keys"),
    ({"evaluate": lambda s, e: {"loss": 1.0}}, r"evaluate returned \['loss'\]"),
    ({"evaluate": lambda s, e: [1.0]}, "evaluate must return a mapping"),
    ({"evaluate": lambda s, e: {"fid": "low"}}, "evaluate must return numbers"),
])
def test_a_monitor_missing_from_the_first_epoch_is_refused(kwargs, message):
    trainer = _trainer(ScriptedStep([0.0]), max_epochs=2, **kwargs)
    with pytest.raises(ValueError, match=message):
        trainer.fit()
    assert trainer.history.epochs == []


def test_history_round_trip_and_old_dicts():
    history = _trainer(ScriptedStep([0.3, 0.6]), max_epochs=2, monitor="acc", mode="max").fit()
    restored = History.from_dict(json.loads(json.dumps(history.to_dict())))
    assert restored == history and restored.best_value == 0.6
    old = {"epochs": [{"epoch": 1, "valid_loss": 2.0}], "best_epoch": 1, "best_valid_loss": 2.0}
    loaded = History.from_dict(old)
    assert (loaded.monitor, loaded.mode, loaded.best_value) == ("loss", "min", 2.0)


def test_resume_with_another_monitor_is_refused(tmp_path):
    _trainer(ScriptedStep([0.1, 0.2]), max_epochs=1, monitor="acc", mode="max",
             checkpoint_dir=tmp_path).fit()
    trainer = _trainer(ScriptedStep([0.1, 0.2]), max_epochs=2, monitor="acc", mode="min",
                       checkpoint_dir=tmp_path)
    with pytest.raises(ValueError, match="monitor='acc', mode='max'"):
        trainer.fit(resume=True)


class DropoutBernoulli(nn.Module):
    """Logits from an MLP with dropout: every training forward draws from the global RNG."""

    def __init__(self, dim, hidden=16):
        super().__init__()
        self.code = nn.Parameter(torch.randn(hidden))
        self.net = nn.Sequential(nn.Dropout(0.3), nn.Linear(hidden, hidden), nn.Tanh(),
                                 nn.Linear(hidden, dim))

    def forward(self, context=None):
        return dist.Bernoulli(logits=self.net(self.code)).to_event(1)


def _noisy_score(step, epoch):
    """A callback that consumes the global RNG (as sampling for FID would)."""
    draws = torch.rand(7)
    with torch.no_grad():
        logits = step.model.net[1:](step.model.code)
    return {"score": -logits.square().mean().item() + 0.01 * draws.sum().item()}


def _fit(ckpt, max_epochs, resume, init_seed):
    torch.manual_seed(init_seed)
    step = MLEStep(DropoutBernoulli(D), lr=1e-2)
    data = torch.bernoulli(torch.full((40, D), 0.3), generator=torch.Generator().manual_seed(1))
    trainer = Trainer(step, data, None, batch_size=16, max_epochs=max_epochs,
                      checkpoint_dir=ckpt, seed=3, progress=False, monitor="score", mode="max",
                      evaluate=_noisy_score)
    return step, trainer.fit(resume=resume)


def _without_seconds(history):
    return [{k: v for k, v in e.items() if k != "seconds"} for e in history.epochs]


def test_resume_with_a_random_callback_is_bit_identical(tmp_path):
    full_step, full = _fit(tmp_path / "a", 5, False, 0)
    _fit(tmp_path / "b", 2, False, 0)
    # Another initialisation proves the resumed state comes from the checkpoint.
    resumed_step, resumed = _fit(tmp_path / "b", 5, True, 99)
    assert [e["epoch"] for e in resumed.epochs] == [1, 2, 3, 4, 5]
    assert _without_seconds(resumed) == _without_seconds(full)
    assert (resumed.best_epoch, resumed.best_value) == (full.best_epoch, full.best_value)
    assert not math.isnan(full.best_value)
    for a, b in zip(full_step.model.parameters(), resumed_step.model.parameters(), strict=True):
        assert torch.equal(a, b)
