"""KL warm-up: the handler weighs latent sites only; the schedule rises linearly to 1."""

import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro import poutine
from pyro.infer import Trace_ELBO

from inference.objectives import LatentScale, elbo_terms, kl_warmup_beta


def model(x):
    with pyro.plate("data", len(x)):
        z = pyro.sample("z", dist.Normal(0.0, 1.0))
        pyro.sample("x", dist.Normal(z, 0.5), obs=x)


def guide(x):
    with pyro.plate("data", len(x)):
        pyro.sample("z", dist.Normal(0.5 * x, 0.7))


X = torch.linspace(-1.0, 2.0, 5)


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0])
def test_only_latent_sites_are_scaled(beta):
    guide_trace = poutine.trace(LatentScale(beta)(guide)).get_trace(X)
    replayed = poutine.replay(LatentScale(beta)(model), trace=guide_trace)
    model_trace = poutine.trace(replayed).get_trace(X)
    assert guide_trace.nodes["z"]["scale"] == model_trace.nodes["z"]["scale"] == beta
    assert model_trace.nodes["x"]["scale"] == 1.0


def test_composes_with_an_outer_scale():
    scaled = poutine.scale(LatentScale(0.5)(model), scale=4.0)
    trace = poutine.trace(scaled).get_trace(X)
    assert trace.nodes["z"]["scale"] == 2.0 and trace.nodes["x"]["scale"] == 4.0


@pytest.mark.parametrize("beta", [0.0, 0.25, 1.0])
def test_warmed_up_loss_is_distortion_plus_beta_rate_on_the_same_draw(beta):
    pyro.set_rng_seed(0)
    loss = Trace_ELBO().loss(LatentScale(beta)(model), LatentScale(beta)(guide), X)
    pyro.set_rng_seed(0)
    guide_trace = poutine.trace(guide).get_trace(X)
    model_trace = poutine.trace(poutine.replay(model, trace=guide_trace)).get_trace(X)
    terms = elbo_terms(model_trace, guide_trace)
    expected = terms.distortion + beta * terms.rate
    assert loss == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize("beta", [-0.1, float("nan")])
def test_bad_beta_is_refused(beta):
    with pytest.raises(ValueError, match="beta must be >= 0"):
        LatentScale(beta)


def test_schedule_rises_linearly_then_stays_at_one():
    assert [kl_warmup_beta(t, 4) for t in range(7)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    assert kl_warmup_beta(0, 0) == kl_warmup_beta(9, 0) == 1.0


@pytest.mark.parametrize("args", [(-1, 4), (3, -2)])
def test_schedule_refuses_negative_counts(args):
    with pytest.raises(ValueError, match="num_updates and warmup_steps"):
        kl_warmup_beta(*args)
