"""Shapes of the VAE's programs and helpers, and that its likelihoods are normalised."""

import pyro
import pytest
import torch
import torch.nn.functional as F
from pyro import poutine
from torch.testing import assert_close

from ppl_models.vae import ARCHITECTURES, LIKELIHOODS, VAE

N, L = 5, 3
SHAPE = (1, 8, 8)  # sklearn digits


def _data(likelihood, shape=SHAPE, n=N):
    u = torch.rand(n, *shape, generator=torch.Generator().manual_seed(0))
    return u if likelihood == "continuous_bernoulli" else (u > 0.6).float()


def _vae(architecture, likelihood, shape=SHAPE):
    torch.manual_seed(0)
    return VAE(shape, L, hidden=(16,), architecture=architecture, likelihood=likelihood,
               nade_hidden=8)


def _traces(vae, x):
    guide_trace = poutine.trace(vae.guide).get_trace(x)
    model_trace = poutine.trace(poutine.replay(vae.model, trace=guide_trace)).get_trace(x)
    guide_trace.compute_log_prob()
    model_trace.compute_log_prob()
    return model_trace, guide_trace


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_model_and_guide_sites_have_per_example_log_probs(architecture, likelihood):
    vae, x = _vae(architecture, likelihood), _data(likelihood)
    model_trace, guide_trace = _traces(vae, x)
    assert guide_trace.nodes["z"]["value"].shape == (N, L)
    assert guide_trace.nodes["z"]["log_prob"].shape == (N,)
    assert model_trace.nodes["z"]["log_prob"].shape == (N,)
    assert model_trace.nodes["x"]["log_prob"].shape == (N,)
    assert model_trace.nodes["x"]["is_observed"]
    observed = model_trace.nodes["x"]["value"]
    assert observed.shape == ((N, 64) if likelihood == "nade" else (N, *SHAPE))
    assert torch.equal(observed.reshape(x.shape), x)
    assert torch.isfinite(model_trace.log_prob_sum())


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_helpers_shapes_and_support(architecture, likelihood):
    vae, x = _vae(architecture, likelihood), _data(likelihood)
    loc, scale = vae.encode(x)
    assert loc.shape == scale.shape == (N, L)
    assert (scale > 0).all()
    decoded = vae.decode(torch.zeros(2, 4, L))
    assert decoded.batch_shape == (2, 4)
    assert decoded.event_shape == ((64,) if likelihood == "nade" else SHAPE)
    recon = vae.reconstruct(x)
    assert recon.shape == x.shape
    assert ((recon >= 0) & (recon <= 1)).all()
    samples = vae.sample(7)
    assert samples.shape == (7, *SHAPE)
    if likelihood == "continuous_bernoulli":
        assert ((samples >= 0) & (samples <= 1)).all()
        assert not torch.equal(samples, samples.round())  # grey levels, not pixels in {0, 1}
    else:
        assert torch.equal(samples, samples.round()) and samples.max() <= 1


def test_vector_input_and_mnist_sized_conv():
    vae = VAE((64,), 4, hidden=(32, 16))
    model_trace, _ = _traces(vae, _data("bernoulli", (64,)))
    assert model_trace.nodes["x"]["log_prob"].shape == (N,)
    vae = VAE((1, 28, 28), 4, hidden=(32,), architecture="conv")
    model_trace, _ = _traces(vae, _data("bernoulli", (1, 28, 28), n=2))
    assert model_trace.nodes["x"]["log_prob"].shape == (2,)


@pytest.mark.parametrize("likelihood", ["bernoulli", "nade"])
def test_binary_decoders_sum_to_one_over_all_images(likelihood, all_states):
    vae = VAE((5,), 2, hidden=(8,), likelihood=likelihood, nade_hidden=6)
    z = torch.randn(3, 1, 2)  # three codes, broadcast against the 32 states
    log_prob = vae.decode(z).log_prob(all_states(5))
    assert log_prob.shape == (3, 32)
    assert_close(log_prob.logsumexp(-1), torch.zeros(3), atol=1e-5, rtol=0)


def test_continuous_bernoulli_decoder_integrates_to_one_on_unit_interval():
    # The point of the continuous Bernoulli: a density on [0, 1]. The Bernoulli "density"
    # at grey levels, x log p + (1 - x) log(1 - p), integrates to less than one.
    vae = VAE((1,), 1, hidden=(4,), likelihood="continuous_bernoulli")
    with torch.no_grad():
        vae.decoder[0][-1].bias.fill_(2.0)
    grid = torch.linspace(0, 1, 20001).unsqueeze(-1)
    z = torch.zeros(1)
    density = vae.decode(z).log_prob(grid).exp()
    assert torch.trapezoid(density, grid.squeeze(-1)).item() == pytest.approx(1.0, abs=1e-4)
    logits, x = vae.decoder(z.unsqueeze(0)).squeeze(), grid.squeeze(-1)
    bernoulli = (x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).exp()
    assert torch.trapezoid(bernoulli, x).item() < 0.6


def test_two_vaes_never_share_parameters_through_the_param_store():
    pyro.clear_param_store()
    first, second = _vae("mlp", "nade"), _vae("mlp", "nade")
    with torch.no_grad():
        for p in second.parameters():
            p.add_(1.0)
    x = _data("nade")
    for vae in (first, second):
        pyro.infer.Trace_ELBO().differentiable_loss(vae.model, vae.guide, x).backward()
    # Each registered its own tensors under its own name: a shared name would have handed
    # the second VAE the first one's parameters.
    store = pyro.get_param_store()
    assert {id(store._params[n]) for n in store.keys()} == {
        id(p) for vae in (first, second) for p in vae.parameters()}
    assert not torch.equal(first.decoder.W, second.decoder.W)
    assert all(p.grad is not None for vae in (first, second) for p in vae.parameters())
