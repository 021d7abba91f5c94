"""Closed-form KL against Monte Carlo; a wrong closed form is caught; bad input refused.

Tolerance: the Monte Carlo estimate is a mean of M i.i.d. log-ratios log q(z) - log p(z),
z ~ q. For Gaussians the log-ratio is a quadratic form in a Gaussian, so it has finite
moments of every order and the CLT applies: (MC - KL) / SE is close to N(0, 1), with SE the
sample standard deviation over sqrt(M) estimated from the same draws (M >= 2e4, so the
Student-t correction is negligible). |z| < 5 fails by chance with probability 5.7e-7 per
comparison, under 1e-4 over every element of every case here; the seeds are fixed, so a
failure is a real disagreement, not bad luck.
"""

import math

import pyro.distributions as dist
import pytest
import torch
from torch.distributions import kl_divergence, register_kl

from inference.diagnostics import guide_prior_kl_check, kl_check

Z_MAX = 5.0
M = 20000


def diagonal_pair(batch_shape, dim=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    shape = (*batch_shape, dim)
    q = dist.Normal(torch.randn(shape, generator=g), torch.rand(shape, generator=g) + 0.5)
    p = dist.Normal(torch.randn(shape, generator=g), torch.rand(shape, generator=g) + 0.5)
    return q.to_event(1), p.to_event(1)


def full_pair(batch_shape, dim=3, seed=0):
    g = torch.Generator().manual_seed(seed)

    def mvn():
        a = torch.randn(*batch_shape, dim, dim, generator=g)
        cov = a @ a.transpose(-1, -2) + 0.5 * torch.eye(dim)
        return dist.MultivariateNormal(torch.randn(*batch_shape, dim, generator=g), cov)

    return mvn(), mvn()


@pytest.mark.parametrize("make_pair", [diagonal_pair, full_pair])
@pytest.mark.parametrize("batch_shape", [(), (4,), (2, 3)])
def test_analytic_kl_matches_monte_carlo(make_pair, batch_shape):
    q, p = make_pair(batch_shape)
    check = kl_check(q, p, M, seed=0)
    assert check.analytic.shape == batch_shape
    assert check.monte_carlo.shape == check.stderr.shape == batch_shape
    assert torch.all(check.analytic > 0)
    assert torch.all(check.z_score.abs() < Z_MAX), check.z_score
    assert check.agrees(Z_MAX)
    # The SE is that of a mean of M draws: small next to the KL, but not zero.
    assert torch.all((check.stderr > 0) & (check.stderr < 0.05 * check.analytic))


def test_batch_shapes_broadcast_one_prior_many_posteriors():
    q = dist.Normal(torch.linspace(-1, 1, 5).unsqueeze(-1).expand(5, 2), 0.7).to_event(1)
    p = dist.Normal(torch.zeros(2), 1.0).to_event(1)
    check = kl_check(q, p, M, seed=1)
    assert check.analytic.shape == (5,)
    assert check.agrees(Z_MAX)


def test_identical_distributions_have_zero_kl_and_agree():
    q, _ = diagonal_pair((3,))
    check = kl_check(q, q, 100, seed=0)
    assert torch.all(check.monte_carlo == 0) and torch.all(check.stderr == 0)
    assert torch.all(check.z_score == 0) and check.agrees()


class OffByOneTenthNormal(dist.Normal):
    """A Normal whose registered closed-form KL is deliberately wrong by 0.1 nats."""


@register_kl(OffByOneTenthNormal, dist.Normal)
def _wrong_kl(q, p):
    return kl_divergence(dist.Normal(q.loc, q.scale), p) + 0.1


def test_a_wrong_closed_form_is_flagged():
    q = OffByOneTenthNormal(torch.tensor([0.3, -0.5]), torch.tensor([0.8, 1.2]))
    p = dist.Normal(torch.zeros(2), torch.ones(2))
    check = kl_check(q, p, M, seed=0)
    # The log-ratios' sd is at most 0.7 here, so SE <= 0.7 / sqrt(M) = 0.005 and the 0.1
    # nats of error are at least 20 standard errors.
    assert torch.all(check.stderr < 0.005)
    assert torch.all(check.z_score < -15), check.z_score
    assert not check.agrees()


def test_one_draw_has_no_standard_error():
    q, p = diagonal_pair(())
    check = kl_check(q, p, 1, seed=0)
    assert math.isnan(check.stderr.item()) and not check.agrees()


def test_seed_reproduces_and_leaves_the_global_rng_alone():
    q, p = diagonal_pair((2,))
    state = torch.get_rng_state()
    a, b = kl_check(q, p, 500, seed=7), kl_check(q, p, 500, seed=7)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a.monte_carlo, b.monte_carlo)
    assert not torch.equal(a.monte_carlo, kl_check(q, p, 500, seed=8).monte_carlo)


def test_no_closed_form_raises():
    with pytest.raises(ValueError, match="no closed-form KL"):
        kl_check(dist.Normal(0.0, 1.0), dist.StudentT(5.0, 0.0, 1.0), 10)


@pytest.mark.parametrize("kwargs, match", [
    (dict(q=torch.zeros(2)), "q must be"),
    (dict(p="normal"), "p must be"),
    (dict(num_samples=0), "num_samples"),
    (dict(num_samples=True), "num_samples"),
    (dict(num_samples=10.0), "num_samples"),
    (dict(seed=-1), "seed"),
    (dict(p=dist.Normal(torch.zeros(4), 1.0).to_event(1)), "event shape"),
    (dict(p=dist.Normal(torch.zeros(5, 3), 1.0).to_event(1)), "batch shapes"),
])
def test_bad_input_is_refused(kwargs, match):
    q, p = diagonal_pair((2,))
    args = dict(q=q, p=p, num_samples=10) | kwargs
    with pytest.raises(ValueError, match=match):
        kl_check(**args)


def test_agrees_refuses_a_bad_threshold():
    q, p = diagonal_pair(())
    with pytest.raises(ValueError, match="z_max"):
        kl_check(q, p, 10, seed=0).agrees(0)


def test_guide_prior_kl_check_on_a_vae_like_pair(lg, data):
    check = guide_prior_kl_check(lg.model, lg.mean_field_guide(scale=0.8), data, 5000, seed=0)
    assert check.analytic.shape == (len(data),)
    assert check.agrees(Z_MAX), check.z_score
    # By hand: KL(N(m, s^2) || N(0, 1)) = (s^2 + m^2 - 1 - log s^2) / 2 per dimension.
    mean, cov = lg.posterior(data)
    var = 0.64 * cov.diagonal()
    expected = 0.5 * (var + mean**2 - 1 - var.log()).sum(-1)
    torch.testing.assert_close(check.analytic, expected)


def test_guide_prior_kl_check_site_must_be_latent(lg, data):
    with pytest.raises(ValueError, match="site 'x'"):
        guide_prior_kl_check(lg.model, lg.exact_guide, data, 10, site="x")
