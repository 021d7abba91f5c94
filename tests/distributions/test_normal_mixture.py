"""EqualNormalMixture: torch's MixtureSameFamily density without its (M, K, L) tensor."""

import math

import pyro
import pyro.distributions as dist
import pytest
import torch
from torch.testing import assert_close

from ppl_models.distributions import EqualNormalMixture


def _components(k=5, latent=3, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    loc = 2 * torch.randn(k, latent, generator=g, dtype=dtype)
    scale = 0.1 + torch.rand(k, latent, generator=g, dtype=dtype)
    return loc, scale


def _reference(loc, scale):
    k = loc.shape[0]
    return dist.MixtureSameFamily(dist.Categorical(logits=loc.new_zeros(k)),
                                  dist.Normal(loc, scale).to_event(1))


@pytest.mark.parametrize("shape", [(7,), (4, 6), ()])
def test_log_prob_is_the_mixtures_in_float64(shape):
    loc, scale = _components(dtype=torch.float64)
    z = 3 * torch.randn(*shape, 3, generator=torch.Generator().manual_seed(1),
                        dtype=torch.float64)
    mixture = EqualNormalMixture(loc, scale)
    assert mixture.batch_shape == () and mixture.event_shape == (3,)
    # Both in float64: only the order of the arithmetic differs.
    assert_close(mixture.log_prob(z), _reference(loc, scale).log_prob(z), rtol=0, atol=1e-10)


def test_gradients_are_the_mixtures_in_float64():
    # The VampPrior trains through this log_prob (to the codes, the components' means and
    # scales); its log-sum-exp shift is detached and applied in place, which must not
    # change a gradient. Both sides in float64: only the arithmetic's order differs.
    loc, scale = _components(dtype=torch.float64)
    z = 3 * torch.randn(9, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    grads = []
    for score in (EqualNormalMixture, _reference):
        leaves = [t.clone().requires_grad_() for t in (z, loc, scale)]
        weights = torch.linspace(0.5, 2.0, len(z), dtype=torch.float64)
        (score(*leaves[1:]).log_prob(leaves[0]) * weights).sum().backward()
        grads.append([t.grad for t in leaves])
    for ours, theirs in zip(*grads, strict=True):
        assert_close(ours, theirs, rtol=0, atol=1e-10)


def test_float32_codes_are_scored_to_float64_accuracy_near_sharp_components():
    # mu / sigma up to 60: expanding the square in float32 loses 3e-4 nats here (measured;
    # 7e-3 with L = 32, K = 500), evaluated in float64 1e-7, float32's own rounding.
    loc = torch.tensor([[2.0, -2.0], [1.5, 2.5], [-3.0, 0.5]])
    scale = torch.full_like(loc, 0.05)
    z = loc[torch.arange(30) % 3] + 0.05 * torch.randn(30, 2, generator=torch.Generator()
                                                       .manual_seed(2))
    exact = _reference(loc.double(), scale.double()).log_prob(z.double())
    got = EqualNormalMixture(loc, scale).log_prob(z)
    assert got.dtype == torch.float32
    assert_close(got.double(), exact, rtol=0, atol=1e-5)  # float32's rounding of the result
    # The wrong implementation, the same expansion in float32, fails that tolerance.
    precision = scale.pow(-2)
    quad = (z.square() @ precision.T - 2 * z @ (loc * precision).T
            + (loc.square() * precision).sum(-1))
    wrong = ((-0.5 * quad - scale.log().sum(-1) - math.log(2 * math.pi)).logsumexp(-1)
             - math.log(3))
    assert (wrong.double() - exact).abs().max() > 1e-4


def test_expanded_by_a_plate_it_keeps_one_copy_of_its_components():
    loc, scale = _components()
    mixture = EqualNormalMixture(loc, scale).expand([4])
    assert mixture.batch_shape == (4,) and mixture.loc is loc
    z = torch.randn(2, 4, 3)
    assert mixture.log_prob(z).shape == (2, 4)
    assert_close(mixture.log_prob(z), _reference(loc, scale).log_prob(z), rtol=0, atol=1e-5)
    assert mixture.log_prob(torch.randn(3)).shape == (4,)  # broadcast to the batch
    assert mixture.sample((5,)).shape == (5, 4, 3)

    def model():
        with pyro.plate("data", 4):
            pyro.sample("z", EqualNormalMixture(loc, scale))

    trace = pyro.poutine.trace(model).get_trace()
    trace.compute_log_prob()
    assert trace.nodes["z"]["log_prob"].shape == (4,)


def test_samples_have_the_mixtures_mean_and_variance():
    loc, scale = _components(k=4, latent=2)
    mixture = EqualNormalMixture(loc, scale)
    torch.manual_seed(3)
    z = mixture.sample((20000,))
    reference = _reference(loc, scale)
    assert_close(mixture.mean, reference.mean)
    assert_close(mixture.variance, reference.variance)
    # Variances are below 6 here, so the SEs of the sample mean are below
    # sqrt(6 / 20000) = 0.017; 0.07 is 4 of them. The sample variance's SE is below
    # sqrt(2) * 6 / sqrt(20000) = 0.06 for a normal, more for a mixture: 0.3.
    assert_close(z.mean(0), mixture.mean, rtol=0, atol=0.07)
    assert_close(z.var(0), mixture.variance, rtol=0, atol=0.3)
    # The component choice is uniform: the share of draws nearest each mean is 1/4 up to
    # overlap between components (a few percent) and noise (SE 0.003); always one
    # component would give 1 and 0.
    nearest = torch.cdist(z, loc).argmin(-1).bincount(minlength=4) / len(z)
    assert_close(nearest, torch.full((4,), 0.25), rtol=0, atol=0.05)


@pytest.mark.parametrize("loc, scale, match", [
    (torch.zeros(3), torch.ones(3), r"loc must be a \(K, L\) tensor, got \(3,\)"),
    (torch.zeros(3, 2), torch.ones(3, 1), r"scale must have loc's shape \(3, 2\)"),
    ([[0.0]], torch.ones(1, 1), "loc must be a"),
])
def test_bad_components_are_refused_naming_them(loc, scale, match):
    with pytest.raises(ValueError, match=match):
        EqualNormalMixture(loc, scale)


def test_a_non_positive_scale_is_refused_under_validation():
    with pytest.raises(ValueError, match="scale"):
        EqualNormalMixture(torch.zeros(2, 2), torch.zeros(2, 2), validate_args=True)
