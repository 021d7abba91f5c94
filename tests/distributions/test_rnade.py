"""RNADE: a normalised density (quadrature), samples that follow it (goodness of fit), the
autoregressive property, and the wrong implementations these tests catch."""

import math

import numpy as np
import pytest
import scipy.stats
import torch
from pyro.distributions.testing.gof import auto_goodness_of_fit

from ppl_models.distributions import rnade as rnade_module
from ppl_models.distributions.rnade import RNADE

# gof returns a p-value; with fixed seeds a correct model gives a fixed, comfortably large
# value, and 1e-3 is the failure rate Pyro's own distribution tests use.
GOF_FAILURE = 1e-3


def randomised(dim, hidden=4, components=3, seed=0, **kwargs):
    """An RNADE with every parameter far from its start, so the mixtures are non-trivial."""
    torch.manual_seed(seed)
    model = RNADE(dim, hidden, components, **kwargs).double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.5)
    return model


def grid_integral(model, lo=-25.0, hi=25.0):
    """Trapezoid rule of exp(log p) over [lo, hi]^D (D = 1 or 2) in float64.

    In the randomised models below every mean lies in [-2, 2] and every sigma in
    [0.2, 3] (printed once when the seeds were chosen). For a smooth, fast-decaying
    integrand the trapezoid rule is exponentially accurate (for a Gaussian of width sigma
    and step h the error is ~exp(-2 pi^2 sigma^2 / h^2), < 1e-30 at h = 0.05); the mass
    beyond +-25 (over 7 sigma) is below 1e-11. So the 1e-4 tolerance is all model error.
    """
    n = 1001 if model.dim == 1 else 801
    t = torch.linspace(lo, hi, n, dtype=torch.float64)
    if model.dim == 1:
        return torch.trapezoid(model().log_prob(t[:, None]).exp(), t).item()
    xx, yy = torch.meshgrid(t, t, indexing="ij")
    p = model().log_prob(torch.stack([xx, yy], -1).reshape(-1, 2)).exp().reshape(n, n)
    return torch.trapezoid(torch.trapezoid(p, t, dim=1), t).item()


@pytest.mark.parametrize("dim,seed", [(1, 0), (1, 1), (2, 0), (2, 3)])
def test_integrates_to_one(dim, seed):
    model = randomised(dim, seed=seed)
    assert grid_integral(model) == pytest.approx(1.0, abs=1e-4)


def test_a_conditional_rnade_integrates_to_one_for_every_context():
    model = randomised(2, context_dim=3, seed=2)
    t = torch.linspace(-20, 20, 601, dtype=torch.float64)
    xx, yy = torch.meshgrid(t, t, indexing="ij")
    grid = torch.stack([xx, yy], -1).reshape(-1, 1, 2)
    context = torch.randn(3, 3, dtype=torch.float64)
    p = model(context).log_prob(grid).exp().reshape(601, 601, 3)
    mass = torch.trapezoid(torch.trapezoid(p, t, dim=1), t, dim=0)
    torch.testing.assert_close(mass, torch.ones(3, dtype=torch.float64), atol=1e-4, rtol=0)


def sample_ks(model, n=4000, seed=0):
    """Kolmogorov-Smirnov p-value of ``n`` samples of a 1-D model against the CDF its
    ``log_prob`` implies (cumulative trapezoid rule on a fine grid, see grid_integral).

    Pyro's 1-D ``density_goodness_of_fit`` (a nearest-neighbour spacing test) passed a
    mixture whose weights were softmaxed twice with p = 0.99999; KS compares the whole
    CDF and rejects it (p = 0.0 in float64).
    """
    torch.manual_seed(seed)
    x = model().sample((n,)).squeeze(-1)
    t = torch.linspace(-25, 25, 20001, dtype=torch.float64)
    pdf = model().log_prob(t[:, None]).exp().detach()
    cdf = torch.cat([pdf.new_zeros(1), torch.cumulative_trapezoid(pdf, t)])
    return scipy.stats.kstest(x.numpy(), lambda v: np.interp(v, t.numpy(),
                                                              cdf.numpy())).pvalue


def sample_gof(model, n=4000, seed=0):
    torch.manual_seed(seed)
    d = model()
    x = d.sample((n,))
    return auto_goodness_of_fit(x, d.log_prob(x).exp())


@pytest.mark.parametrize("seed", [0, 1])
def test_samples_follow_log_prob_in_1d(seed):
    assert sample_ks(randomised(1, seed=seed)) > GOF_FAILURE


@pytest.mark.parametrize("dim", [2, 3])
def test_samples_follow_log_prob(dim):
    assert sample_gof(randomised(dim, seed=dim)) > GOF_FAILURE


def test_samples_have_the_quadrature_moments():
    # Mean and variance of x_2 from 20,000 samples against quadrature of x * p(x): the
    # Monte Carlo standard error is sd / sqrt(n) (< 0.02 here), so 5 standard errors.
    model = randomised(2, seed=2)
    torch.manual_seed(0)
    x = model().sample((20_000,))
    t = torch.linspace(-20, 20, 1001, dtype=torch.float64)
    xx, yy = torch.meshgrid(t, t, indexing="ij")
    p = model().log_prob(torch.stack([xx, yy], -1).reshape(-1, 2)).exp().reshape(1001, 1001)
    mean_y = torch.trapezoid(torch.trapezoid(p * yy, t, dim=1), t).item()
    var_y = torch.trapezoid(torch.trapezoid(p * (yy - mean_y) ** 2, t, dim=1), t).item()
    se = math.sqrt(var_y / len(x))
    assert abs(x[:, 1].mean().item() - mean_y) < 5 * se
    assert x[:, 1].var().item() == pytest.approx(var_y, rel=0.05)


@pytest.mark.parametrize("order", [None, [3, 0, 4, 1, 2]])
def test_conditional_k_ignores_x_at_and_after_k(order):
    model = randomised(5, order=order, context_dim=2, seed=4)
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    context = torch.randn(3, 2, dtype=torch.float64)
    ordered = x[:, model.order]
    params = torch.cat(model.ordered_params(ordered, context), -1)  # (3, D, 3C)
    for k in range(5):
        (grad,) = torch.autograd.grad(params[:, k].sum(), x, retain_graph=True)
        grad = grad[:, model.order]  # ordered coordinates
        assert torch.all(grad[:, k:] == 0), k
        if k > 0:
            assert torch.all(grad[:, :k].abs().sum(0) > 0), k


def test_log_prob_is_the_sum_of_its_conditionals_in_the_given_order():
    model = randomised(3, order=[2, 0, 1], seed=6)
    x = torch.randn(4, 3, dtype=torch.float64)
    lp = model().log_prob(x)
    logits, mu, log_sigma = model.ordered_params(x[:, [2, 0, 1]])
    by_hand = torch.zeros(4, dtype=torch.float64)
    for k, var in enumerate([2, 0, 1]):
        mix = torch.distributions.MixtureSameFamily(
            torch.distributions.Categorical(logits=logits[:, k]),
            torch.distributions.Normal(mu[:, k], log_sigma[:, k].exp()))
        by_hand += mix.log_prob(x[:, var])
    torch.testing.assert_close(lp, by_hand)


def _softmax_twice(logits, mu, log_sigma, x):
    # A known bug class (pytorch-generative's NADE applies its sigmoid twice): the weights
    # are still a distribution, so the density integrates to 1, but not the one sampled.
    return _correct(torch.softmax(logits, -1).softmax(-1).log(), mu, log_sigma, x)


def _unnormalised(logits, mu, log_sigma, x):
    # Each component missing its -log(sigma) normaliser.
    z = (x.unsqueeze(-1) - mu) * torch.exp(-log_sigma)
    log_normal = -0.5 * z * z - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log_softmax(logits, -1) + log_normal, -1)


_correct = rnade_module.mixture_log_prob


def test_weights_softmaxed_twice_fail_the_ks_test(monkeypatch):
    # Three separated components with weights 0.87 / 0.12 / 0.01: softmax applied again
    # flattens them to about 0.45 / 0.28 / 0.27, far beyond what 4,000 samples can hide.
    model = RNADE(1, 2, 3).double()
    with torch.no_grad():
        model.V.zero_()
        model.b.copy_(torch.tensor([[2.0, 0.0, -2.0, -4.0, 0.0, 4.0, 0.0, 0.0, 0.0]]))
    assert sample_ks(model) > GOF_FAILURE
    monkeypatch.setattr(rnade_module, "mixture_log_prob", _softmax_twice)
    assert sample_ks(model) < GOF_FAILURE


def test_an_unnormalised_component_fails_quadrature(monkeypatch):
    model = randomised(1, seed=0)
    monkeypatch.setattr(rnade_module, "mixture_log_prob", _unnormalised)
    assert abs(grid_integral(model) - 1) > 0.01


@pytest.mark.parametrize("bad,match", [
    (torch.zeros(4, 3), r"shape \(\*batch, 2\)"),
    (torch.tensor([[0.0, float("nan")]]), "NaN or infinite"),
    (torch.tensor([[0.0, float("inf")]]), "NaN or infinite"),
    (torch.zeros(2, 2, dtype=torch.long), "floating"),
])
def test_bad_values_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        RNADE(2, 3, 2)().log_prob(bad)


@pytest.mark.parametrize("kwargs,match", [
    ({"dim": 0, "hidden": 3, "components": 2}, "dim"),
    ({"dim": 2, "hidden": 0, "components": 2}, "hidden"),
    ({"dim": 2, "hidden": 3, "components": 0}, "components"),
    ({"dim": 2, "hidden": 3, "components": 2, "order": [0, 0]}, "order"),
])
def test_bad_construction_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RNADE(**kwargs)


def test_context_is_checked():
    with pytest.raises(ValueError, match="context_dim=0"):
        RNADE(2, 3, 2)(torch.zeros(1, 2))
    with pytest.raises(ValueError, match="needs a context"):
        RNADE(2, 3, 2, context_dim=2)()
    with pytest.raises(ValueError, match=r"context must have shape"):
        RNADE(2, 3, 2, context_dim=2)(torch.zeros(1, 3))


def test_shapes_and_batching():
    model = RNADE(4, 5, 3, context_dim=2)
    d = model(torch.zeros(6, 2))
    assert d.batch_shape == (6,) and d.event_shape == (4,)
    assert d.sample().shape == (6, 4) and d.sample((2,)).shape == (2, 6, 4)
    assert d.log_prob(torch.zeros(6, 4)).shape == (6,)
    assert RNADE(4, 5, 3)().log_prob(torch.zeros(2, 7, 4)).shape == (2, 7)


def test_init_bias_from_data_starts_near_the_marginals():
    torch.manual_seed(0)
    x = torch.randn(2000, 3) * torch.tensor([1.0, 3.0, 0.2]) + torch.tensor([0.0, 5.0, -2.0])
    model = RNADE(3, 8, 2)
    before = model().log_prob(x).mean().item()
    model.init_bias_from_data(x)
    assert model().log_prob(x).mean().item() > before
