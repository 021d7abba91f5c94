"""The diagnostics on the library's own VAE, every likelihood and architecture."""

import pytest
import torch

from inference.diagnostics import (
    elbo_decomposition,
    guide_prior_kl_check,
    importance_log_likelihood,
    to_inference_data,
)
from ppl_models.vae import VAE


@pytest.mark.parametrize("likelihood", ["bernoulli", "nade"])
@pytest.mark.parametrize("architecture", ["mlp", "conv"])
def test_diagnostics_run_on_the_vae_without_building_graphs(likelihood, architecture):
    torch.manual_seed(0)
    x = torch.bernoulli(torch.full((6, 1, 8, 8), 0.3))
    vae = VAE((1, 8, 8), 3, architecture=architecture, likelihood=likelihood, nade_hidden=8)
    iw = importance_log_likelihood(vae.model, vae.guide, x, num_samples=64, chunk_size=16, seed=0)
    dec = elbo_decomposition(vae.model, vae.guide, x, num_samples=64, seed=0)
    assert iw.log_likelihood.shape == dec.elbo.shape == (6,)
    assert not iw.log_likelihood.requires_grad and not dec.elbo.requires_grad
    # Both estimate from 64 draws; IWAE_64 >= ELBO holds in expectation and, for an untrained
    # VAE whose log-weights spread over several nats, by a wide margin on the batch mean.
    assert iw.log_likelihood.mean() > dec.elbo.mean()
    assert dec.kl_per_dim_method == "analytic"
    assert bool(guide_prior_kl_check(vae.model, vae.guide, x, num_samples=2000, seed=0).agrees())
    idata = to_inference_data(vae.model, vae.guide, x, num_draws=10, indices=[0, 2], seed=0)
    assert idata.posterior["z"].shape == (1, 10, 2, 3)
