"""AIS and BDMC on the library's decoder-based models (untrained, 8x8 digits): the VAE, the
NADE-decoder VAE, the AAE with its mixture prior, and a DCGAN generator with a stated
observation model."""

import pyro.distributions as dist
import pytest
import torch

from inference.diagnostics import (
    annealed_importance_sampling,
    bidirectional_monte_carlo,
    importance_log_likelihood,
)
from ppl_models.aae import AAE
from ppl_models.data import load_dataset
from ppl_models.gan import DCGAN
from ppl_models.observation import BernoulliObservation, GaussianObservation, ObservedGenerator
from ppl_models.vae import VAE


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits").test[:4]  # binary, (4, 1, 8, 8)


def normal_prior(latent_dim):
    return dist.Normal(torch.zeros(latent_dim), 1.0).to_event(1)


def test_vae_ais_agrees_with_its_importance_weighted_estimate(digits):
    torch.manual_seed(0)
    vae = VAE((1, 8, 8), 4, hidden=[32])
    ais = annealed_importance_sampling(vae.decode, normal_prior(4), digits, num_chains=16,
                                       num_steps=100, initial_step_size=0.05, seed=0)
    iwae = importance_log_likelihood(vae.model, vae.guide, digits, 4000, seed=0)
    # Both estimate the same log p(x); their SEs (about 0.02 and 0.07 nats here) add in
    # quadrature, and each estimate's own bias is -SE^2 / 2, negligible at that size.
    se = (ais.stderr.double() ** 2 + iwae.stderr**2).sqrt()
    assert torch.all((ais.log_likelihood.double() - iwae.log_likelihood).abs() < 4 * se)
    assert torch.all((ais.mean_acceptance > 0.3) & (ais.mean_acceptance <= 1))


def test_nade_decoder_vae_scores_flattened_images(digits):
    torch.manual_seed(0)
    vae = VAE((1, 8, 8), 4, hidden=[32], likelihood="nade", nade_hidden=16)
    # Its decoder's event is the flattened image, as at its model's site "x".
    flat = digits.reshape(len(digits), -1)
    out = annealed_importance_sampling(vae.decode, normal_prior(4), flat, num_chains=4,
                                       num_steps=10, seed=0)
    assert out.log_likelihood.shape == (4,) and torch.all(torch.isfinite(out.log_likelihood))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 64\)"):
        annealed_importance_sampling(vae.decode, normal_prior(4), digits, num_chains=4,
                                     num_steps=10, seed=0)


def test_aae_with_its_mixture_prior_is_sandwiched_by_bdmc():
    torch.manual_seed(0)
    aae = AAE((1, 8, 8), 4, hidden=[32], prior="mixture")
    run = bidirectional_monte_carlo(aae.vae.decode, aae.prior_distribution(), 4,
                                    num_chains=8, num_steps=30, seed=0)
    assert run.x.shape == (4, 1, 8, 8) and set(run.x.unique().tolist()) <= {0.0, 1.0}
    assert torch.all(torch.isfinite(run.gap))
    # Lower and upper bounds in expectation; 30 steps leave a mean gap of 0.82 nats at seed
    # 0, about three times the noise of a mean over 4 pairs (per-pair SEs 0.03 to 0.6).
    assert run.summary()["gap"] > 0


@pytest.mark.parametrize("observation", [BernoulliObservation(), GaussianObservation(0.2)])
def test_dcgan_generator_with_a_stated_observation_model(digits, observation):
    torch.manual_seed(0)
    generator = DCGAN((1, 8, 8), 8, channels=4).generator.eval()
    decoder = ObservedGenerator(generator, observation)
    out = annealed_importance_sampling(decoder, normal_prior(8), digits, num_chains=4,
                                       num_steps=10, seed=0)
    assert out.log_likelihood.shape == (4,) and torch.all(torch.isfinite(out.log_likelihood))
    assert torch.all(out.ess >= 1) and torch.all(out.ess <= 4 + 1e-4)
