import math

import pyro
import pyro.poutine as poutine
import pytest
import torch
from torch.testing import assert_close

from ppl_models.bayesian_chain_rule import BetaBernoulliChainRule
from ppl_models.distributions import ChainRuleBernoulli

STRUCTURES = {
    "markov": lambda n, a, b: BetaBernoulliChainRule.markov(n, a, b),
    "independent": lambda n, a, b: BetaBernoulliChainRule.independent(n, a, b),
    "two_parents": lambda n, a, b: BetaBernoulliChainRule(
        [()] + [(i - 1,) if i == 1 else (i - 1, i - 2) for i in range(1, n)], a, b),
    "reversed_markov": lambda n, a, b: BetaBernoulliChainRule.markov(
        n, a, b, order=list(range(n))[::-1]),
}


def data(n=5, num=200, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = (torch.rand(num, n, generator=gen) < torch.linspace(0.2, 0.8, n)).double()
    x[:, 1] = torch.where(torch.rand(num, generator=gen) < 0.8, x[:, 0], x[:, 1])  # dependence
    return x


def log_joint(model, x, theta):
    """log p(theta) + log p(x | theta) read off the Pyro trace of ``model.model``."""
    conditioned = poutine.condition(model.model, data={"theta": theta})
    trace = poutine.trace(conditioned).get_trace(x)
    return trace.log_prob_sum()


@pytest.mark.parametrize("structure", STRUCTURES)
def test_counts_match_a_loop_over_data(structure):
    x = data()
    model = STRUCTURES[structure](x.shape[1], 1.0, 1.0)
    ones, zeros = model.counts(x)
    want_ones = torch.zeros(model.num_entries, dtype=x.dtype)
    want_zeros = torch.zeros(model.num_entries, dtype=x.dtype)
    for row in x:
        for i, pa in enumerate(model.parents):
            j = sum(int(row[p]) << m for m, p in enumerate(pa))
            target = want_ones if row[i] == 1 else want_zeros
            target[model.offsets[i] + j] += 1
    assert_close(ones, want_ones)
    assert_close(zeros, want_zeros)
    assert model.num_entries == ChainRuleBernoulli.count_parameters(model.parents)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_posterior_mean_is_pseudo_count_fit(structure):
    x = data()
    a, b = 2.0, 0.5
    model = STRUCTURES[structure](x.shape[1], a, b)
    fitted = ChainRuleBernoulli(model.parents, order=model.order).fit(x, alpha=a, beta=b)
    assert_close(model.posterior(x).mean, torch.cat(fitted.probs).double(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_model_log_joint_is_prior_plus_chain_rule_likelihood(structure):
    x = data()
    model = STRUCTURES[structure](x.shape[1], 1.5, 3.0)
    theta = torch.rand(model.num_entries, generator=torch.Generator().manual_seed(1)).double()
    theta = theta.clamp(0.05, 0.95)
    prior = torch.distributions.Beta(torch.tensor(1.5).double(), torch.tensor(3.0).double())
    want = prior.log_prob(theta).sum() + model.to_distribution(theta).log_prob(x).sum()
    assert_close(log_joint(model, x, theta), want)


@pytest.mark.parametrize("structure", STRUCTURES)
def test_conjugate_posterior_is_exact(structure):
    """log p(theta, x) - log p(theta | x) = log p(x) for every theta, in closed form."""
    x = data()
    a, b = 1.0, 2.0
    model = STRUCTURES[structure](x.shape[1], a, b)
    posterior = model.posterior(x)
    ones, zeros = model.counts(x)
    # log p(x) = sum over entries of log B(a + n1, b + n0) - log B(a, b).
    log_beta = lambda p, q: torch.lgamma(p) + torch.lgamma(q) - torch.lgamma(p + q)  # noqa: E731
    a_, b_ = torch.tensor(a).double(), torch.tensor(b).double()
    evidence = (log_beta(a + ones, b + zeros) - log_beta(a_, b_)).sum()
    gen = torch.Generator().manual_seed(2)
    for _ in range(3):
        theta = (0.05 + 0.9 * torch.rand(model.num_entries, generator=gen)).double()
        gap = log_joint(model, x, theta) - posterior.log_prob(theta).sum()
        assert_close(gap, evidence)


def test_model_is_vectorised_over_data_and_entries():
    x = data(n=4, num=30)
    model = BetaBernoulliChainRule.markov(4)
    pyro.set_rng_seed(0)
    trace = poutine.trace(model.model).get_trace(x)
    assert trace.nodes["theta"]["value"].shape == (7,)
    assert trace.nodes["x"]["fn"].batch_shape == (30,)
    assert trace.nodes["x"]["fn"].event_shape == (4,)
    assert [f.name for f in trace.nodes["x"]["cond_indep_stack"]] == ["data"]
    assert [f.name for f in trace.nodes["theta"]["cond_indep_stack"]] == ["cpt"]


def test_entry_index_and_labels():
    model = BetaBernoulliChainRule.markov(3)
    assert model.entry_labels() == ["x0", "x1|x0=0", "x1|x0=1", "x2|x1=0", "x2|x1=1"]
    x = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    assert model.entry_index(x).tolist() == [[0, 2, 3], [0, 1, 4]]
    assert BetaBernoulliChainRule.independent(3).entry_labels() == ["x0", "x1", "x2"]


def test_to_distribution_round_trip():
    model = BetaBernoulliChainRule.markov(3)
    theta = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5])
    d = model.to_distribution(theta)
    states = torch.tensor([[a, b, c] for a in (0.0, 1.0) for b in (0.0, 1.0) for c in (0.0, 1.0)])
    assert math.isclose(d.log_prob(states).exp().sum().item(), 1.0, rel_tol=1e-6)
    with pytest.raises(ValueError, match="theta must have shape"):
        model.to_distribution(theta[:4])


def test_invalid_arguments():
    with pytest.raises(ValueError, match="must be > 0"):
        BetaBernoulliChainRule.markov(3, a=0.0)
    with pytest.raises(ValueError, match="does not precede"):
        BetaBernoulliChainRule([(1,), ()])
    model = BetaBernoulliChainRule.markov(3)
    with pytest.raises(ValueError, match="binary"):
        model.counts(torch.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="shape"):
        model.counts(torch.zeros(2, 4))
