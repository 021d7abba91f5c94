import json
import os

import pyro.distributions as dist
import pytest
import torch
from torch import nn

import inference.training.trainer as trainer_module
from inference.metrics import evaluate_nll
from inference.training import History, MLEStep, Trainer

D = 6


class LogitBernoulli(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(dim))

    def forward(self, context=None):
        return dist.Bernoulli(logits=self.logits).to_event(1)


class DropoutBernoulli(nn.Module):
    """Logits from an MLP with dropout: every training forward draws from the global RNG."""

    def __init__(self, dim, hidden=16):
        super().__init__()
        self.code = nn.Parameter(torch.randn(hidden))
        self.net = nn.Sequential(
            nn.Dropout(0.3), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, dim)
        )

    def forward(self, context=None):
        return dist.Bernoulli(logits=self.net(self.code)).to_event(1)


def stochastic_binarise(batch):
    return torch.bernoulli(batch), None


class ScriptedStep:
    """Validation losses follow a script indexed by the number of updates (one per epoch)."""

    def __init__(self, script):
        self.script = script
        self.updates = 0

    def train_step(self, batch):
        self.updates += 1
        return {"loss": 0.0}

    def eval_step(self, batch):
        return {"loss": self.script[self.updates - 1]}

    def state_dict(self):
        return {"updates": self.updates}

    def load_state_dict(self, sd):
        self.updates = sd["updates"]


class RecordingStep:
    """Reports each batch's mean value as its loss and remembers what it saw."""

    def __init__(self):
        self.seen = []

    def train_step(self, batch):
        self.seen.append(batch.clone())
        return {"loss": batch.mean().item()}

    def eval_step(self, batch):
        return {"loss": batch.mean().item(), "sq": (batch**2).mean().item()}

    def state_dict(self):
        return {}

    def load_state_dict(self, sd):
        pass


def _probabilities(n, seed):
    return torch.rand(n, D, generator=torch.Generator().manual_seed(seed))


def _without_seconds(history):
    return [{k: v for k, v in e.items() if k != "seconds"} for e in history.epochs]


def _train_dropout_model(ckpt, max_epochs, resume, init_seed, restore_best):
    torch.manual_seed(init_seed)
    model = DropoutBernoulli(D)
    step = MLEStep(model, lr=1e-2, context_fn=stochastic_binarise)
    trainer = Trainer(
        step,
        _probabilities(50, 1),
        _probabilities(20, 2),
        batch_size=16,
        max_epochs=max_epochs,
        checkpoint_dir=ckpt,
        seed=3,
        progress=False,
        restore_best=restore_best,
    )
    return step, trainer.fit(resume=resume)


@pytest.mark.parametrize("restore_best", [False, True])
def test_exact_resume_is_bit_identical(tmp_path, restore_best):
    full_step, full = _train_dropout_model(tmp_path / "a", 4, False, 0, restore_best)
    _train_dropout_model(tmp_path / "b", 2, False, 0, restore_best)
    # A different initialisation proves the resumed parameters come from the checkpoint.
    resumed_step, resumed = _train_dropout_model(tmp_path / "b", 4, True, 99, restore_best)

    assert [e["epoch"] for e in resumed.epochs] == [1, 2, 3, 4]
    assert _without_seconds(resumed) == _without_seconds(full)
    assert (resumed.best_epoch, resumed.best_valid_loss) == (full.best_epoch, full.best_valid_loss)
    for a, b in zip(full_step.model.parameters(), resumed_step.model.parameters(), strict=True):
        assert torch.equal(a, b)
    opt_a, opt_b = full_step.optimizer.state_dict(), resumed_step.optimizer.state_dict()
    for i in opt_a["state"]:
        for k in opt_a["state"][i]:
            assert torch.equal(opt_a["state"][i][k], opt_b["state"][i][k])


def test_resume_without_global_rng_state_diverges(tmp_path, monkeypatch):
    # Control for the test above: the global RNG is what makes the resume exact here.
    full_step, _ = _train_dropout_model(tmp_path / "a", 4, False, 0, False)
    _train_dropout_model(tmp_path / "b", 2, False, 0, False)
    monkeypatch.setattr(trainer_module, "set_rng_state", lambda state: None)
    torch.manual_seed(12345)
    resumed_step, _ = _train_dropout_model(tmp_path / "b", 4, True, 99, False)
    assert not torch.equal(full_step.model.code, resumed_step.model.code)


def test_checkpoints_are_weights_only_files_and_no_temporaries(tmp_path):
    _train_dropout_model(tmp_path, 2, False, 0, True)
    assert sorted(os.listdir(tmp_path)) == ["best.pt", "last.pt"]
    last = torch.load(tmp_path / "last.pt", weights_only=True)
    best = torch.load(tmp_path / "best.pt", weights_only=True)
    assert last["epoch"] == 2
    assert best["epoch"] == last["history"]["best_epoch"]
    assert set(best["step"]) == {"model", "optimizer"}


def test_early_stopping_stops_and_restores_best(tmp_path):
    script = [5.0, 3.0, 4.0, 3.5, 6.0, 1.0, 0.5]
    step = ScriptedStep(script)
    trainer = Trainer(
        step, torch.zeros(4, 1), torch.zeros(4, 1), batch_size=4, max_epochs=7, patience=3,
        checkpoint_dir=tmp_path, progress=False,
    )  # fmt: skip
    history = trainer.fit()
    assert [e["epoch"] for e in history.epochs] == [1, 2, 3, 4, 5]
    assert history.valid_loss == script[:5]
    assert (history.best_epoch, history.best_valid_loss) == (2, 3.0)
    assert step.updates == 2  # the best epoch's state was restored
    assert torch.load(tmp_path / "best.pt", weights_only=True)["step"] == {"updates": 2}
    assert torch.load(tmp_path / "last.pt", weights_only=True)["step"] == {"updates": 5}

    # Resuming a run that already stopped early trains no further.
    again = ScriptedStep(script)
    trainer = Trainer(
        again, torch.zeros(4, 1), torch.zeros(4, 1), batch_size=4, max_epochs=7, patience=3,
        checkpoint_dir=tmp_path, progress=False, restore_best=False,
    )  # fmt: skip
    assert len(trainer.fit(resume=True).epochs) == 5
    assert again.updates == 5


def test_without_restore_best_keeps_last_state():
    step = ScriptedStep([5.0, 3.0, 4.0, 4.0])
    Trainer(
        step, torch.zeros(4, 1), torch.zeros(4, 1), batch_size=4, max_epochs=4,
        progress=False, restore_best=False,
    ).fit()  # fmt: skip
    assert step.updates == 4


def test_losses_are_example_weighted_means_over_all_data():
    # Batches [0,1,2], [3,4,5], [55]: the mean of batch means (20) differs from the mean (10).
    data = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 55.0]).unsqueeze(1)
    step = RecordingStep()
    history = Trainer(step, data, data, batch_size=3, max_epochs=2, progress=False).fit()
    for epoch in history.epochs:
        assert epoch["train_loss"] == pytest.approx(10.0)
        assert epoch["valid_loss"] == pytest.approx(10.0)
        assert epoch["valid_sq"] == pytest.approx((data**2).mean().item())
    # Each epoch visits every training example once, in a fresh order.
    first, second = torch.cat(step.seen[:3]), torch.cat(step.seen[3:])
    assert torch.equal(first.sort(0).values, data) and torch.equal(second.sort(0).values, data)
    assert [len(b) for b in step.seen] == [3, 3, 1, 3, 3, 1]
    assert not torch.equal(first, second)


def test_tuple_data_is_sliced_together():
    x = torch.arange(10.0).unsqueeze(1)
    seen = []

    class PairStep(RecordingStep):
        def train_step(self, batch):
            seen.append(batch)
            return {"loss": 0.0}

    Trainer(PairStep(), (x, 2 * x), batch_size=4, max_epochs=1, progress=False).fit()
    for bx, bc in seen:
        assert torch.equal(bc, 2 * bx)


def test_mle_recovers_empirical_bernoulli_means():
    probs = torch.tensor([0.2, 0.35, 0.5, 0.65, 0.8, 0.3])
    data = torch.bernoulli(probs.expand(400, D), generator=torch.Generator().manual_seed(0))
    means = data.mean(0)
    model = LogitBernoulli(D)
    history = Trainer(
        MLEStep(model, lr=0.05), data, batch_size=100, max_epochs=100, progress=False
    ).fit()
    assert history.train_loss[-1] < history.train_loss[0] - 0.1
    # The MLE is the empirical mean; the minimum NLL its entropy (closed form).
    torch.testing.assert_close(torch.sigmoid(model.logits.detach()), means, atol=0.01, rtol=0)
    entropy = -(means * means.log() + (1 - means) * (1 - means).log()).sum().item()
    assert evaluate_nll(model, data)["nll_nats"] == pytest.approx(entropy, abs=1e-3)


def test_max_seconds_stops_after_first_epoch():
    history = Trainer(
        RecordingStep(), torch.zeros(4, 1), max_epochs=5, max_seconds=1e-9, progress=False
    ).fit()
    assert len(history.epochs) == 1


def test_history_log_fn_and_json():
    records = []
    history = Trainer(
        RecordingStep(), torch.zeros(4, 1), max_epochs=3, progress=False, log_fn=records.append
    ).fit()
    assert records == history.epochs
    assert history.valid_loss == [None, None, None] and history.best_epoch is None
    restored = History.from_dict(json.loads(json.dumps(history.to_dict())))
    assert restored == history


def test_progress_bar_shows_epoch_and_running_loss(capsys):
    Trainer(RecordingStep(), torch.ones(4, 1), torch.ones(4, 1), max_epochs=2, progress=True).fit()
    err = capsys.readouterr().err
    assert "epoch 2/2" in err and "loss=1" in err and "valid=1" in err


def test_resume_without_checkpoint_starts_fresh(tmp_path):
    history = Trainer(
        RecordingStep(), torch.zeros(4, 1), max_epochs=2, checkpoint_dir=tmp_path / "new",
        progress=False,
    ).fit(resume=True)  # fmt: skip
    assert len(history.epochs) == 2
    assert (tmp_path / "new" / "last.pt").is_file()


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"step": object()}, "step"),
        ({"train_data": [1.0, 2.0]}, "train_data"),
        ({"train_data": torch.zeros(0, 2)}, "train_data"),
        ({"train_data": (torch.zeros(3, 1), torch.zeros(4, 1))}, "train_data"),
        ({"valid_data": "x"}, "valid_data"),
        ({"batch_size": 0}, "batch_size"),
        ({"max_epochs": 1.5}, "max_epochs"),
        ({"patience": 2}, "patience"),  # no valid_data
        ({"max_seconds": 0}, "max_seconds"),
        ({"seed": -1}, "seed"),
        ({"progress": "yes"}, "progress"),
        ({"log_fn": 3}, "log_fn"),
    ],
)
def test_bad_arguments(kwargs, name):
    args = {"step": RecordingStep(), "train_data": torch.zeros(4, 1), **kwargs}
    with pytest.raises(ValueError, match=name):
        Trainer(args.pop("step"), args.pop("train_data"), **args)


def test_resume_needs_checkpoint_dir():
    with pytest.raises(ValueError, match="checkpoint_dir"):
        Trainer(RecordingStep(), torch.zeros(4, 1), progress=False).fit(resume=True)


def test_resume_with_different_batch_size_warns(tmp_path):
    data = torch.zeros(8, 1)
    Trainer(RecordingStep(), data, max_epochs=1, checkpoint_dir=tmp_path, progress=False).fit()
    trainer = Trainer(
        RecordingStep(), data, batch_size=4, max_epochs=2, checkpoint_dir=tmp_path, progress=False
    )
    with pytest.warns(UserWarning, match="batch_size"):
        assert len(trainer.fit(resume=True).epochs) == 2
