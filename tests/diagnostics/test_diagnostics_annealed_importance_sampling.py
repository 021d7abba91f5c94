"""Annealed importance sampling on a linear-Gaussian model, whose log p(x) is closed form.

    z ~ N(0, I_2),  x | z ~ N(W z + b, 0.5^2 I_5),  p(x) = N(x; b, W W^T + 0.5^2 I)

(the ``lg`` fixture of ``conftest.py``).
"""

import importlib

import pyro.distributions as dist
import torch
from pyro.ops.integrator import velocity_verlet

from inference.diagnostics import annealed_importance_sampling, hmc_transition
from inference.diagnostics.seeded import seeded

# The module, not the function the package exports under the same name.
hmc_module = importlib.import_module("inference.diagnostics.hmc_transition")

# Enough annealing that the chains' weights are of one size (ESS above K / 2 for every datum
# here), so the delta-method standard error is trustworthy (about 0.1 nats); 1.5 s on one core.
SETTINGS = dict(num_chains=64, num_steps=200, leapfrog_steps=10, initial_step_size=0.1,
                seed=0)


def decoder_of(lg):
    return lambda z: dist.Normal(z @ lg.W.T + lg.b, lg.noise).to_event(1)


def prior_of(lg):
    return dist.Normal(torch.zeros(lg.latent_dim, dtype=torch.float64), 1.0).to_event(1)


def matches_closed_form(out, exact) -> bool:
    # E[log p-hat] = log p(x) - SE^2 / 2 + O(1/K^2) (the delta method on the log of a mean):
    # allow that bias on top of 4 SE per datum (a chance failure has probability 6e-5 per
    # datum, 8e-4 for the 12 data), and require the SE to be small enough that a biased
    # sampler cannot hide behind it (at these settings it is at most 0.11 nats; a wrong sign
    # in the kinetic energy is off by 2 nats with an SE of 0.07).
    close = (out.log_likelihood - exact).abs() < 4 * out.stderr + out.stderr**2
    return bool(torch.all(close) and torch.all(out.stderr < 0.2))


def test_matches_the_closed_form_evidence_within_its_standard_error(lg, data):
    out = annealed_importance_sampling(decoder_of(lg), prior_of(lg), data, **SETTINGS)
    assert matches_closed_form(out, lg.log_evidence(data))
    assert torch.all(out.ess > 32)
    assert out.bound == "lower" and out.num_chains == 64 and out.num_steps == 200
    assert out.log_weights.shape == (12, 64) and out.ess.shape == (12,)
    assert out.acceptance.shape == out.step_sizes.shape == (199, 12)
    # The adaptation reaches its target: the last transitions accept about 65 % of the time.
    assert torch.all((out.acceptance[-50:].mean(0) > 0.5) & (out.acceptance[-50:].mean(0) < 0.8))


def test_same_seed_reproduces_and_leaves_the_global_rng_alone(lg, data):
    state = torch.get_rng_state()
    a = annealed_importance_sampling(decoder_of(lg), prior_of(lg), data[:3], num_chains=4,
                                     num_steps=5, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    b = annealed_importance_sampling(decoder_of(lg), prior_of(lg), data[:3], num_chains=4,
                                     num_steps=5, seed=3)
    assert torch.equal(a.log_weights, b.log_weights)


def no_metropolis(z, potential, step_size, leapfrog_steps):
    """HMC without the accept/reject step: every leapfrog proposal is taken."""
    def total(sites):
        return potential(sites["z"]).sum()

    r = torch.randn_like(z)
    with torch.enable_grad():
        z_new, _, _, _ = velocity_verlet({"z": z}, {"z": r}, total, hmc_module.kinetic_grad,
                                         step_size.reshape(-1, 1), leapfrog_steps)
    return z_new["z"].detach(), torch.ones(z.shape[:2], dtype=z.dtype)


def test_a_transition_without_metropolis_correction_fails_the_closed_form(lg, data):
    out = annealed_importance_sampling(decoder_of(lg), prior_of(lg), data, **SETTINGS,
                                       transition=no_metropolis)
    assert not matches_closed_form(out, lg.log_evidence(data))


def test_a_wrong_sign_in_the_kinetic_energy_fails_the_closed_form(lg, data, monkeypatch):
    monkeypatch.setattr(hmc_module, "kinetic_energy", lambda r: -0.5 * r.pow(2).sum(-1))
    out = annealed_importance_sampling(decoder_of(lg), prior_of(lg), data, **SETTINGS)
    assert not matches_closed_form(out, lg.log_evidence(data))


def test_one_intermediate_distribution_is_importance_sampling_from_the_prior(lg, data):
    out = annealed_importance_sampling(decoder_of(lg), prior_of(lg), data, num_chains=500,
                                       num_steps=1, seed=7)
    with seeded(7):
        z = prior_of(lg).sample((500, len(data)))
    log_w = decoder_of(lg)(z).log_prob(data)  # (K, N)
    torch.testing.assert_close(out.log_weights, log_w.T, rtol=0, atol=1e-12)
    expected = log_w.logsumexp(0) - torch.log(torch.tensor(500.0, dtype=torch.float64))
    torch.testing.assert_close(out.log_likelihood, expected, rtol=0, atol=1e-12)
    assert out.acceptance.shape == (0, len(data)) and out.step_sizes.shape == (0, len(data))


def test_the_default_transition_is_hmc(lg, data):
    # Passing the default explicitly changes nothing.
    kwargs = dict(num_chains=4, num_steps=5, seed=1)
    a = annealed_importance_sampling(decoder_of(lg), prior_of(lg), data, **kwargs)
    b = annealed_importance_sampling(decoder_of(lg), prior_of(lg), data, **kwargs,
                                     transition=hmc_transition)
    assert torch.equal(a.log_likelihood, b.log_likelihood)
