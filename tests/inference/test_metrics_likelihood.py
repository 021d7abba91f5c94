import math

import pyro.distributions as dist
import pytest
import torch
from torch import nn

from inference.metrics import bits_per_dim, evaluate_nll, nll_nats


class Bernoulli(nn.Module):
    def __init__(self, probs, event=True):
        super().__init__()
        self.register_buffer("probs", torch.as_tensor(probs))
        self.event = event

    def forward(self, context=None):
        d = dist.Bernoulli(probs=self.probs)
        return d.to_event(self.probs.dim()) if self.event else d


def test_bits_per_dim_arithmetic():
    assert bits_per_dim(10 * 2 * math.log(2), 10) == pytest.approx(2.0, rel=1e-12)
    assert bits_per_dim(math.log(2), 1) == pytest.approx(1.0, rel=1e-12)


def test_nll_nats_is_mean_negative_log_prob():
    assert nll_nats(torch.tensor([-1.0, -2.0, -3.0])) == pytest.approx(2.0)


def test_evaluate_nll_matches_hand_computation():
    # p = 1/4 in both dims: an example with k ones has log p = k ln(1/4) + (2 - k) ln(3/4).
    model = Bernoulli([0.25, 0.25])
    data = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    per_example = [-(k * math.log(0.25) + (2 - k) * math.log(0.75)) for k in (1, 2, 0)]
    mean = sum(per_example) / 3
    std = math.sqrt(sum((v - mean) ** 2 for v in per_example) / 2)
    out = evaluate_nll(model, data, batch_size=2)  # an uneven last batch
    assert out["n"] == 3
    assert out["nll_nats"] == pytest.approx(mean, rel=1e-6)
    assert out["stderr_nats"] == pytest.approx(std / math.sqrt(3), rel=1e-6)
    assert out["bits_per_dim"] == pytest.approx(mean / (2 * math.log(2)), rel=1e-6)


def test_evaluate_nll_images_count_every_pixel_and_restore_mode():
    model = Bernoulli(torch.full((1, 2, 2), 0.5))
    out = evaluate_nll(model, torch.ones(5, 1, 2, 2))
    assert out["bits_per_dim"] == pytest.approx(1.0, rel=1e-6)
    assert out["stderr_nats"] == 0.0
    assert model.training


def test_evaluate_nll_single_example_has_nan_stderr():
    assert math.isnan(evaluate_nll(Bernoulli([0.5]), torch.ones(1, 1))["stderr_nats"])


@pytest.mark.parametrize("log_prob", [torch.zeros(0), torch.zeros(2, 2), [1.0]])
def test_nll_nats_bad_input(log_prob):
    with pytest.raises(ValueError, match="log_prob"):
        nll_nats(log_prob)


@pytest.mark.parametrize("dim", [0, 1.5, True])
def test_bits_per_dim_bad_dim(dim):
    with pytest.raises(ValueError, match="dim"):
        bits_per_dim(1.0, dim)


def test_evaluate_nll_bad_input():
    with pytest.raises(ValueError, match="data"):
        evaluate_nll(Bernoulli([0.5]), torch.ones(3))
    with pytest.raises(ValueError, match="batch_size"):
        evaluate_nll(Bernoulli([0.5]), torch.ones(3, 1), batch_size=0)
    with pytest.raises(ValueError, match="to_event"):
        evaluate_nll(Bernoulli([0.5, 0.5], event=False), torch.ones(3, 2))
