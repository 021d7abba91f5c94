"""Rate + distortion is Pyro's ELBO on the same draws; rate is the KL; units and sites."""

import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro import poutine
from pyro.infer import Trace_ELBO

from inference.diagnostics import (
    active_units,
    elbo_decomposition,
    guide_prior_kl_check,
    unit_activity,
)


@pytest.mark.parametrize("vectorize", [False, True])
def test_elbo_is_minus_trace_elbo_loss_on_the_same_draws(lg, data, vectorize):
    guide = lg.mean_field_guide(shift=0.3, scale=1.4)
    pyro.set_rng_seed(5)
    loss = Trace_ELBO().loss(lg.model, guide, data)
    # The diagnostic's own seed reproduces Trace_ELBO's single draw: both seed torch, and
    # finding the sites consumes no randomness.
    out = elbo_decomposition(lg.model, guide, data, 1, seed=5, vectorize_particles=vectorize)
    assert out.elbo.shape == out.rate.shape == out.distortion.shape == (len(data),)
    # Trace_ELBO.loss sums over the batch.
    assert out.elbo.sum().item() == pytest.approx(-loss, rel=1e-12)
    torch.testing.assert_close(out.elbo, -(out.rate + out.distortion))
    assert out.mean_elbo == pytest.approx(-loss / len(data), rel=1e-12)


def test_rate_is_the_analytic_kl_within_monte_carlo_error(lg, data):
    guide = lg.mean_field_guide(scale=0.8)
    s = 2000
    out = elbo_decomposition(lg.model, guide, data, s, seed=0, vectorize_particles=True)
    assert out.kl_per_dim_method == "analytic" and out.kl_per_dim.shape == (len(data), 2)
    torch.testing.assert_close(out.analytic_rate, out.kl_per_dim.sum(-1))
    # By hand: KL(N(m, s^2) || N(0, 1)) = (s^2 + m^2 - 1 - log s^2) / 2 per dimension.
    mean, cov = lg.posterior(data)
    var = 0.64 * cov.diagonal()
    torch.testing.assert_close(out.kl_per_dim, 0.5 * (var + mean**2 - 1 - var.log()))
    # The rate averages S log-ratios per datum; their spread is the same as in the KL check's
    # M draws, so SE(rate) = SE_check * sqrt(M / S). 5 SE fails by chance with p = 6e-7.
    check = guide_prior_kl_check(lg.model, guide, data, 4000, seed=1)
    stderr = check.stderr * (4000 / s) ** 0.5
    assert torch.all((out.rate - out.analytic_rate).abs() < 5 * stderr)


def test_per_dimension_kl_by_monte_carlo_without_a_closed_form(data):
    # A Student-t prior has no closed-form KL against a Normal, but both factorise.
    def model(x):
        with pyro.plate("data", len(x)):
            z = pyro.sample("z", dist.StudentT(4.0, torch.zeros(2, dtype=x.dtype), 1.0)
                            .to_event(1))
            pyro.sample("x", dist.Normal(z, 1.0).to_event(1), obs=x)

    def guide(x):
        with pyro.plate("data", len(x)):
            pyro.sample("z", dist.Normal(x / 2, 0.7).to_event(1))

    out = elbo_decomposition(model, guide, data[:, :2], 3, seed=0)
    assert out.kl_per_dim_method == "monte_carlo" and out.analytic_rate is None
    assert out.kl_per_dim.shape == (len(data), 2)
    # Per-dimension log-ratios of the same draws add up to the rate exactly.
    torch.testing.assert_close(out.kl_per_dim.sum(-1), out.rate)


def test_joint_guide_has_no_per_dimension_kl(lg, data):
    out = elbo_decomposition(lg.model, lg.exact_guide, data, 2, seed=0)
    assert out.kl_per_dim is None and out.kl_per_dim_method is None
    assert "MultivariateNormal" in out.kl_per_dim_reason
    assert out.analytic_rate is None
    # The exact posterior makes the ELBO the evidence, draw by draw.
    torch.testing.assert_close(out.elbo, lg.log_evidence(data))


def test_a_dead_latent_dimension_is_inactive_with_zero_kl(linear_gaussian):
    lg = linear_gaussian(latent_dim=3, dead_dims=[2])
    x = lg.sample_data(50)
    out = elbo_decomposition(lg.model, lg.mean_field_guide(), x, 1, seed=0)
    assert out.active_units == 2
    assert torch.all(out.kl_per_dim[:, 2].abs() < 1e-12)
    assert torch.all(out.kl_per_dim[:, :2].mean(0) > 0.1)
    torch.testing.assert_close(out.guide_means, lg.posterior(x)[0])


def test_active_units_counts_dimensions_whose_mean_varies():
    g = torch.Generator().manual_seed(0)
    means = torch.randn(400, 3, generator=g) * torch.tensor([1.0, 0.05, 0.2])
    # Variances about 1, 0.0025, 0.04 around the threshold 0.01.
    assert active_units(means) == 2
    assert active_units(means, threshold=0.1) == 1
    assert active_units(means, threshold=0.0) == 3
    assert unit_activity(means).shape == (3,)


@pytest.mark.parametrize("means, match", [
    (torch.zeros(1, 3), "guide_means"), (torch.zeros(5), "guide_means"), ([[0.0]], "guide_means"),
])
def test_active_units_bad_input(means, match):
    with pytest.raises(ValueError, match=match):
        active_units(means)
    with pytest.raises(ValueError, match="threshold"):
        active_units(torch.zeros(3, 2), threshold=-1.0)


def test_sites_are_found_by_role_not_by_name(data):
    # Two latent sites with other names; the observed site found from the trace.
    def model(x):
        with pyro.plate("batch", len(x)):
            a = pyro.sample("code", dist.Normal(torch.zeros(2, dtype=x.dtype), 1.0).to_event(1))
            b = pyro.sample("style", dist.Normal(torch.zeros(3, dtype=x.dtype), 1.0).to_event(1))
            loc = torch.cat([a, b], -1)
            pyro.sample("pixels", dist.Normal(loc, 1.0).to_event(1), obs=x)

    def guide(x):
        with pyro.plate("batch", len(x)):
            pyro.sample("code", dist.Normal(x[:, :2] / 2, 0.7).to_event(1))
            pyro.sample("style", dist.Normal(x[:, 2:] / 2, 0.7).to_event(1))

    out = elbo_decomposition(model, guide, data, 1, seed=0)
    assert out.observed_site == "pixels" and out.latent_sites == ("code", "style")
    assert out.kl_per_dim.shape == (len(data), 5)
    torch.testing.assert_close(out.analytic_rate, out.kl_per_dim.sum(-1))
    only = elbo_decomposition(model, guide, data, 1, seed=0, latent_sites=["style"])
    assert only.kl_per_dim.shape == (len(data), 3) and only.analytic_rate is None
    # The rate still covers every latent site.
    torch.testing.assert_close(only.rate, out.rate)


def test_several_observed_sites_need_a_name(data):
    def model(x):
        with pyro.plate("data", len(x)):
            z = pyro.sample("z", dist.Normal(torch.zeros(1, dtype=x.dtype), 1.0).to_event(1))
            pyro.sample("x", dist.Normal(z, 1.0).to_event(1), obs=x[:, :1])
            pyro.sample("y", dist.Normal(z, 2.0).to_event(1), obs=x[:, 1:2])

    def guide(x):
        with pyro.plate("data", len(x)):
            pyro.sample("z", dist.Normal(x[:, :1], 1.0).to_event(1))

    with pytest.raises(ValueError, match="observed_site"):
        elbo_decomposition(model, guide, data, 1, seed=0)
    out = elbo_decomposition(model, guide, data, 1, seed=0, observed_site="x")
    pyro.set_rng_seed(0)
    # Every observed site's likelihood is distortion, so the identity with Pyro still holds.
    assert out.elbo.sum().item() == pytest.approx(-Trace_ELBO().loss(model, guide, data),
                                                  rel=1e-12)


def test_scales_are_ignored_so_kl_annealing_does_not_change_the_rate(lg, data):
    guide = lg.mean_field_guide()

    def annealed(x):
        with poutine.scale(scale=0.1):
            lg.model(x)

    plain = elbo_decomposition(lg.model, guide, data, 2, seed=0)
    scaled = elbo_decomposition(annealed, guide, data, 2, seed=0)
    torch.testing.assert_close(scaled.rate, plain.rate)
    torch.testing.assert_close(scaled.distortion, plain.distortion)


def test_seed_reproduces_and_leaves_the_global_rng_alone(lg, data):
    guide = lg.mean_field_guide()
    state = torch.get_rng_state()
    a = elbo_decomposition(lg.model, guide, data, 3, seed=2)
    b = elbo_decomposition(lg.model, guide, data, 3, seed=2)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a.elbo, b.elbo)
    summary = a.summary()
    assert summary["num_samples"] == 3 and summary["kl_per_dim_method"] == "analytic"
    assert summary["elbo"] == pytest.approx(a.mean_elbo)


@pytest.mark.parametrize("kwargs, match", [
    (dict(x=[[1.0]]), "x must be"),
    (dict(x=torch.zeros(0, 5)), "x must be"),
    (dict(num_samples=0), "num_samples"),
    (dict(seed="0"), "seed"),
    (dict(vectorize_particles=1), "vectorize_particles"),
    (dict(active_threshold=-0.1), "active_threshold"),
    (dict(observed_site="z"), "observed_site"),
    (dict(latent_sites=["w"]), "latent_sites"),
    (dict(latent_sites="z"), "latent_sites"),
])
def test_bad_input_is_refused(lg, data, kwargs, match):
    args = dict(model=lg.model, guide=lg.mean_field_guide(), x=data) | kwargs
    with pytest.raises(ValueError, match=match):
        elbo_decomposition(**args)


def test_latent_site_outside_the_data_plate_is_refused(data):
    def model(x):
        w = pyro.sample("w", dist.Normal(torch.zeros(5, dtype=x.dtype), 1.0).to_event(1))
        with pyro.plate("data", len(x)):
            pyro.sample("x", dist.Normal(w, 1.0).to_event(1), obs=x)

    def guide(x):
        pyro.sample("w", dist.Normal(x.mean(0), 1.0).to_event(1))

    with pytest.raises(ValueError, match="outside the data plate"):
        elbo_decomposition(model, guide, data, 1, seed=0)
