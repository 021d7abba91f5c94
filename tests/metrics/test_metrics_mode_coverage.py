"""mode_coverage on samplers whose answer is known."""

import math

import pytest
import torch

from inference.metrics import mode_coverage
from ppl_models.data import grid_means, ring_means, sample_mixture, toy_mixture


def test_the_protocol_mixtures():
    means, std = toy_mixture("ring")
    assert means.shape == (8, 2) and std == 0.01
    torch.testing.assert_close(means.norm(dim=1), torch.ones(8))
    means, std = toy_mixture("grid")
    assert means.shape == (25, 2) and std == 0.05
    assert sorted(set(means[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_a_perfect_ring_sampler_captures_all_8_modes_with_1_minus_exp_minus_4_5_quality():
    means, std = toy_mixture("ring")
    x = sample_mixture(means, std, 100_000, generator=torch.Generator().manual_seed(0))
    cov = mode_coverage(x, means, std)
    assert cov.modes_captured == 8 and cov.n_modes == 8
    # chi^2_2: P(|x - mu| < 3 sigma) = 1 - exp(-4.5) = 0.98889; the binomial standard error
    # at n = 1e5 is 3.3e-4, so 0.0015 is 4.5 standard errors.
    assert cov.high_quality == pytest.approx(1 - math.exp(-4.5), abs=1.5e-3)
    # Multinomial counts over 8 modes: KL to uniform ~ (K - 1) / (2n) = 3.5e-5 on average.
    assert 0 <= cov.reverse_kl < 5e-4


def test_the_pacgan_sample_size_on_the_grid():
    means, std = toy_mixture("grid")
    x = sample_mixture(means, std, 2500, generator=torch.Generator().manual_seed(1))
    cov = mode_coverage(x, means, std)
    # 100 samples a mode on average: missing one has probability ~ 25 * exp(-100).
    assert cov.modes_captured == 25
    assert cov.high_quality > 0.97  # 0.9889 with standard error 0.002


def test_a_one_mode_sampler_captures_one():
    means, std = ring_means(8), 0.01
    x = means[3] + std * torch.randn(2500, 2, generator=torch.Generator().manual_seed(0))
    cov = mode_coverage(x, means, std)
    assert cov.modes_captured == 1
    assert cov.counts.argmax() == 3
    assert cov.reverse_kl == pytest.approx(math.log(8))


def test_samples_between_the_modes_are_low_quality_and_min_count():
    means = grid_means(5)
    x = means[:4] + 1.0  # halfway between grid points: 20 sigma from any mean
    cov = mode_coverage(x, means, 0.05)
    assert cov.modes_captured == 0 and cov.high_quality == 0.0
    x = torch.cat([means[:1].repeat(5, 1), means[1:2]])
    assert mode_coverage(x, means, 0.05, min_count=2).modes_captured == 1


def test_the_selection_score_prefers_a_sharp_sampler_missing_a_mode_to_a_diffuse_one():
    means, std = toy_mixture("grid")
    g = torch.Generator().manual_seed(2)
    # Diffuse: the data's means with 10x the spread; with 2,500 draws every mode still gets
    # a sample within 3 std (P ~ 1 - exp(-0.045) per draw near its mode), so all 25 count.
    diffuse = mode_coverage(sample_mixture(means, 10 * std, 2500, generator=g), means, std)
    # Sharp: the true components, but one mode never drawn.
    sharp = mode_coverage(sample_mixture(means[1:], std, 2500, generator=g), means, std)
    assert diffuse.modes_captured == 25 and diffuse.high_quality < 0.1
    assert sharp.modes_captured == 24 and sharp.high_quality > 0.97
    assert sharp.score > diffuse.score  # modes first would rank them the other way
    assert sharp.score == pytest.approx(24 / 25 + sharp.high_quality)


@pytest.mark.parametrize("kwargs, match", [
    (dict(samples=torch.zeros(3, 3)), "means"),
    (dict(samples=torch.zeros(0, 2)), "samples"),
    (dict(samples=torch.full((2, 2), float("nan"))), "finite"),
    (dict(samples=torch.zeros(2, 2), std=0.0), "std"),
])
def test_bad_input_is_refused(kwargs, match):
    args = dict(means=ring_means(8), std=0.01) | kwargs
    with pytest.raises(ValueError, match=match):
        mode_coverage(**args)
