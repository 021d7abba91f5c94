"""The GAN game checked on explicit densities, and its losses on hand-computed cases."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from inference.objectives.adversarial import (
    LOSSES,
    MINIMUM_VALUE,
    discriminator_loss,
    game_value,
    generator_loss,
    gradient_penalty,
    jensen_shannon,
    minimax_discriminator_loss,
    minimax_generator_loss,
    non_saturating_generator_loss,
    optimal_discriminator,
    r1_penalty,
)

F64 = torch.float64


# -- D* and the value on explicit distributions ------------------------------------------

def test_optimal_discriminator_by_hand():
    p = torch.tensor([0.5, 0.25, 0.25, 0.0], dtype=F64)
    q = torch.tensor([0.25, 0.25, 0.0, 0.5], dtype=F64)
    assert_close(optimal_discriminator(p, q), torch.tensor([2 / 3, 0.5, 1.0, 0.0], dtype=F64))
    # Off both supports D* is arbitrary; it is 0.5 and never NaN.
    assert optimal_discriminator(torch.zeros(2, dtype=F64), torch.zeros(2, dtype=F64)).eq(
        0.5).all()


def _categoricals(seed, k=7, batch=20):
    g = torch.Generator().manual_seed(seed)
    p = torch.rand(batch, k, generator=g, dtype=F64).pow(3)  # cubes: some near-empty states
    q = torch.rand(batch, k, generator=g, dtype=F64).pow(3)
    p[0, 0] = 0.0  # disjoint mass on one state, in one row
    return p / p.sum(-1, keepdim=True), q / q.sum(-1, keepdim=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_value_at_d_star_is_minus_log4_plus_2jsd_on_categoricals(seed):
    p, q = _categoricals(seed)
    value = game_value(p, q)
    jsd = jensen_shannon(p, q)
    # Theorem 1 is an identity: only float64 rounding separates the two sides.
    assert_close(value, MINIMUM_VALUE + 2 * jsd, rtol=0, atol=1e-12)
    assert (jsd >= 0).all() and (jsd <= math.log(2) + 1e-12).all()
    # Against itself the game sits at its minimum, -log 4.
    assert_close(game_value(p, p), torch.full((20,), -math.log(4), dtype=F64))
    # Disjoint supports: JSD = log 2, value 0.
    a, b = torch.tensor([1.0, 0, 0], dtype=F64), torch.tensor([0, 0.5, 0.5], dtype=F64)
    assert_close(game_value(a, b), torch.tensor(0.0, dtype=F64))


@pytest.mark.parametrize("seed", [0, 1])
def test_d_star_maximises_the_value(seed):
    # Prop. 1: any other discriminator, e.g. D* perturbed, gives a smaller value.
    p, q = _categoricals(seed)
    best = game_value(p, q)
    g = torch.Generator().manual_seed(seed + 10)
    for _ in range(5):
        other = (optimal_discriminator(p, q) + 0.1 * torch.randn(p.shape, generator=g,
                                                                 dtype=F64)).clamp(1e-6, 1 - 1e-6)
        assert (game_value(p, q, other) <= best + 1e-12).all()


def _mixture_density(x, means, stds, weights):
    comp = torch.distributions.Normal(torch.tensor(means, dtype=F64),
                                      torch.tensor(stds, dtype=F64))
    return (comp.log_prob(x[:, None]).exp() * torch.tensor(weights, dtype=F64)).sum(-1)


def test_value_identity_on_a_1d_gaussian_mixture():
    # Densities on a fine grid, as quadrature weights p(x_i) dx; the identity holds for the
    # discretised distributions exactly, and the JSD approaches the continuous one.
    x = torch.linspace(-8, 8, 4001, dtype=F64)
    dx = x[1] - x[0]
    p = _mixture_density(x, [-2.0, 2.0], [0.5, 0.5], [0.5, 0.5]) * dx
    q = _mixture_density(x, [-2.0, 1.0], [0.5, 1.0], [0.3, 0.7]) * dx
    p, q = p / p.sum(), q / q.sum()
    assert_close(game_value(p, q), MINIMUM_VALUE + 2 * jensen_shannon(p, q), rtol=0,
                 atol=1e-12)
    # D* at the points is the density ratio of the two mixtures (dx cancels).
    d = optimal_discriminator(p, q)
    dens_p = _mixture_density(x, [-2.0, 2.0], [0.5, 0.5], [0.5, 0.5])
    dens_q = _mixture_density(x, [-2.0, 1.0], [0.5, 1.0], [0.3, 0.7])
    inside = (dens_p + dens_q) > 1e-12
    # Only the normalisation of the grid (1 +- 1e-9) separates them.
    assert_close(d[inside], (dens_p / (dens_p + dens_q))[inside], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("bad, match", [
    (dict(p_data=torch.tensor([0.5, 0.6]), p_model=torch.tensor([0.5, 0.5])), "p_data.*sum"),
    (dict(p_data=torch.tensor([0.5, 0.5]), p_model=torch.tensor([1.0, 0.0, 0.0])), "shape"),
    (dict(p_data=torch.tensor([1.5, -0.5]), p_model=torch.tensor([0.5, 0.5])), "non-negative"),
    (dict(p_data=torch.tensor([0.5, 0.5]), p_model=torch.tensor([0.5, 0.5]),
          discriminator=torch.tensor([0.5, 1.5])), "discriminator"),
])
def test_game_value_refuses_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        game_value(**bad)


# -- losses on hand-computed cases ----------------------------------------------------------

def test_loss_values_by_hand():
    real = torch.tensor([0.0, 2.0], dtype=F64)
    fake = torch.tensor([-1.0, 1.0], dtype=F64)
    sp = lambda t: math.log1p(math.exp(t))  # noqa: E731  softplus
    assert_close(minimax_discriminator_loss(real, fake),
                 torch.tensor((sp(0) + sp(-2)) / 2 + (sp(-1) + sp(1)) / 2, dtype=F64))
    # D = 1/2 everywhere: the discriminator's loss is 2 log 2 (= -V at D = 1/2).
    assert_close(minimax_discriminator_loss(torch.zeros(3), torch.zeros(3)),
                 torch.tensor(2 * math.log(2)))
    assert_close(minimax_generator_loss(fake), torch.tensor(-(sp(-1) + sp(1)) / 2, dtype=F64))
    assert_close(non_saturating_generator_loss(fake),
                 torch.tensor((sp(1) + sp(-1)) / 2, dtype=F64))
    assert_close(discriminator_loss(real, fake, "least_squares"),
                 torch.tensor(0.5 * (1 + 1) / 2 + 0.5 * (1 + 1) / 2, dtype=F64))
    assert_close(generator_loss(fake, "least_squares"),
                 torch.tensor(0.5 * (4 + 0) / 2, dtype=F64))
    assert_close(discriminator_loss(real, fake, "wasserstein"), torch.tensor(0.0 - 1.0,
                                                                              dtype=F64))
    assert_close(generator_loss(fake, "wasserstein"), torch.tensor(0.0, dtype=F64))
    assert_close(discriminator_loss(real, fake, "hinge"),
                 torch.tensor((1 + 0) / 2 + (0 + 2) / 2, dtype=F64))
    with pytest.raises(ValueError, match="loss must be one of"):
        generator_loss(fake, "kl")
    with pytest.raises(ValueError, match="fake_logits"):
        generator_loss(torch.tensor([1, 2]))


@pytest.mark.parametrize("name", list(LOSSES))
def test_gradient_signs(name):
    # The discriminator's loss falls as real logits rise and fake ones fall; the generator's
    # falls as its fake logits rise (it wants to be called real).
    real = torch.tensor([0.3, -0.2], dtype=F64, requires_grad=True)
    # Fake logits in (0, 1): where the least-squares target 0 and the hinge margin agree.
    fake = torch.tensor([0.4, 0.1], dtype=F64, requires_grad=True)
    d_real, d_fake = torch.autograd.grad(discriminator_loss(real, fake, name), (real, fake))
    assert (d_real < 0).all() and (d_fake > 0).all()
    (g_fake,) = torch.autograd.grad(generator_loss(fake, name), (fake,))
    assert (g_fake < 0).all()


def test_non_saturating_gradient_is_large_where_minimax_vanishes():
    # D(G(z)) -> 0: the discriminator rejects every sample, as early in training.
    fake = torch.tensor([-6.0, -8.0, -16.0], dtype=F64, requires_grad=True)
    (mm,) = torch.autograd.grad(minimax_generator_loss(fake), fake)
    (ns,) = torch.autograd.grad(non_saturating_generator_loss(fake), fake)
    # d/dl of -softplus(l)/3 is -sigmoid(l)/3; of softplus(-l)/3 it is -sigmoid(-l)/3.
    assert_close(mm, -torch.sigmoid(fake.detach()) / 3)
    assert_close(ns, -torch.sigmoid(-fake.detach()) / 3)
    assert (mm.abs() < 1e-2 / 3).all() and (ns.abs() > 0.98 / 3).all()
    assert (ns.abs() / mm.abs() > 50).all()


# -- penalties ----------------------------------------------------------------------------

def test_r1_penalty_of_a_linear_discriminator_is_its_squared_weight_norm():
    w = torch.tensor([3.0, -4.0], dtype=F64)
    x = torch.randn(5, 2, dtype=F64, generator=torch.Generator().manual_seed(0),
                    requires_grad=True)
    assert_close(r1_penalty(x @ w, x), torch.tensor(25.0, dtype=F64))
    with pytest.raises(ValueError, match="requires_grad"):
        y = x.detach()
        r1_penalty(y @ w, y)


def test_gradient_penalty_is_zero_for_a_1_lipschitz_linear_critic():
    g = torch.Generator().manual_seed(0)
    real, fake = torch.randn(8, 2, generator=g), torch.randn(8, 2, generator=g)
    unit = nn.Linear(2, 1)
    with torch.no_grad():
        unit.weight.copy_(torch.tensor([[0.6, 0.8]]))
    assert_close(gradient_penalty(lambda t: unit(t).squeeze(-1), real, fake, generator=g),
                 torch.tensor(0.0), atol=1e-12, rtol=0)
    with torch.no_grad():
        unit.weight.mul_(2.0)  # norm 2: penalty (2 - 1)^2 = 1, and it trains the critic
    gp = gradient_penalty(lambda t: unit(t).squeeze(-1), real, fake)
    assert_close(gp, torch.tensor(1.0))
    gp.backward()
    assert unit.weight.grad is not None and unit.weight.grad.abs().sum() > 0


# -- a trained discriminator approaches D* -------------------------------------------------

def test_a_trained_discriminator_approaches_d_star_pointwise(one_thread):
    # Data: N(-1, 0.5^2) + N(1.5, 0.5^2) mixture; "generator": a fixed N(0, 1). A small MLP
    # trained with the minimax discriminator loss should learn D* = p / (p + q).
    torch.manual_seed(0)
    n = 4000
    comp = torch.randint(0, 2, (n,))
    real = (torch.where(comp == 0, -1.0, 1.5) + 0.5 * torch.randn(n))[:, None]
    fake = torch.randn(n, 1)
    net = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                        nn.Linear(32, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(400):
        loss = minimax_discriminator_loss(net(real).squeeze(-1), net(fake).squeeze(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x = torch.linspace(-2, 2.5, 46)
    p = 0.5 * (torch.distributions.Normal(-1.0, 0.5).log_prob(x).exp()
               + torch.distributions.Normal(1.5, 0.5).log_prob(x).exp())
    q = torch.distributions.Normal(0.0, 1.0).log_prob(x).exp()
    with torch.no_grad():
        d = torch.sigmoid(net(x[:, None]).squeeze(-1))
    d_star = optimal_discriminator(p, q)
    # 4000 draws per side: the fitted D's sampling error is a few hundredths where both
    # densities are non-negligible (the points chosen); 0.08 leaves room for optimisation.
    err = (d - d_star).abs()
    assert err.max() < 0.08, err.max()
    assert err.mean() < 0.03, err.mean()
    # It beats the constant D = 1/2, whose loss is 2 log 2.
    with torch.no_grad():
        reached = F.softplus(-net(real)).mean() + F.softplus(net(fake)).mean()
    assert 0 < reached < 2 * math.log(2)
