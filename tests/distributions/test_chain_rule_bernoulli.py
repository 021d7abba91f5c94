import itertools

import pytest
import torch

from ppl_models.distributions import ChainRuleBernoulli


@pytest.mark.parametrize("n", [1, 2, 5, 10])
def test_num_parameters(n):
    assert ChainRuleBernoulli.full(n).num_parameters == 2**n - 1
    assert ChainRuleBernoulli.independent(n).num_parameters == n
    assert ChainRuleBernoulli.markov(n).num_parameters == 2 * n - 1


def test_full_table_has_one_entry_per_state_minus_one():
    d = ChainRuleBernoulli.full(4)
    assert sum(p.numel() for p in d.probs) == 2**4 - 1


def test_counts_without_allocating_at_784():
    from ppl_models.distributions import full_parents

    assert ChainRuleBernoulli.count_parameters(full_parents(list(range(784)))) == 2**784 - 1


@pytest.mark.parametrize("n", [30, 784])
def test_refuses_a_table_that_does_not_fit(n):
    with pytest.raises(ValueError, match="table entries"):
        ChainRuleBernoulli.full(n)


def test_mle_equals_empirical_frequencies():
    g = torch.Generator().manual_seed(0)
    x = torch.bernoulli(torch.full((500, 4), 0.35), generator=g)
    x[:, 2] = torch.where(torch.rand(500, generator=g) < 0.8, x[:, 1], 1 - x[:, 1])
    for structure in ("full", "independent", "markov"):
        d = getattr(ChainRuleBernoulli, structure)(4).fit(x)
        for i, pa in enumerate(d.parents):
            for j, config in enumerate(itertools.product([0.0, 1.0], repeat=len(pa))):
                bits = torch.tensor(config[::-1])  # little-endian: bit m is parent m
                rows = (x[:, list(pa)] == bits).all(1) if pa else torch.ones(500, dtype=bool)
                expected = x[rows, i].mean().item() if rows.any() else 0.5
                assert d.probs[i][j].item() == pytest.approx(expected, abs=1e-6)


def test_mle_maximises_the_likelihood():
    """Perturbing any fitted entry lowers the training log-likelihood."""
    g = torch.Generator().manual_seed(1)
    x = torch.bernoulli(torch.full((300, 5), 0.4), generator=g)
    d = ChainRuleBernoulli.markov(5).fit(x)
    best = d().log_prob(x).sum()
    for i in range(5):
        for j in range(len(d.probs[i])):
            for delta in (-0.02, 0.02):
                probs = [p.clone() for p in d.probs]
                probs[i][j] = (probs[i][j] + delta).clamp(0.01, 0.99)
                assert ChainRuleBernoulli(d.parents, probs)().log_prob(x).sum() < best


def test_pseudo_counts():
    x = torch.tensor([[1.0], [1.0], [0.0]])
    d = ChainRuleBernoulli.independent(1).fit(x, alpha=1.0, beta=1.0)
    assert d.probs[0].item() == pytest.approx((2 + 1) / (3 + 2))


def test_unseen_configuration_gets_one_half_and_finite_prior_gives_finite_nll():
    x = torch.zeros(10, 2)
    mle = ChainRuleBernoulli.markov(2).fit(x)
    assert mle.probs[1][1].item() == 0.5  # x_0 = 1 never observed
    assert mle().log_prob(torch.ones(1, 2)).item() == float("-inf")  # exact: p(x_0=1) = 0
    smoothed = ChainRuleBernoulli.markov(2).fit(x, alpha=1, beta=1)
    assert torch.isfinite(smoothed().log_prob(torch.ones(1, 2))).all()


def test_parents_must_precede():
    with pytest.raises(ValueError, match="precede"):
        ChainRuleBernoulli([(1,), ()])
    # ... unless the order puts them first
    assert ChainRuleBernoulli([(1,), ()], order=[1, 0]).num_parameters == 3


@pytest.mark.parametrize(
    "probs, message",
    [([torch.tensor([0.5]), torch.tensor([0.5])], "shape"),
     ([torch.tensor([1.5]), torch.tensor([0.5, 0.5])], r"\[0, 1\]"),
     ([torch.tensor([0.5])], "2 tables")],
)
def test_bad_tables(probs, message):
    with pytest.raises(ValueError, match=message):
        ChainRuleBernoulli.markov(2, probs=probs)


def test_fit_rejects_bad_data():
    with pytest.raises(ValueError, match="binary"):
        ChainRuleBernoulli.markov(3).fit(torch.full((4, 3), 0.5))
    with pytest.raises(ValueError, match="shape"):
        ChainRuleBernoulli.markov(3).fit(torch.zeros(4, 2))
