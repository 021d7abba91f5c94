"""elbo_terms: rate and distortion are unscaled, masked log-density differences of one draw."""

import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro import poutine
from pyro.infer import Trace_ELBO
from torch.testing import assert_close

from inference.objectives import ELBOTerms, elbo_terms

N, L = 6, 2
W, NOISE = 1.5, 0.5


def model(x, mask=True, subsample=False):
    # A subsampling plate over twice the data scales every site by 2 and records its indices
    # as a sample site; neither may reach the terms.
    size, idx = (2 * N, torch.arange(N)) if subsample else (N, None)
    with pyro.plate("data", size, subsample=idx):
        z = pyro.sample("z", dist.Normal(torch.zeros(L), 1.0).to_event(1))
        with poutine.mask(mask=mask):
            pyro.sample("x", dist.Normal(W * z, NOISE).to_event(1), obs=x)


def guide(x, mask=True, subsample=False):
    size, idx = (2 * N, torch.arange(N)) if subsample else (N, None)
    with pyro.plate("data", size, subsample=idx):
        pyro.sample("z", dist.Normal(0.3 * x, 0.8).to_event(1))


def _traces(*args, handler=None, compute=True, **kwargs):
    m, g = (model, guide) if handler is None else (handler(model), handler(guide))
    guide_trace = poutine.trace(g).get_trace(*args, **kwargs)
    model_trace = poutine.trace(poutine.replay(m, trace=guide_trace)).get_trace(*args, **kwargs)
    if compute:
        model_trace.compute_log_prob()
        guide_trace.compute_log_prob()
    return model_trace, guide_trace


def _by_hand(x, z):
    """Per-datum (rate, distortion) of the draw z, shape (N,) each."""
    log_q = dist.Normal(0.3 * x, 0.8).log_prob(z).sum(-1)
    log_p = dist.Normal(0.0, 1.0).log_prob(z).sum(-1)
    log_lik = dist.Normal(W * z, NOISE).log_prob(x).sum(-1)
    return log_q - log_p, -log_lik


def _per_datum(log_prob, site):
    return log_prob


@pytest.fixture
def x():
    return torch.randn(N, L, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("compute", [True, False])
def test_closed_form_normal_prior_guide_and_likelihood(x, compute):
    model_trace, guide_trace = _traces(x, compute=compute)
    z = guide_trace.nodes["z"]["value"]
    rate, distortion = _by_hand(x, z)
    terms = elbo_terms(model_trace, guide_trace, reduce=_per_datum)
    assert isinstance(terms, ELBOTerms)
    assert_close(terms.rate, rate)
    assert_close(terms.distortion, distortion)
    assert_close(terms.elbo, -(rate + distortion))
    # The default reduction sums over the data.
    total = elbo_terms(model_trace, guide_trace)
    assert total.rate.shape == total.distortion.shape == total.elbo.shape == ()
    assert_close(total.rate, rate.sum())
    assert_close(total.distortion, distortion.sum())


def test_summed_elbo_is_minus_trace_elbo_loss_on_the_same_draw(x):
    pyro.set_rng_seed(1)
    loss = Trace_ELBO().loss(model, guide, x)
    pyro.set_rng_seed(1)
    terms = elbo_terms(*_traces(x))
    assert terms.elbo.item() == pytest.approx(-loss, rel=1e-6)


def test_masked_data_add_no_distortion(x):
    mask = torch.tensor([True, False, True, True, False, False])
    model_trace, guide_trace = _traces(x, mask)
    rate, distortion = _by_hand(x, guide_trace.nodes["z"]["value"])
    terms = elbo_terms(model_trace, guide_trace, reduce=_per_datum)
    assert_close(terms.distortion, torch.where(mask, distortion, 0.0))
    assert_close(terms.rate, rate)  # the mask covers the likelihood only


@pytest.mark.parametrize("handler", [lambda fn: poutine.scale(fn, scale=3.0),
                                     lambda fn: poutine.scale(fn, scale=0.01)])
def test_scales_do_not_change_the_terms(x, handler):
    pyro.set_rng_seed(2)
    plain = elbo_terms(*_traces(x), reduce=_per_datum)
    pyro.set_rng_seed(2)
    scaled_traces = _traces(x, handler=handler)
    assert scaled_traces[0].nodes["x"]["scale"] != 1.0  # the handler did scale the sites
    scaled = elbo_terms(*scaled_traces, reduce=_per_datum)
    assert_close(scaled.rate, plain.rate)
    assert_close(scaled.distortion, plain.distortion)


def test_subsample_sites_and_subsampling_scale_are_ignored(x):
    pyro.set_rng_seed(3)
    model_trace, guide_trace = _traces(x, subsample=True)
    assert model_trace.nodes["x"]["scale"] == 2.0 and "data" in model_trace.nodes
    rate, distortion = _by_hand(x, guide_trace.nodes["z"]["value"])
    terms = elbo_terms(model_trace, guide_trace, reduce=_per_datum)
    assert_close(terms.rate, rate)
    assert_close(terms.distortion, distortion)


def test_a_program_without_latents_has_a_zero_rate(x):
    def observed_only(x):
        with pyro.plate("data", N):
            pyro.sample("x", dist.Normal(0.0, 1.0).expand([L]).to_event(1), obs=x)

    model_trace = poutine.trace(observed_only).get_trace(x)
    guide_trace = poutine.trace(lambda x: None).get_trace(x)
    terms = elbo_terms(model_trace, guide_trace)
    assert terms.rate.item() == 0.0 and terms.log_prior.shape == terms.log_guide.shape == ()
    assert terms.distortion.item() == pytest.approx(
        -dist.Normal(0.0, 1.0).log_prob(x).sum().item())


def test_gradients_flow_when_the_traces_carry_them(x):
    loc = torch.zeros(L, requires_grad=True)

    def learnt_guide(x):
        with pyro.plate("data", N):
            pyro.sample("z", dist.Normal(loc, 1.0).to_event(1))

    guide_trace = poutine.trace(learnt_guide).get_trace(x)
    model_trace = poutine.trace(poutine.replay(model, trace=guide_trace)).get_trace(x)
    elbo_terms(model_trace, guide_trace).elbo.backward()
    assert loc.grad is not None and torch.isfinite(loc.grad).all()
