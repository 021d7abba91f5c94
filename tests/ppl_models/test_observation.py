"""Observation models: a generator plus a stated noise model is a density over images."""

import math

import pytest
import torch
from torch import nn

from ppl_models.observation import BernoulliObservation, GaussianObservation, ObservedGenerator


class Affine(nn.Module):
    """G(z) = z A^T + c, reshaped to (1, 2, 2) images."""

    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.a = torch.randn(4, 3, generator=g)
        self.c = torch.rand(4, generator=g)

    def forward(self, z):
        return (z @ self.a.T + self.c).reshape(-1, 1, 2, 2)


def test_gaussian_observation_is_the_isotropic_normal_density():
    decoder = ObservedGenerator(Affine().eval(), GaussianObservation(0.5))
    z = torch.randn(5, 7, 3)
    d = decoder(z)
    assert d.batch_shape == (5, 7) and d.event_shape == (1, 2, 2)
    x = torch.randn(5, 7, 1, 2, 2)
    mean = decoder.generator(z.reshape(-1, 3)).reshape(5, 7, 1, 2, 2)
    expected = (-0.5 * ((x - mean) / 0.5) ** 2 - math.log(0.5) - 0.5 * math.log(2 * math.pi))
    torch.testing.assert_close(d.log_prob(x), expected.sum((-1, -2, -3)))


def test_bernoulli_observation_clamps_saturated_probabilities():
    d = BernoulliObservation(eps=1e-6)(torch.tensor([[0.0, 1.0]]))
    # A pixel the generator rules out costs log(1e-6) instead of -inf.
    torch.testing.assert_close(d.log_prob(torch.tensor([[1.0, 1.0]])),
                               torch.tensor([math.log(1e-6) + math.log1p(-1e-6)]))


@pytest.mark.parametrize("sigma", [0, -1.0, float("nan"), float("inf"), True, "1"])
def test_sigma_must_be_positive_and_finite(sigma):
    with pytest.raises(ValueError, match="sigma must be a positive finite number"):
        GaussianObservation(sigma)


def test_generator_in_training_mode_is_refused():
    decoder = ObservedGenerator(Affine().train(), BernoulliObservation())
    with pytest.raises(ValueError, match="generator must be in eval mode"):
        decoder(torch.zeros(2, 3))


def test_observation_and_generator_types_are_checked():
    with pytest.raises(ValueError, match="observation must be"):
        ObservedGenerator(Affine(), nn.Identity())
    with pytest.raises(ValueError, match="generator must be an nn.Module"):
        ObservedGenerator(lambda z: z, BernoulliObservation())
    with pytest.raises(ValueError, match="eps must be"):
        BernoulliObservation(eps=0.5)


@pytest.mark.parametrize("kind,config", [("vae", {"latent_dim": 3}),
                                         ("aae", {"latent_dim": 3, "prior": "mixture"})])
def test_decoder_and_prior_are_the_models_program(kind, config):
    """What AIS anneals between (DecoderDensity) is the model's own p(z) p(x | z): the log
    joint at the model trace's z equals the prior's plus the decoder's."""
    from pyro import poutine

    from ppl_models import registry
    from ppl_models.observation import DecoderDensity

    torch.manual_seed(0)
    model = registry.build(kind, input_shape=(1, 4, 4), **config)
    assert isinstance(model, DecoderDensity)
    x = (torch.rand(5, 1, 4, 4) > 0.5).float()
    trace = poutine.trace(model.model).get_trace(x)
    trace.compute_log_prob()
    z = trace.nodes["z"]["value"]
    decoder, prior = model.decoder_and_prior()
    expected = trace.nodes["z"]["log_prob"] + trace.nodes["x"]["log_prob"]
    torch.testing.assert_close(prior.log_prob(z) + decoder(z).log_prob(x), expected)
