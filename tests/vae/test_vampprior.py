"""The VampPrior VAE (Tomczak & Welling 2018, eq. 9): p(z) = (1/K) sum_k q(z | u_k).

The prior is checked against a hand computation from the guide's own encoder, and two wrong
priors (the sum of the K densities; the mean of their logs) are shown to fail that check.
Its KL has no closed form: the rate the ELBO decomposition reads off Pyro's traces is
compared with an independent Monte Carlo estimate, and the ELBO with its terms on the same
draws. The estimators that score a VAE (IWAE, AIS) are compared with log p(x) by quadrature
on a two-dimensional code, which only the VampPrior's density gives.
"""

import math

import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro import poutine
from torch.distributions import kl_divergence
from torch.testing import assert_close

from inference.diagnostics import (
    annealed_importance_sampling,
    elbo_decomposition,
    guide_prior_kl_check,
    importance_log_likelihood,
)
from inference.persistence import load_model, save_model
from inference.training.svi_step import SVIStep
from ppl_models.vae import VAE

SHAPE = (1, 3, 3)  # 9 pixels
K = 5


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _vamp(seed=0, *, latent=3, likelihood="continuous_bernoulli", spread=1.0) -> VAE:
    """A small VampPrior VAE whose parameters are drawn from N(0, spread^2), far from their
    start, so that the K components sit apart."""
    torch.manual_seed(seed)
    vae = VAE(SHAPE, latent, hidden=(6,), likelihood=likelihood, prior="vampprior",
              num_pseudo_inputs=K)
    with torch.no_grad():
        for p in vae.parameters():
            p.normal_(0, spread)
    return vae


def _components(vae: VAE) -> tuple[torch.Tensor, torch.Tensor]:
    """``q(z | u_k)``'s mean and scale, ``(K, L)`` each, from the guide's public ``encode``
    (through a continuous-Bernoulli twin when the VAE's pixels are binary, as its own
    ``encode`` refuses grey levels; the networks do not depend on the likelihood)."""
    twin = VAE(**{**vae.config, "likelihood": "continuous_bernoulli"})
    twin.load_state_dict(vae.state_dict())
    with torch.no_grad():
        return twin.encode(twin.pseudo_inputs)


def _hand_log_prior(vae: VAE, z: torch.Tensor) -> torch.Tensor:
    r""":math:`\log \frac{1}{K} \sum_k \prod_l \mathcal{N}(z_l; \mu_{kl}, \sigma_{kl})`, in
    float64, from the guide's encoder at the pseudo-inputs, written out: the Gaussian's
    formula, then the log of the mean of the K densities (shifted by their largest, so
    that none underflows)."""
    loc, scale = (t.double() for t in _components(vae))  # (K, L)
    z = z.double()[:, None, :]  # (M, 1, L)
    log_n = (-0.5 * ((z - loc) / scale) ** 2 - scale.log()
             - 0.5 * math.log(2 * math.pi)).sum(-1)  # (M, K)
    top = log_n.max(-1).values
    return top + (log_n - top[:, None]).exp().mean(-1).log()


def _matches_hand(log_prob: torch.Tensor, hand: torch.Tensor) -> bool:
    # float32 encoder outputs against a float64 sum: 1e-4 nats is ~100x the round-off.
    return torch.allclose(log_prob.double(), hand, rtol=0, atol=1e-4)


def _points(vae: VAE, m: int = 40) -> torch.Tensor:
    """Codes near the components (where the mixture's terms differ) and far out."""
    loc, scale = _components(vae)
    with torch.no_grad():
        g = torch.Generator().manual_seed(1)
        near = loc[torch.arange(m) % K] + scale[torch.arange(m) % K] * torch.randn(
            m, vae.latent_dim, generator=g)
    return torch.cat([near, 3 * torch.randn(4, vae.latent_dim, generator=g)])


def test_log_prob_is_the_log_mean_of_the_encoder_densities_at_the_pseudo_inputs():
    vae = _vamp()
    prior = vae.prior_distribution()
    assert prior.batch_shape == () and prior.event_shape == (3,)
    z = _points(vae)
    hand = _hand_log_prior(vae, z)
    assert _matches_hand(prior.log_prob(z), hand)
    # The model's site "z" is that distribution (what every estimator reads).
    trace = poutine.trace(poutine.condition(vae.model, {"z": z[:6]})).get_trace(
        torch.rand(6, *SHAPE))
    trace.compute_log_prob()
    assert _matches_hand(trace.nodes["z"]["log_prob"], hand[:6])


def test_wrong_mixtures_fail_the_hand_check():
    # The check above must be able to fail: the sum of the K densities (log-sum-exp, no
    # 1/K; off by log K = 1.61 everywhere) and the mean of their logs (the log of a
    # geometric mean; off by the Jensen gap, large where one component dominates).
    vae = _vamp()
    z = _points(vae)
    hand = _hand_log_prior(vae, z)
    loc, scale = _components(vae)
    with torch.no_grad():
        each = dist.Normal(loc, scale).to_event(1).log_prob(z[:, None, :])  # (M, K)
    summed, mean_of_logs = each.logsumexp(-1), each.mean(-1)
    assert not _matches_hand(summed, hand)
    assert not _matches_hand(mean_of_logs, hand)
    assert (summed.double() - hand).abs().min() > 1.6  # log 5
    assert (hand - mean_of_logs.double()).max() > 10


def test_rate_agrees_with_an_independent_monte_carlo_kl():
    # KL(q(z|x) || p(z)) has no closed form: kl_check refuses it rather than guess.
    vae = _vamp(1, latent=2, spread=0.5)
    x = torch.rand(2, *SHAPE, generator=torch.Generator().manual_seed(2))
    with pytest.raises(ValueError, match="no closed-form KL"):
        guide_prior_kl_check(vae.model, vae.guide, x, 10, seed=0)
    s = 4000
    dec = elbo_decomposition(vae.model, vae.guide, x, s, seed=0, vectorize_particles=True)
    # By hand, other draws: z = mu + sigma * eps, log q by the formula, log p as above.
    with torch.no_grad():
        loc, scale = vae.encode(x)
    eps = torch.randn(s, *loc.shape, generator=torch.Generator().manual_seed(3),
                      dtype=torch.float64)
    z = loc.double() + scale.double() * eps
    log_q = (-0.5 * eps ** 2 - scale.double().log() - 0.5 * math.log(2 * math.pi)).sum(-1)
    log_p = _hand_log_prior(vae, z.reshape(-1, 2)).reshape(s, 2)
    ratio = log_q - log_p
    hand, hand_se = ratio.mean(0), ratio.std(0) / math.sqrt(s)
    # The decomposition's estimate has the same standard error (same s, same integrand),
    # so the difference's is sqrt(2) times it. Measured: KLs 0.28 and 3.72 nats, SEs
    # 0.009 and 0.029 nats; the two estimates differ by 0.5 and 0.7 combined SEs.
    se = hand_se * math.sqrt(2)
    assert ((dec.rate.double() - hand).abs() < 4 * se).all(), (dec.rate, hand, se)
    assert dec.kl_per_dim is None and dec.analytic_rate is None  # no per-dimension split
    # The standard normal's closed-form KL, what a prior-blind diagnostic would report,
    # is 1.73 and 0.58 nats away (140 and 14 combined SEs): the comparison can fail.
    standard = kl_divergence(dist.Normal(loc, scale).to_event(1),
                             dist.Normal(torch.zeros(2), 1.0).to_event(1)).double()
    assert ((standard - hand).abs() > 8 * se).all()


def test_elbo_is_expected_log_likelihood_minus_kl_on_the_same_draws():
    vae = _vamp(latent=2, likelihood="bernoulli")
    x = torch.bernoulli(torch.full((4, *SHAPE), 0.4), generator=torch.Generator().manual_seed(4))
    with torch.random.fork_rng():
        torch.manual_seed(5)
        z = poutine.trace(vae.guide).get_trace(x).nodes["z"]["value"]
    with torch.no_grad():
        log_lik = vae.decode(z).log_prob(x).double()
        loc, scale = vae.encode(x)
        log_q = dist.Normal(loc, scale).to_event(1).log_prob(z).double()
    log_p = _hand_log_prior(vae, z)
    kl = log_q - log_p
    dec = elbo_decomposition(vae.model, vae.guide, x, 1, seed=5)
    assert_close(dec.distortion.double(), -log_lik, rtol=0, atol=1e-4)
    assert_close(dec.rate.double(), kl, rtol=0, atol=1e-4)
    assert_close(dec.elbo.double(), log_lik - kl, rtol=0, atol=1e-4)
    # Pyro's Trace_ELBO on the same draw is minus their sum.
    with torch.random.fork_rng():
        torch.manual_seed(5)
        loss = pyro.infer.Trace_ELBO().loss(vae.model, vae.guide, x)
    assert loss == pytest.approx(-(log_lik - kl).sum().item(), abs=1e-3)


def _prototypes(n: int, seed: int = 6) -> torch.Tensor:
    """``n`` images: 4 random binary prototypes, each pixel flipped with probability 0.05."""
    g = torch.Generator().manual_seed(seed)
    prototypes = torch.bernoulli(torch.full((4, *SHAPE), 0.5), generator=g)
    flips = torch.bernoulli(torch.full((n, *SHAPE), 0.05), generator=g)
    return (prototypes[torch.arange(n) % 4] - flips).abs()


def test_iwae_and_ais_read_the_vampprior():
    # A VAE with a 2-D code, trained for 100 updates on noisy prototypes so that the code
    # carries them (and the guide is a fair proposal), scored against log p(x) =
    # log int p(x|z) p(z) dz by quadrature: a 601 x 601 grid over [-15, 15]^2 (step 0.05;
    # halving it moves log p(x) by less than 1e-5 nats).
    torch.manual_seed(1)
    vae = VAE(SHAPE, 2, hidden=(8,), prior="vampprior", num_pseudo_inputs=K)
    data = _prototypes(32)
    step = SVIStep(vae, lr=0.05)
    for _ in range(100):
        step.train_step(data)
    x = data[:4]
    line = torch.linspace(-15, 15, 601, dtype=torch.float64)
    grid = torch.cartesian_prod(line, line).float()
    log_area = 2 * math.log(line[1] - line[0])
    with torch.no_grad():
        log_lik = vae.decode(grid).log_prob(x[:, None]).double()  # (4, G)
        exact = (log_lik + vae.prior_distribution().log_prob(grid).double()).logsumexp(-1)
        standard = (log_lik + dist.Normal(0.0, 1.0).log_prob(grid).sum(-1)).logsumexp(-1)
    exact, standard = exact + log_area, standard + log_area
    iw = importance_log_likelihood(vae.model, vae.guide, x, 1000, seed=0)
    decoder, prior = vae.decoder_and_prior()
    ais = annealed_importance_sampling(decoder, prior, x, num_chains=64, num_steps=30,
                                       initial_step_size=0.05, seed=0)
    # Each estimate within 4 of its own standard errors (plus 0.01 nats for the
    # quadrature) of log p(x). Measured: IWAE-1000 (Pareto k-hat -0.36..0.48, below 0.7 as
    # it must be for the SE to mean anything) SEs 0.003-0.016 nats, gaps 0.012 at most;
    # AIS (64 chains, 30 steps) SEs 0.12-0.21 nats, gaps over chain seeds 0-3 0.31 nats
    # (1.5 SEs) at most.
    assert (iw.pareto_k < 0.7).all()
    for estimate in (iw, ais):
        gap = (estimate.log_likelihood.double() - exact).abs()
        assert (gap < 4 * estimate.stderr.double() + 0.01).all(), (gap, estimate.stderr)
    # Both checks fail a prior-blind estimator: under N(0, I) in place of the VampPrior,
    # log p(x) of the first image moves by 3.4 nats (measured), 16 of AIS's SEs.
    assert (standard - exact).abs().max() > 2


def test_sampling_draws_codes_from_the_mixture():
    vae = _vamp(latent=2)
    torch.manual_seed(7)
    z = vae.prior_distribution().sample((4000,))
    loc, scale = _components(vae)
    # The mixture's mean is the components' mean. Measured variances 0.14 and 1.22, so
    # the SEs of the sample means are 0.006 and 0.018; 0.08 is over 4 of either.
    assert_close(z.mean(0), loc.mean(0), rtol=0, atol=0.08)
    assert vae.sample(6).shape == (6, *SHAPE)
    draws = pyro.infer.Predictive(vae.model, num_samples=2)(None, num_samples=3)
    assert draws["z"].shape == (2, 3, 2) and draws["x"].shape == (2, 3, *SHAPE)


def test_plain_pyro_svi_trains_the_pseudo_inputs():
    pyro.clear_param_store()
    vae = _vamp(likelihood="bernoulli")
    before = vae.pseudo_inputs.detach().clone()
    x = torch.bernoulli(torch.full((16, *SHAPE), 0.3), generator=torch.Generator().manual_seed(8))
    svi = pyro.infer.SVI(vae.model, vae.guide, pyro.optim.Adam({"lr": 0.05}),
                         pyro.infer.Trace_ELBO())
    for _ in range(5):
        svi.step(x)
    after = vae.pseudo_inputs.detach()
    assert not torch.equal(before, after)
    assert ((after > 0) & (after < 1)).all()  # still grey levels
    assert "pseudo_inputs_unconstrained" in dict(vae.named_parameters())


def test_meanfield_is_refused_before_anything_moves():
    vae = _vamp(likelihood="bernoulli")
    x = torch.bernoulli(torch.full((8, *SHAPE), 0.3), generator=torch.Generator().manual_seed(9))
    before = [p.detach().clone() for p in vae.parameters()]
    step = SVIStep(vae, objective="meanfield")
    with pytest.raises(ValueError, match=r"objective='meanfield'.*site 'z'.*EqualNormalMixture"):
        step.train_step(x)
    assert all(torch.equal(a, b) for a, b in zip(before, vae.parameters(), strict=True))
    assert step.num_updates == 0
    # The standard prior keeps its analytic KL; the VampPrior trains on the trace ELBO.
    torch.manual_seed(0)
    SVIStep(VAE(SHAPE, 2, hidden=(6,)), objective="meanfield").train_step(x)
    SVIStep(vae, objective="trace").train_step(x)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10", None])
def test_bad_num_pseudo_inputs_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match="num_pseudo_inputs must be a positive int"):
        VAE(SHAPE, 2, prior="vampprior", num_pseudo_inputs=bad)


def test_bad_prior_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"prior must be one of \('standard', 'vampprior'\)"):
        VAE(SHAPE, 2, prior="vamp")


def test_the_standard_prior_is_unchanged():
    # Same weights from the same seed whatever num_pseudo_inputs says, no pseudo-inputs,
    # and p(z) = N(0, I).
    torch.manual_seed(0)
    a = VAE(SHAPE, 2, hidden=(6,))
    torch.manual_seed(0)
    b = VAE(SHAPE, 2, hidden=(6,), prior="standard", num_pseudo_inputs=7)
    assert a.state_dict().keys() == b.state_dict().keys()
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())
    assert not any("pseudo" in k for k in a.state_dict())
    z = torch.randn(5, 2)
    assert_close(a.prior_distribution().log_prob(z), dist.Normal(0.0, 1.0).log_prob(z).sum(-1))
    assert_close(a.decoder_and_prior()[1].log_prob(z), a.prior_distribution().log_prob(z))


def test_a_saved_vampprior_vae_reloads(tmp_path):
    vae = _vamp(likelihood="bernoulli")
    save_model(tmp_path / "model.pt", vae)
    loaded, _ = load_model(tmp_path / "model.pt")
    assert loaded.config == vae.config
    assert loaded.config["prior"] == "vampprior" and loaded.config["num_pseudo_inputs"] == K
    z = _points(vae)
    assert_close(loaded.prior_distribution().log_prob(z), vae.prior_distribution().log_prob(z))
