"""Bad training settings: a run that diverges stops with TrainingDiverged, keeping the last
good checkpoint, even when every number it computes is finite."""

import pytest
import torch
from catalogue import Case, assert_clear
from torch import nn

from inference.training import MLEStep, Trainer, load_checkpoint
from inference.training.divergence import TrainingDiverged
from ppl_models.distributions import NADE

X = torch.bernoulli(torch.full((40, 16), 0.3), generator=torch.Generator().manual_seed(0))


def _nade_at(lr):
    torch.manual_seed(0)
    trainer = Trainer(MLEStep(NADE(16, 4), lr=lr), X[:30], X[30:], batch_size=10, max_epochs=2,
                      progress=False)
    return trainer.fit()


CASES = [
    # Its validation NLL is ~1e10 nats, finite, against ~11 untrained: no non-finite guard
    # fires, and the command line used to write it as model.pt.
    Case("NADE at learning rate 1e9", lambda: _nade_at(1e9), ("validation loss", "untrained"),
         TrainingDiverged),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_training_input(case):
    assert_clear(case)


class ScriptedStep:
    """Validation losses follow a script indexed by the updates done (one per epoch), the
    untrained model's first; a parameter so that checkpoints have content."""

    def __init__(self, script, draws=None):
        self.script, self.updates, self.draws = script, 0, draws
        self.w = nn.Parameter(torch.zeros(2))

    def train_step(self, batch):
        self.updates += 1
        if self.draws is not None:
            self.draws.append(torch.rand(1).item())
        return {"loss": 0.0}

    def eval_step(self, batch):
        torch.rand(1)  # a stochastic bound draws noise when it validates
        return {"loss": self.script[self.updates]}

    def state_dict(self):
        return {"updates": self.updates, "w": self.w.detach().clone()}

    def load_state_dict(self, state):
        self.updates = state["updates"]
        self.w.data.copy_(state["w"])


def _trainer(step, tmp_path, epochs):
    data = torch.zeros(4, 1)
    return Trainer(step, data, data, batch_size=4, max_epochs=epochs, checkpoint_dir=tmp_path,
                   progress=False)


def test_a_far_worse_validation_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    with pytest.raises(TrainingDiverged, match=r"validation loss 1e\+06 is far worse than the "
                                               r"untrained model's 2 at epoch 2; .*epoch 1\) is"
                                               r" kept"):
        _trainer(ScriptedStep([2.0, 1.0, 1e6]), tmp_path, 3).fit()
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 1


def test_a_merely_worse_loss_trains_on(tmp_path):
    """Ten times worse than untrained is bad training, not divergence."""
    history = _trainer(ScriptedStep([2.0, 1.0, 20.0, 1.0]), tmp_path, 3).fit()
    assert [e["valid_loss"] for e in history.epochs] == [1.0, 20.0, 1.0]


def test_the_untrained_loss_is_checkpointed_for_a_resume(tmp_path):
    _trainer(ScriptedStep([2.0, 1.0, 1e6]), tmp_path, 1).fit()
    assert load_checkpoint(tmp_path / "last.pt")["untrained_valid_loss"] == 2.0
    with pytest.raises(TrainingDiverged, match="untrained model's 2 at epoch 2"):
        _trainer(ScriptedStep([2.0, 1.0, 1e6]), tmp_path, 3).fit(resume=True)


def test_the_untrained_validation_draws_none_of_the_runs_random_numbers(tmp_path):
    """With or without validation data, the first update sees the same random numbers."""
    with_valid, without = [], []
    _trainer(ScriptedStep([1.0, 1.0], with_valid), tmp_path / "a", 1).fit()
    Trainer(ScriptedStep([1.0, 1.0], without), torch.zeros(4, 1), batch_size=4, max_epochs=1,
            progress=False).fit()
    assert with_valid == without


def test_a_non_finite_state_names_the_checkpoint_epoch_it_keeps(tmp_path):
    """A weight turned NaN by epoch 2's update: last.pt holds epoch 1, and the message says
    so (it named the epoch being refused, as if that had been written)."""
    step = ScriptedStep([1.0] * 4)
    train = step.train_step
    step.train_step = lambda batch: (train(batch), step.updates == 2
                                     and step.w.data.fill_(float("nan")))[0]
    with pytest.raises(TrainingDiverged, match=r"non-finite values in w at epoch 2; .*last\.pt "
                                               r"\(epoch 1\) is kept"):
        _trainer(step, tmp_path, 3).fit()
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 1
