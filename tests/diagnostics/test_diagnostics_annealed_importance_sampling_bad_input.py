"""Bad input to AIS and BDMC is refused with an error that names the argument."""

import pyro.distributions as dist
import pytest
import torch

from inference.diagnostics import (
    annealed_importance_sampling,
    bidirectional_monte_carlo,
    reverse_annealed_importance_sampling,
)


def decoder(z):
    return dist.Bernoulli(logits=z.sum(-1, keepdim=True).expand(-1, 3)).to_event(1)


PRIOR = dist.Normal(torch.zeros(2), 1.0).to_event(1)
X = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
OK = dict(num_chains=2, num_steps=3)


def ais(**changes):
    kwargs = {"decoder": decoder, "prior": PRIOR, "x": X, **OK, **changes}
    return annealed_importance_sampling(kwargs.pop("decoder"), kwargs.pop("prior"),
                                        kwargs.pop("x"), **kwargs)


@pytest.mark.parametrize("changes, words", [
    ({"x": torch.zeros(2, 4)}, r"x must have shape \(N, 3\)"),
    ({"x": torch.zeros(2, 1, 3)}, r"x must have shape \(N, 3\)"),
    ({"x": torch.zeros(0, 3)}, "x must be a non-empty tensor"),
    ({"x": [[0.0, 1.0, 1.0]]}, "x must be a non-empty tensor"),
    ({"x": torch.ones(2, 3, dtype=torch.long)}, "x must be a floating tensor"),
    ({"num_steps": 0}, "num_steps must be an int >= 1"),
    ({"num_steps": 2.5}, "num_steps must be an int >= 1"),
    ({"num_chains": 0}, "num_chains must be an int >= 1"),
    ({"leapfrog_steps": 0}, "leapfrog_steps must be an int >= 1"),
    ({"schedule": "cosine"}, "schedule must be one of"),
    ({"step_size": -0.1}, "step_size must be positive"),
    ({"step_size": "auto"}, "step_size must be 'adaptive'"),
    ({"step_size": torch.ones(3, 2)}, r"step_size must have shape \(num_steps - 1, N\)"),
    ({"target_accept": 1.0}, r"target_accept must be a number in \(0, 1\)"),
    ({"initial_step_size": 2.0}, "initial_step_size must be a number in"),
    ({"prior": dist.Normal(torch.zeros(2), 1.0)}, r"prior must be a distribution with batch "
                                                  r"shape \(\) and event shape \(L,\)"),
    ({"decoder": "vae"}, "decoder must be callable"),
    ({"transition": None}, "transition must be callable"),
    ({"seed": -1}, "seed must be a non-negative int"),
])
def test_bad_ais_arguments_are_refused_by_name(changes, words):
    with pytest.raises(ValueError, match=words):
        ais(**changes)


def test_reverse_ais_needs_one_posterior_sample_per_image():
    with pytest.raises(ValueError, match=r"z must have shape \(N, L\) = \(2, 2\)"):
        reverse_annealed_importance_sampling(decoder, PRIOR, X, torch.zeros(3, 2), **OK)


@pytest.mark.parametrize("n", [0, -2, 1.5, True])
def test_bdmc_needs_a_positive_number_of_simulated_pairs(n):
    with pytest.raises(ValueError, match="n must be an int >= 1"):
        bidirectional_monte_carlo(decoder, PRIOR, n, **OK)


def test_bdmc_refuses_zero_steps():
    with pytest.raises(ValueError, match="num_steps must be an int >= 1"):
        bidirectional_monte_carlo(decoder, PRIOR, 2, num_chains=2, num_steps=0)
