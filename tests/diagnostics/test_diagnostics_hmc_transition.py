"""One HMC transition leaves its target invariant, chain by chain and image by image."""

import torch

from inference.diagnostics import hmc_transition


def test_chains_started_in_a_gaussian_target_stay_distributed_as_it():
    # Target per image i: N(mu_i, s_i^2 I_2), different for each of 3 images.
    mu = torch.tensor([[0.0, 0.0], [3.0, -1.0], [-2.0, 5.0]], dtype=torch.float64)
    s = torch.tensor([1.0, 0.3, 2.0], dtype=torch.float64).reshape(3, 1)

    def potential(z):
        return 0.5 * (((z - mu) / s) ** 2).sum(-1)

    torch.manual_seed(0)
    z = mu + s * torch.randn(4000, 3, 2, dtype=torch.float64)  # exact draws of the target
    step = 0.5 * s.reshape(3)
    accepted = []
    for _ in range(5):
        z, accept = hmc_transition(z, potential, step, 5)
        accepted.append(accept.mean(0))
    # 4,000 draws: the sample mean's SE is s / 63, the sample sd's about s / 89; 5 SE.
    standardized = (z - mu) / s
    assert torch.all(standardized.mean(0).abs() < 5 / 63)
    assert torch.all((standardized.std(0) - 1).abs() < 5 / 89)
    # Step sizes scaled to each image's width: every image accepts alike, most of the time.
    rates = torch.stack(accepted).mean(0)
    assert torch.all((rates > 0.8) & (rates <= 1)), rates


def test_a_diverging_proposal_is_rejected():
    def potential(z):
        return 0.5 * (z**2).sum(-1)

    z = torch.zeros(8, 2, 3)
    # A step of 10 on a unit Gaussian: leapfrog is unstable (beyond 2), energies explode.
    z_next, accept = hmc_transition(z, potential, torch.full((2,), 10.0), 20)
    assert torch.equal(z_next, z) and torch.all(accept < 1e-6)
