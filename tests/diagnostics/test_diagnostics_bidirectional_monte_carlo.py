"""Bidirectional Monte Carlo on the linear-Gaussian model (``conftest.py``), whose log p(x) is
closed form: forward AIS below it, reverse AIS above it, the gap closing with more steps."""

import pyro.distributions as dist
import torch

from inference.diagnostics import bidirectional_monte_carlo

SETTINGS = dict(num_chains=16, leapfrog_steps=10, initial_step_size=0.1, seed=0)


def decoder_of(lg):
    return lambda z: dist.Normal(z @ lg.W.T + lg.b, lg.noise).to_event(1)


def prior_of(lg):
    return dist.Normal(torch.zeros(lg.latent_dim, dtype=torch.float64), 1.0).to_event(1)


def test_the_bounds_bracket_the_closed_form_and_the_gap_shrinks_with_more_steps(lg):
    runs = {t: bidirectional_monte_carlo(decoder_of(lg), prior_of(lg), 24, num_steps=t,
                                         **SETTINGS) for t in (4, 40, 200)}
    gaps = []
    for t, run in runs.items():
        exact = lg.log_evidence(run.x)
        lower, upper = run.lower.log_likelihood, run.upper.log_likelihood
        # Each bound holds in expectation; a single datum's estimate can cross the exact
        # value by its own noise, which the delta-method SE measures (4 SE: 6e-5 per datum
        # if the SE is right).
        assert torch.all(lower < exact + 4 * run.lower.stderr + 1e-9), t
        assert torch.all(upper > exact - 4 * run.upper.stderr - 1e-9), t
        if t < 200:
            # Averaged over the 24 data the bias (-0.38 and -0.06 nats below, +1.4 and +0.2
            # above, seed 0) dwarfs the noise of the averages (SE / sqrt(24) = 0.13 and 0.06
            # at most); at 200 steps both biases are within that noise (+0.01 and +0.05).
            assert run.lower.mean < exact.mean().item() < run.upper.mean, t
        gaps.append(run.gap.mean().item())
    # Measured (seed 0): 1.81, 0.27 and 0.045 nats.
    assert gaps[0] > 3 * gaps[1] > 0 and gaps[1] > 3 * abs(gaps[2]), gaps
    assert abs(gaps[2]) < 0.1, gaps


def test_simulated_pairs_and_the_replayed_step_sizes(lg):
    run = bidirectional_monte_carlo(decoder_of(lg), prior_of(lg), 5, num_steps=6, **SETTINGS)
    assert run.z.shape == (5, 2) and run.x.shape == (5, 5)
    assert run.lower.bound == "lower" and run.upper.bound == "upper"
    # The reverse run makes the forward transitions in reverse order.
    assert torch.equal(run.upper.step_sizes, run.lower.step_sizes.flip(0))
    summary = run.summary()
    assert summary["n"] == 5 and summary["num_steps"] == 6
    assert abs(summary["gap"] - (summary["upper"] - summary["lower"])) < 1e-9
