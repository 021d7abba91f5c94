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


def _generator_kinds():
    from ppl_models import registry
    from ppl_models.observation import LatentGenerator

    return [k for k in registry.kinds() if issubclass(registry.entry(k).cls, LatentGenerator)]


def test_the_plain_unconditional_generators_declare_themselves():
    assert {"dcgan", "gan", "progressive_gan"} <= set(_generator_kinds())
    from ppl_models import registry

    # Conditioned on labels, or drawing a discrete code HMC cannot anneal: not declared.
    assert not {"conditional_gan", "infogan"} & set(_generator_kinds())
    assert registry.entry("gan").cls.observations == ("gaussian",)


@pytest.mark.parametrize("kind", _generator_kinds())
def test_a_declared_generator_and_prior_are_the_kinds_own_sampler(kind):
    """What AIS scores (LatentGenerator) is the sampler's own x = G(z), z ~ p(z): the prior is
    N(0, I) as the kind draws its noise, and its generator maps the same noise to the same
    samples (the kind's sample() reseeded, so it draws the noise drawn here)."""
    from ppl_models import registry
    from ppl_models.observation import OBSERVATION_MODELS, ObservedGenerator, observation_model

    torch.manual_seed(0)
    shape = ({"input_shape": (1, 8, 8)} if registry.shape_keyword(kind) == "input_shape"
             else {"dim": 2})
    model = registry.build(kind, **shape)
    if kind == "progressive_gan":  # halfway through fading in the second stage
        model.progress.fill_(model.stable_steps + model.fade_steps // 2)
    model.eval()
    generator, prior = model.generator_and_prior()
    latent = prior.event_shape[0]
    assert prior.batch_shape == () and not generator.training
    torch.testing.assert_close(prior.mean, torch.zeros(latent))
    torch.testing.assert_close(prior.stddev, torch.ones(latent))
    torch.manual_seed(1)
    z = torch.randn(6, latent)
    torch.manual_seed(1)
    samples = model.sample(6)
    with torch.no_grad():
        torch.testing.assert_close(generator(z), samples)
    assert set(model.observations) <= set(OBSERVATION_MODELS) and model.observations
    if "bernoulli" in model.observations:  # outputs are probabilities, even for far-out z
        with torch.no_grad():
            far = generator(20 * torch.randn(50, latent))
        assert far.min() >= 0 and far.max() <= 1
    decoder = ObservedGenerator(generator, observation_model(model.observations[-1], 0.1)
                                if model.observations[-1] == "gaussian"
                                else observation_model("bernoulli"))
    assert decoder(z).event_shape == samples.shape[1:]


def test_observation_models_are_built_by_name():
    from ppl_models.observation import observation_model

    assert isinstance(observation_model("bernoulli"), BernoulliObservation)
    gaussian = observation_model("gaussian", 0.2)
    assert isinstance(gaussian, GaussianObservation)
    assert float(gaussian.sigma) == pytest.approx(0.2)  # a float32 buffer
    with pytest.raises(ValueError, match="observation must be one of bernoulli, gaussian"):
        observation_model("poisson")
    with pytest.raises(ValueError, match="needs its sigma"):
        observation_model("gaussian")
    with pytest.raises(ValueError, match="sigma applies to the gaussian"):
        observation_model("bernoulli", 0.1)
    with pytest.raises(ValueError, match="sigma must be a positive"):
        observation_model("gaussian", 0.0)
