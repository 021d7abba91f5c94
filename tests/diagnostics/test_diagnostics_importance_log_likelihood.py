"""Importance-sampled log p(x) on a linear-Gaussian model, where log p(x) is known exactly."""

import math

import pyro
import pyro.distributions as dist
import pytest
import torch

from inference.diagnostics import elbo_decomposition, importance_log_likelihood, pareto_k


def test_exact_posterior_guide_gives_the_exact_evidence_with_equal_weights(lg, data):
    out = importance_log_likelihood(lg.model, lg.exact_guide, data, 1000, 250, seed=0,
                                    return_log_weights=True)
    exact = lg.log_evidence(data)
    # Every weight is p(x, z) / p(z | x) = p(x): exact up to float64 round-off.
    torch.testing.assert_close(out.log_likelihood, exact, rtol=0, atol=1e-10)
    assert out.log_weights.shape == (len(data), 1000)
    spread = out.log_weights.amax(1) - out.log_weights.amin(1)
    assert torch.all(spread < 1e-10)
    torch.testing.assert_close(out.ess, torch.full_like(out.ess, 1000.0))
    # Weights constant up to round-off have no heavy tail.
    assert torch.all(out.pareto_k < 0.5) and torch.all(out.reliable)


def test_converges_to_the_exact_evidence_within_its_standard_error(lg, data):
    # Mean-field guide, 1.5x wider than the posterior marginals: the weights are bounded,
    # so their variance is finite, the CLT holds and the delta-method SE is trustworthy.
    guide = lg.mean_field_guide(scale=1.5)
    out = importance_log_likelihood(lg.model, guide, data, 5000, seed=0)
    exact = lg.log_evidence(data)
    assert torch.all(out.pareto_k < 0.5)
    # E[log p-hat] = log p(x) - SE^2 / 2 + O(1/K^2): allow that bias on top of 5 SE (a
    # chance failure has probability 6e-7 per datum).
    assert torch.all((out.log_likelihood - exact).abs() < 5 * out.stderr + out.stderr**2)
    assert torch.all(out.stderr < 0.05)


def test_reported_standard_error_matches_the_spread_of_repeated_estimates(lg, data):
    guide = lg.mean_field_guide(scale=1.5)
    runs = [importance_log_likelihood(lg.model, guide, data[:4], 200, seed=s) for s in range(40)]
    estimates = torch.stack([r.log_likelihood for r in runs])
    reported = torch.stack([r.stderr for r in runs]).mean(0)
    # 40 runs estimate an sd to about +-11 % (1 / sqrt(2 * 39)); allow a factor 1.5.
    ratio = estimates.std(0) / reported
    assert torch.all((ratio > 1 / 1.5) & (ratio < 1.5)), ratio


def test_a_much_too_narrow_guide_has_large_pareto_k(lg, data):
    guide = lg.mean_field_guide(scale=0.1)
    out = importance_log_likelihood(lg.model, guide, data, 2000, seed=0)
    assert torch.all(out.pareto_k > 0.7), out.pareto_k
    assert not torch.any(out.reliable)
    assert out.summary()["fraction_reliable"] == 0.0


def test_elbo_below_iwae_k_below_iwae_larger_k_below_evidence(linear_gaussian):
    lg = linear_gaussian()
    x = lg.sample_data(100)
    guide = lg.mean_field_guide(shift=0.5, scale=0.7)
    elbo = elbo_decomposition(lg.model, guide, x, 100, seed=0, vectorize_particles=True)
    iwae = {k: importance_log_likelihood(lg.model, guide, x, k, seed=k).mean
            for k in (1, 10, 100)}
    # The gaps here are about 2 nats each, against Monte Carlo noise of the averages over
    # 100 data points of about 0.1 nats.
    assert elbo.mean_elbo < iwae[10] < iwae[100] < lg.log_evidence(x).mean().item()
    assert iwae[1] < iwae[10]
    assert abs(iwae[1] - elbo.mean_elbo) < 0.5


def test_chunk_size_reproduces_with_its_seed_and_never_changes_the_estimate(lg, data):
    guide = lg.mean_field_guide(scale=1.5)
    whole = importance_log_likelihood(lg.model, guide, data, 3000, 3000, seed=0)
    chunked = importance_log_likelihood(lg.model, guide, data, 3000, 700, seed=0)
    again = importance_log_likelihood(lg.model, guide, data, 3000, 700, seed=0)
    assert torch.equal(chunked.log_likelihood, again.log_likelihood)
    assert torch.equal(chunked.stderr, again.stderr)
    # Whether another chunk size reuses the same draws is torch's sampler's detail (on
    # AVX-512 CPUs blocks of 16 continue one stream, elsewhere not), so nothing is said of it.
    # Either way each estimate is within its SE of log p(x): if the draws are independent the
    # difference has SD sqrt(se1^2 + se2^2); if they are shared it is smaller. 5 combined SEs
    # fail by chance with probability below 6e-7 per datum.
    combined = (whole.stderr**2 + chunked.stderr**2).sqrt()
    assert torch.all((whole.log_likelihood - chunked.log_likelihood).abs() < 5 * combined)


def test_no_pass_holds_more_than_a_chunk_of_particles(lg, data):
    seen = []

    def model(x):
        with pyro.plate("data", len(x)):
            z = pyro.sample("z", dist.Normal(torch.zeros(2, dtype=x.dtype), 1.0).to_event(1))
            seen.append(z.shape)
            pyro.sample("x", dist.Normal(z @ lg.W.T + lg.b, lg.noise).to_event(1), obs=x)

    out = importance_log_likelihood(model, lg.mean_field_guide(), data, 1000, 300, seed=0,
                                    return_log_weights=True)
    assert seen[0] == (len(data), 2)  # finding the sites: one unvectorised pass
    assert [s[0] for s in seen[1:]] == [300, 300, 300, 100]
    assert out.log_weights.shape == (len(data), 1000)
    # The running log-sum-exp equals the one over all kept weights.
    torch.testing.assert_close(out.log_likelihood,
                               out.log_weights.logsumexp(1) - math.log(1000))
    w = (out.log_weights - out.log_weights.amax(1, keepdim=True)).exp()
    torch.testing.assert_close(out.ess, w.sum(1) ** 2 / (w**2).sum(1))


def test_seed_leaves_the_global_rng_alone_and_options(lg, data):
    state = torch.get_rng_state()
    out = importance_log_likelihood(lg.model, lg.mean_field_guide(), data, 50, seed=3,
                                    compute_pareto_k=False)
    assert torch.equal(torch.get_rng_state(), state)
    assert out.pareto_k is None and out.log_weights is None and torch.all(out.reliable)
    assert out.summary()["max_pareto_k"] is None and out.summary()["num_samples"] == 50


def test_pareto_k_edge_cases():
    assert torch.all(pareto_k(torch.zeros(3, 1)) == math.inf)  # one draw: no tail
    assert torch.all(pareto_k(torch.randn(3, 10)) == math.inf)  # too few for a tail fit
    assert torch.all(pareto_k(torch.full((2, 100), -3.0)) == -math.inf)  # exact weights
    # Weights |Cauchy| have tail index 1: k = 1.
    g = torch.Generator().manual_seed(0)
    heavy = torch.randn(2, 4000, generator=g).div(torch.randn(2, 4000, generator=g)).abs().log()
    assert torch.all(pareto_k(heavy) > 0.7)
    with pytest.raises(ValueError, match="log_weights"):
        pareto_k(torch.zeros(5))


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_samples=0), "num_samples"),
    (dict(chunk_size=0), "chunk_size"),
    (dict(chunk_size=2.5), "chunk_size"),
    (dict(seed=1.0), "seed"),
    (dict(return_log_weights=1), "return_log_weights"),
    (dict(compute_pareto_k=None), "compute_pareto_k"),
    (dict(fast_likelihood=1), "fast_likelihood"),
    (dict(autocast=torch.int8), "autocast"),
    (dict(x=torch.tensor(1.0)), "x must be"),
    (dict(observed_site="y"), "observed_site"),
])
def test_bad_input_is_refused(lg, data, kwargs, match):
    args = dict(model=lg.model, guide=lg.mean_field_guide(), x=data, num_samples=10) | kwargs
    with pytest.raises(ValueError, match=match):
        importance_log_likelihood(**args)


def test_an_exact_guide_is_reliable_at_small_k(lg, data):
    # At K = 50 the weights p(x, z) / p(z | x) agree to ~1e-14, not bitwise; a Pareto fit to
    # that round-off used to report k = inf for some data, flagging exact estimates.
    out = importance_log_likelihood(lg.model, lg.exact_guide, data, 50, seed=0)
    assert torch.all(out.pareto_k == -math.inf) and torch.all(out.reliable)
    # A genuine spread far above round-off is still fitted.
    assert torch.all(torch.isfinite(pareto_k(torch.randn(3, 200, dtype=torch.float64))))


@pytest.mark.parametrize("chunk_size, batch_size", [(40, None), (120, 1), (7, 2)])
def test_the_fast_bernoulli_likelihood_equals_the_reference(chunk_size, batch_size):
    # Same seed, same chunks, same draws: x . logits - sum softplus(logits) in place of
    # Bernoulli.log_prob changes the estimate by float round-off only.
    from ppl_models.vae import VAE

    torch.manual_seed(0)
    vae = VAE((1, 4, 4), 3, hidden=(8,))
    with torch.no_grad():  # logits of a few units, as a trained decoder gives
        for p in vae.parameters():
            p.mul_(3)
    x = torch.bernoulli(torch.full((5, 1, 4, 4), 0.3))
    out = {fast: importance_log_likelihood(
        vae.model, vae.guide, x, 120, chunk_size, seed=1, batch_size=batch_size,
        return_log_weights=True, fast_likelihood=fast) for fast in (False, True)}
    torch.testing.assert_close(out[True].log_likelihood, out[False].log_likelihood,
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(out[True].log_weights, out[False].log_weights,
                               atol=1e-4, rtol=0)
    torch.testing.assert_close(out[True].pareto_k, out[False].pareto_k, atol=1e-3, rtol=0)


def test_bf16_autocast_changes_the_estimate_only_by_its_precision():
    # The networks' products in bf16 (three significant digits), the log-densities in
    # float32 from float32 parameters: the same draws, scored a little differently.
    from ppl_models.vae import VAE

    torch.manual_seed(0)
    vae = VAE((1, 4, 4), 3, hidden=(8,))
    x = torch.bernoulli(torch.full((5, 1, 4, 4), 0.3))
    out = {dtype: importance_log_likelihood(vae.model, vae.guide, x, 200, 100, seed=1,
                                            batch_size=1, autocast=dtype)
           for dtype in (None, torch.bfloat16)}
    assert out[torch.bfloat16].log_likelihood.dtype == torch.float64
    torch.testing.assert_close(out[torch.bfloat16].log_likelihood, out[None].log_likelihood,
                               atol=0.05, rtol=0)
    assert not torch.equal(out[torch.bfloat16].log_likelihood, out[None].log_likelihood)
