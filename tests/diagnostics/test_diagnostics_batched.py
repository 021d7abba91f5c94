"""The data taken a batch at a time: the same estimates, one seeded stream, whole-set units."""

import pytest
import torch

from inference.diagnostics import elbo_decomposition, importance_log_likelihood


@pytest.mark.parametrize("batch_size", [1, 5, 12, 100])
def test_batched_importance_sampling_with_the_exact_guide_is_exact(lg, data, batch_size):
    out = importance_log_likelihood(lg.model, lg.exact_guide, data, 64, 16, seed=0,
                                    batch_size=batch_size, return_log_weights=True)
    # Every weight is p(x): exact whichever rows share a pass.
    torch.testing.assert_close(out.log_likelihood, lg.log_evidence(data), rtol=0, atol=1e-10)
    assert out.log_weights.shape == (len(data), 64)
    assert out.pareto_k.shape == out.ess.shape == out.stderr.shape == (len(data),)


def test_batched_importance_sampling_is_seeded_and_agrees_with_unbatched(lg, data):
    guide = lg.mean_field_guide(scale=1.5)
    a, b = (importance_log_likelihood(lg.model, guide, data, 200, seed=3, batch_size=5)
            for _ in range(2))
    torch.testing.assert_close(a.log_likelihood, b.log_likelihood, rtol=0, atol=0)
    whole = importance_log_likelihood(lg.model, guide, data, 200, seed=3)
    # The stream is laid out differently, the quantity is the same: within a few
    # (delta-method) standard errors. Whether any draws coincide is torch's detail, not ours.
    assert torch.all((a.log_likelihood - whole.log_likelihood).abs()
                     < 5 * (a.stderr**2 + whole.stderr**2).sqrt())
    # A batch as large as the data is no batching at all: the very same draws.
    same = importance_log_likelihood(lg.model, guide, data, 200, seed=3, batch_size=len(data))
    torch.testing.assert_close(same.log_likelihood, whole.log_likelihood, rtol=0, atol=0)


def test_batched_decomposition_concatenates_and_counts_units_over_all_data(linear_gaussian):
    lg = linear_gaussian(latent_dim=3, dead_dims=(2,))
    x = lg.sample_data(40)
    guide = lg.mean_field_guide()
    whole = elbo_decomposition(lg.model, guide, x, 20, seed=0, vectorize_particles=True)
    parts = elbo_decomposition(lg.model, guide, x, 20, seed=0, vectorize_particles=True,
                               batch_size=7)
    for name in ("elbo", "rate", "distortion", "analytic_rate"):
        assert getattr(parts, name).shape == (40,), name
    assert parts.kl_per_dim.shape == parts.guide_means.shape == (40, 3)
    assert parts.kl_per_dim_method == "analytic"
    # The guide means and closed-form KLs do not depend on the draws.
    torch.testing.assert_close(parts.guide_means, whole.guide_means)
    torch.testing.assert_close(parts.analytic_rate, whole.analytic_rate)
    # Activity is a variance over all 40 data (a batch of 40 % 7 = 5 alone could not say).
    assert parts.active_units == whole.active_units == 2
    assert parts.mean_elbo == pytest.approx(whole.mean_elbo, abs=0.1)


def test_bad_batch_size(lg, data):
    with pytest.raises(ValueError, match="batch_size"):
        importance_log_likelihood(lg.model, lg.exact_guide, data, 10, batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        elbo_decomposition(lg.model, lg.exact_guide, data, batch_size=2.5)
