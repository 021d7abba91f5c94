"""A linear-Gaussian latent model, whose evidence and posterior are known in closed form.

    z ~ N(0, I_L),  x | z ~ N(W z + b, s^2 I_D)
    p(x) = N(x; b, W W^T + s^2 I)
    p(z | x) = N(S W^T (x - b) / s^2, S),  S = (I + W^T W / s^2)^-1
"""

import pyro
import pyro.distributions as dist
import pytest
import torch


class LinearGaussian:
    def __init__(self, data_dim=5, latent_dim=2, noise=0.5, seed=0, dead_dims=()):
        g = torch.Generator().manual_seed(seed)
        self.W = torch.randn(data_dim, latent_dim, generator=g, dtype=torch.float64)
        # A zero column makes that latent dimension irrelevant to x: its posterior is the
        # prior, so it is an inactive unit with zero KL.
        self.W[:, list(dead_dims)] = 0.0
        self.b = torch.randn(data_dim, generator=g, dtype=torch.float64)
        self.noise = noise
        self.latent_dim = latent_dim

    def model(self, x):
        with pyro.plate("data", len(x)):
            z = pyro.sample("z", dist.Normal(torch.zeros(self.latent_dim, dtype=x.dtype), 1.0)
                            .to_event(1))
            pyro.sample("x", dist.Normal(z @ self.W.T + self.b, self.noise).to_event(1), obs=x)

    def posterior(self, x):
        precision = torch.eye(self.latent_dim, dtype=x.dtype) + self.W.T @ self.W / self.noise**2
        cov = torch.linalg.inv(precision)
        return (x - self.b) @ self.W @ cov / self.noise**2, cov

    def mean_field_guide(self, shift=0.0, scale=1.0):
        """Linear in x: the exact posterior's mean (+ shift) and marginal sd (x scale)."""

        def guide(x):
            mean, cov = self.posterior(x)
            with pyro.plate("data", len(x)):
                pyro.sample("z", dist.Normal(mean + shift, scale * cov.diagonal().sqrt())
                            .to_event(1))

        return guide

    def exact_guide(self, x):
        mean, cov = self.posterior(x)
        with pyro.plate("data", len(x)):
            pyro.sample("z", dist.MultivariateNormal(mean, covariance_matrix=cov))

    def log_evidence(self, x):
        cov = self.W @ self.W.T + self.noise**2 * torch.eye(len(self.b), dtype=x.dtype)
        return dist.MultivariateNormal(self.b, covariance_matrix=cov).log_prob(x)

    def sample_data(self, n, seed=1):
        g = torch.Generator().manual_seed(seed)
        z = torch.randn(n, self.latent_dim, generator=g, dtype=torch.float64)
        noise = torch.randn(n, len(self.b), generator=g, dtype=torch.float64)
        return z @ self.W.T + self.b + self.noise * noise


@pytest.fixture
def lg():
    return LinearGaussian()


@pytest.fixture
def data(lg):
    return lg.sample_data(12)


@pytest.fixture
def linear_gaussian():
    """The class, for tests that need their own sizes."""
    return LinearGaussian
