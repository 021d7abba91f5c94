"""Uniform dequantisation and the discrete-data bound it reports (ppl_models.data.dequantize)."""

import math

import pytest
import torch

from ppl_models.data import discrete_nll_bound, load_grey_levels, uniform_dequantize


def test_dequantised_values_stay_in_their_cells():
    k = torch.randint(0, 17, (500, 64), generator=torch.Generator().manual_seed(0))
    y = uniform_dequantize(k, 17, generator=torch.Generator().manual_seed(1))
    assert y.dtype == torch.float32
    assert torch.equal(torch.floor(y.double() * 17).long(), k)


@pytest.mark.parametrize("bad", [torch.tensor([17]), torch.tensor([-1]), torch.tensor([0.5]),
                                 torch.tensor([float("nan")])])
def test_values_outside_the_levels_raise(bad):
    with pytest.raises(ValueError, match="levels_k"):
        uniform_dequantize(bad, 17)


def test_levels_must_be_at_least_two():
    with pytest.raises(ValueError, match="levels"):
        uniform_dequantize(torch.zeros(3), 1)


def _histogram_case(seed=0, n=200, dim=3, levels=5):
    """Independent per-dimension probabilities P_d(k) and a density constant on each cell,
    p(y) = prod_d K P_d(floor(K y_d)): the one case where the bound is an equality."""
    gen = torch.Generator().manual_seed(seed)
    probs = torch.rand(dim, levels, generator=gen, dtype=torch.float64) + 0.1
    probs = probs / probs.sum(1, keepdim=True)
    k = torch.multinomial(probs, n, replacement=True, generator=gen).T  # (n, dim)
    exact = -torch.log(probs.gather(1, k.T).T).sum(1)  # -log P(k)
    return probs, k, exact


def test_the_bound_is_exact_for_a_density_constant_on_cells():
    probs, k, exact = _histogram_case()
    levels, dim = probs.shape[1], probs.shape[0]
    y = uniform_dequantize(k, levels, generator=torch.Generator().manual_seed(2)).double()
    cells = torch.floor(y * levels).long()
    log_p = torch.log(levels * probs.gather(1, cells.T).T).sum(1)
    torch.testing.assert_close(discrete_nll_bound(log_p, dim, levels), exact)


def test_the_bound_with_standardisation_is_the_same_number():
    # z = (y - m) / s: log p_z(z) = log p_y(y) + sum log s, and log_scale = sum log s puts
    # it back; the bound must not move.
    probs, k, exact = _histogram_case(seed=3)
    levels, dim = probs.shape[1], probs.shape[0]
    y = uniform_dequantize(k, levels, generator=torch.Generator().manual_seed(4)).double()
    m, s = y.mean(0), y.std(0)
    z = (y - m) / s  # what a model of standardised data sees
    cells = torch.floor((m + s * z) * levels).long()
    log_p_z = torch.log(levels * probs.gather(1, cells.T).T).sum(1) + s.log().sum()
    bound = discrete_nll_bound(log_p_z, dim, levels, log_scale=s.log().sum().item())
    torch.testing.assert_close(bound, exact)


def test_for_a_smooth_density_the_bound_is_above_the_exact_discrete_nll():
    # Independent Gaussians on y: P(k) by CDF differences is exact. Averaged over 20,000
    # draws of u per image, the estimate's standard error is < 0.01 nats; Jensen's gap here
    # is about 0.03 nats a dimension, so the bound must sit above the exact value by more
    # than 3 standard errors and within 0.2 nats.
    levels, dim = 8, 2
    normal = torch.distributions.Normal(torch.tensor([0.4, 0.6], dtype=torch.float64),
                                        torch.tensor([0.2, 0.3], dtype=torch.float64))
    k = torch.tensor([[1, 4], [3, 3], [6, 0]])
    lo, hi = k.double() / levels, (k.double() + 1) / levels
    exact = -torch.log(normal.cdf(hi) - normal.cdf(lo)).sum(1)
    gen = torch.Generator().manual_seed(0)
    y = torch.stack([uniform_dequantize(k, levels, generator=gen) for _ in range(20_000)])
    bounds = discrete_nll_bound(normal.log_prob(y.double()).sum(-1), dim, levels)
    mean, se = bounds.mean(0), bounds.std(0) / math.sqrt(len(bounds))
    assert torch.all(mean > exact + 3 * se)
    assert torch.all(mean < exact + 0.2)


@pytest.mark.parametrize("name,shape,levels", [("digits", (1797, 64), 17),
                                               ("mnist5k", (5000, 784), 256)])
def test_grey_levels_are_the_integers_of_the_embedded_sets(name, shape, levels):
    k, got = load_grey_levels(name)
    assert got == levels and tuple(k.shape) == shape and k.dtype == torch.int64
    assert k.min() == 0 and k.max() == levels - 1


def test_unknown_grey_level_set_raises():
    with pytest.raises(ValueError, match="name"):
        load_grey_levels("cifar")

