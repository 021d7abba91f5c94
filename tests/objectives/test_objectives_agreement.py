"""SVIStep and the ELBO decomposition read the same rate and distortion off the same draw."""

import pytest
import torch

from inference.diagnostics import elbo_decomposition
from inference.diagnostics.paired_trace import find_site_roles, trace_pair
from inference.objectives import elbo_terms
from inference.training import SVIStep
from ppl_models.vae import VAE


@pytest.fixture
def vae_and_data():
    torch.manual_seed(0)
    vae = VAE((1, 4, 4), 3, hidden=(8,))
    x = torch.bernoulli(torch.full((10, 1, 4, 4), 0.4), generator=torch.Generator().manual_seed(1))
    return vae, x


def _decomposition(vae, x, seed):
    vae.eval()  # as SVIStep.eval_step scores
    try:
        return elbo_decomposition(vae.model, vae.guide, x, 1, seed=seed)
    finally:
        vae.train()


@pytest.mark.parametrize("objective", ["trace", "meanfield"])
def test_train_step_terms_match_the_decomposition(vae_and_data, objective):
    vae, x = vae_and_data
    expected = _decomposition(vae, x, seed=7)
    # beta = 0 in the first warm-up update: the reported terms must still be unscaled.
    step = SVIStep(vae, objective=objective, kl_warmup_steps=5)
    torch.manual_seed(7)
    out = step.train_step(x)
    assert out["rate"] == pytest.approx(expected.mean_rate, rel=1e-5)
    assert out["distortion"] == pytest.approx(expected.mean_distortion, rel=1e-5)
    assert out["elbo"] == pytest.approx(expected.mean_elbo, rel=1e-5)


def test_eval_step_terms_match_the_decomposition(vae_and_data):
    vae, x = vae_and_data
    expected = _decomposition(vae, x, seed=8)
    torch.manual_seed(8)
    out = SVIStep(vae).eval_step(x)
    assert out["rate"] == pytest.approx(expected.mean_rate, rel=1e-5)
    assert out["distortion"] == pytest.approx(expected.mean_distortion, rel=1e-5)
    assert out["elbo"] == pytest.approx(expected.mean_elbo, rel=1e-5)


def test_log_weight_is_the_per_draw_elbo(vae_and_data):
    vae, x = vae_and_data
    roles = find_site_roles(vae.model, vae.guide, x)
    pair = trace_pair(vae.model, vae.guide, x, roles, num_particles=4)
    terms = pair.terms
    assert pair.log_weight().shape == terms.rate.shape == (4, len(x))
    torch.testing.assert_close(pair.log_weight(), -(terms.rate + terms.distortion))
    # Summing the per-datum terms gives the training step's reduction.
    total = elbo_terms(pair.model_trace, pair.guide_trace)
    torch.testing.assert_close(total.elbo, pair.log_weight().sum())
