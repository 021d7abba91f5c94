import pyro.distributions as dist
import pytest
import torch
from torch import nn

from inference.training import MLEStep, Step


class Bernoulli(nn.Module):
    def __init__(self, dim, event=True):
        super().__init__()
        self.logits = nn.Parameter(torch.linspace(-1.0, 1.0, dim))
        self.event = event

    def forward(self, context=None):
        d = dist.Bernoulli(logits=self.logits)
        return d.to_event(1) if self.event else d


class ConditionalBernoulli(nn.Module):
    def __init__(self, dim, context_dim):
        super().__init__()
        self.net = nn.Linear(context_dim, dim)

    def forward(self, context):
        return dist.Bernoulli(logits=self.net(context)).to_event(1)


class DropoutBernoulli(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.code = nn.Parameter(torch.ones(8))
        self.net = nn.Sequential(nn.Dropout(0.5), nn.Linear(8, dim))

    def forward(self, context=None):
        return dist.Bernoulli(logits=self.net(self.code)).to_event(1)


X = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])


def test_is_a_step():
    assert isinstance(MLEStep(Bernoulli(3)), Step)


def test_train_step_reports_nll_before_update_and_moves_parameters():
    model = Bernoulli(3)
    expected = -dist.Bernoulli(logits=model.logits.detach()).log_prob(X).sum(-1).mean().item()
    before = model.logits.detach().clone()
    out = MLEStep(model, lr=0.1).train_step(X)
    assert out.keys() == {"loss"}
    assert out["loss"] == pytest.approx(expected, rel=1e-6)
    assert not torch.equal(model.logits.detach(), before)


def test_eval_step_leaves_parameters_and_gradients_alone():
    model = Bernoulli(3)
    before = model.logits.detach().clone()
    step = MLEStep(model)
    out = step.eval_step(X)
    assert out.keys() == {"loss"}
    assert out["loss"] == pytest.approx(step.loss(X).item())
    assert torch.equal(model.logits.detach(), before)
    assert model.logits.grad is None


def test_eval_step_uses_eval_mode_and_restores_mode():
    torch.manual_seed(0)
    model = DropoutBernoulli(3)
    step = MLEStep(model)
    assert step.eval_step(X) == step.eval_step(X)  # no dropout noise
    assert model.training
    model.eval()
    step.eval_step(X)
    assert not model.training


def test_context_pair_is_passed_to_model():
    torch.manual_seed(0)
    model = ConditionalBernoulli(3, 2)
    context = torch.randn(4, 2)
    expected = -model(context).log_prob(X).mean().item()
    assert MLEStep(model).eval_step((X, context))["loss"] == pytest.approx(expected)


def test_context_fn_can_transform_batch():
    model = Bernoulli(3)
    step = MLEStep(model, context_fn=lambda b: (1.0 - b, None))
    assert step.eval_step(X)["loss"] == pytest.approx(MLEStep(model).eval_step(1.0 - X)["loss"])


def test_missing_to_event_is_refused():
    with pytest.raises(ValueError, match="to_event"):
        MLEStep(Bernoulli(3, event=False)).train_step(X)


def test_state_dict_restores_model_and_optimizer():
    a = MLEStep(Bernoulli(3), lr=0.1)
    for _ in range(3):
        a.train_step(X)
    b = MLEStep(Bernoulli(3), lr=0.1)
    b.load_state_dict(a.state_dict())
    # Adam's moments matter: identical next updates only if the optimiser state came along.
    a.train_step(X)
    b.train_step(X)
    assert torch.equal(a.model.logits, b.model.logits)
    assert torch.equal(
        a.optimizer.state_dict()["state"][0]["exp_avg_sq"],
        b.optimizer.state_dict()["state"][0]["exp_avg_sq"],
    )


def test_grad_clip_bounds_the_update():
    model = Bernoulli(3)
    before = model.logits.detach().clone()
    step = MLEStep(model, torch.optim.SGD(model.parameters(), lr=1.0), grad_clip=1e-3)
    step.train_step(X)
    assert (model.logits.detach() - before).norm() <= 1e-3 + 1e-9


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"model": "not a module"}, "model"),
        ({"optimizer": "adam"}, "optimizer"),
        ({"lr": 0.0}, "lr"),
        ({"grad_clip": -1.0}, "grad_clip"),
    ],
)
def test_bad_arguments(kwargs, name):
    args = {"model": Bernoulli(3), **kwargs}
    model = args.pop("model")
    with pytest.raises(ValueError, match=name):
        MLEStep(model, **args)


def test_bad_state_dict():
    with pytest.raises(ValueError, match="state_dict"):
        MLEStep(Bernoulli(3)).load_state_dict({"model": {}})
