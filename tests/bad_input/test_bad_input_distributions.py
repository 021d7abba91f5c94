"""Bad arguments and values for the exact models: a ValueError naming the argument."""

import math

import pytest
import torch
from catalogue import Case, assert_clear

from ppl_models import registry
from ppl_models.distributions import (
    FVSBN,
    NADE,
    ChainRuleBernoulli,
    Unconditional,
)

X = torch.bernoulli(torch.full((4, 6), 0.5), generator=torch.Generator().manual_seed(0))


def nade(**kw):
    return NADE(**({"dim": 6, "hidden": 3} | kw))


CASES = [
    Case("NADE hidden 2.5", lambda: nade(hidden=2.5), ("hidden",)),
    Case("NADE dim '6'", lambda: nade(dim="6"), ("dim",)),
    Case("NADE hidden 0", lambda: nade(hidden=0), ("hidden",)),
    Case("NADE block size 0", lambda: nade(block_size=0), ("block_size",)),
    Case("NADE context_dim -1", lambda: nade(context_dim=-1), ("context_dim",)),
    Case("FVSBN dim 0", lambda: FVSBN(0), ("dim",)),
    Case("float order", lambda: nade(order=[0.5, 1, 2, 3, 4, 5]), ("order", "integers")),
    Case("order not a permutation", lambda: nade(order=[0, 0, 1, 2, 3, 4]), ("order",)),
    Case("order too short", lambda: FVSBN(6, order=[0, 1]), ("order",)),
    Case("Markov chain over 0 variables", lambda: ChainRuleBernoulli.markov(0), ("dim",)),
    Case("table model over no variables", lambda: ChainRuleBernoulli([]), ("parents",)),
    Case("full joint at n = 5000", lambda: ChainRuleBernoulli.full(5000), ("table entries",)),
    Case("parent after its child", lambda: ChainRuleBernoulli([(1,), ()]), ("precede",)),
    Case("repeated parent", lambda: ChainRuleBernoulli([(), (0, 0)]), ("repeats",)),
    Case("table outside [0, 1]",
         lambda: ChainRuleBernoulli.markov(2, probs=[torch.tensor([1.5]),
                                                     torch.tensor([0.5, 0.5])]), ("[0, 1]",)),
    Case("too few tables", lambda: ChainRuleBernoulli.markov(2, probs=[torch.tensor([0.5])]),
         ("2 tables",)),
    Case("fit with NaN pseudo-counts",
         lambda: ChainRuleBernoulli.markov(6).fit(X, alpha=math.nan), ("pseudo-counts",)),
    Case("fit with negative pseudo-counts",
         lambda: ChainRuleBernoulli.markov(6).fit(X, beta=-1), ("pseudo-counts",)),
    Case("fit on grey levels", lambda: ChainRuleBernoulli.markov(6).fit(X * 0.5), ("binary",)),
    Case("fit on 3-D data", lambda: ChainRuleBernoulli.markov(6).fit(X[None]), ("shape",)),
    Case("log_prob of grey levels", lambda: nade()().log_prob(X * 0.5), ("binary",)),
    Case("log_prob of NaN", lambda: FVSBN(6)().log_prob(X * math.nan), ("NaN",)),
    Case("log_prob of the wrong size", lambda: nade()().log_prob(X[:, :5]), ("shape",)),
    Case("log_prob of integers", lambda: nade()().log_prob(X.long()), ("floating",)),
    Case("log_prob of a list", lambda: nade()().log_prob([[0.0] * 6]), ("torch.Tensor",)),
    Case("table log_prob of grey levels",
         lambda: ChainRuleBernoulli.markov(6)().log_prob(X * 0.5), ("binary",)),
    Case("integer context", lambda: nade(context_dim=2)(torch.ones(4, 2, dtype=torch.long)),
         ("context", "floating")),
    Case("NaN context", lambda: nade(context_dim=2)(torch.full((4, 2), math.nan)),
         ("context", "NaN")),
    Case("infinite context", lambda: FVSBN(6, context_dim=2)(torch.full((4, 2), math.inf)),
         ("context", "infinite")),
    Case("context of another batch",
         lambda: nade(context_dim=2)(torch.zeros(3, 2)).log_prob(X), ("context", "batch")),
    Case("context of the wrong width", lambda: nade(context_dim=2)(torch.zeros(4, 3)),
         ("context", "shape")),
    Case("context for an unconditional model", lambda: nade()(torch.zeros(4, 2)),
         ("context",)),
    Case("no context for a conditional model", lambda: nade(context_dim=2)(), ("context",)),
    Case("context for a table model", lambda: ChainRuleBernoulli.markov(6)(torch.zeros(4, 1)),
         ("context",)),
    Case("unknown kind", lambda: registry.build("pixelcnn", dim=4), ("kind",)),
    Case("unknown constructor argument", lambda: registry.build("nade", dim=4, width=3),
         ("nade", "width")),
    Case("Unconditional of a non-callable", lambda: Unconditional(3), ("factory",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_distribution_input(case):
    assert_clear(case)
