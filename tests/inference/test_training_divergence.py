"""A NaN loss, gradient or parameter stops training before anything non-finite is saved."""

import math

import pytest
import torch
from torch import nn

from inference.training import Trainer, load_checkpoint
from inference.training.divergence import TrainingDiverged, first_non_finite
from inference.training.optimizer_update import OptimizerUpdate


class ScriptedStep:
    """Returns the scripted losses in turn; a real parameter so checkpoints have content."""

    def __init__(self, losses):
        self.losses = iter(losses)
        self.w = nn.Parameter(torch.zeros(2))

    def train_step(self, batch):
        return {"loss": next(self.losses)}

    def eval_step(self, batch):
        return {"loss": 1.0}

    def state_dict(self):
        return {"w": self.w.detach().clone()}

    def load_state_dict(self, state):
        self.w.data.copy_(state["w"])


def test_a_nan_loss_names_epoch_and_batch_and_keeps_the_last_checkpoint(tmp_path):
    data = torch.zeros(6, 1)
    step = ScriptedStep([1.0, 1.0, 1.0, 1.0, math.nan, 1.0])
    trainer = Trainer(step, data, data, batch_size=2, max_epochs=3, checkpoint_dir=tmp_path,
                      progress=False)
    with pytest.raises(TrainingDiverged, match=r"nan at epoch 2, batch 2; .*epoch 1\) is kept"):
        trainer.fit()
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 1


def test_an_infinite_gradient_leaves_the_parameters_untouched():
    p = nn.Parameter(torch.ones(3))
    update = OptimizerUpdate([p], lr=0.1)
    p.grad = torch.tensor([1.0, math.inf, 0.0])
    with pytest.raises(TrainingDiverged, match="non-finite gradient"):
        update.step()
    assert torch.equal(p.detach(), torch.ones(3))


def test_a_non_finite_state_is_never_checkpointed(tmp_path):
    # Finite losses, but the update left a NaN weight (say, an overflow in the optimiser):
    # the epoch's state is refused before it can be written or selected.
    step = ScriptedStep([1.0] * 6)
    step.train_step = lambda batch: (step.w.data.fill_(math.nan), {"loss": 1.0})[1]
    trainer = Trainer(step, torch.zeros(4, 1), torch.zeros(4, 1), batch_size=2, max_epochs=3,
                      checkpoint_dir=tmp_path, progress=False)
    with pytest.raises(TrainingDiverged, match=r"non-finite values in w at epoch 1; no "
                                               r"checkpoint was written"):
        trainer.fit()
    assert not (tmp_path / "last.pt").exists() and not (tmp_path / "best.pt").exists()


@pytest.mark.parametrize("lr", [math.inf, math.nan, 0.0])
def test_bad_learning_rates_are_refused(lr):
    with pytest.raises(ValueError, match="lr"):
        OptimizerUpdate([nn.Parameter(torch.ones(1))], lr=lr)


def test_first_non_finite_finds_the_path():
    state = {"model": {"a": torch.ones(2), "b": torch.tensor([1.0, math.nan])}, "n": 3}
    assert first_non_finite(state) == "model.b"
    assert first_non_finite({"x": [torch.ones(1), torch.arange(3)]}) is None
