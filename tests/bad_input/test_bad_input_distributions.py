"""Bad arguments and values for the exact models: a ValueError naming the argument."""

import math

import pytest
import torch
from catalogue import Case, assert_clear

from ppl_models import registry
from ppl_models.distributions import (
    FVSBN,
    NADE,
    RNADE,
    ChainRuleBernoulli,
    PixelRNN,
    Unconditional,
)

X = torch.bernoulli(torch.full((4, 6), 0.5), generator=torch.Generator().manual_seed(0))


def nade(**kw):
    return NADE(**({"dim": 6, "hidden": 3} | kw))


def rnade(**kw):
    return RNADE(**({"dim": 6, "hidden": 3, "components": 2} | kw))


def _load_table_with(value):
    state = ChainRuleBernoulli.markov(6).state_dict()
    state["table"][0] = value
    return ChainRuleBernoulli.markov(6).load_state_dict(state)


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
    Case("RNADE NaN context", lambda: rnade(context_dim=2)(torch.full((4, 2), math.nan)),
         ("context", "NaN")),
    Case("RNADE integer context", lambda: rnade(context_dim=2)(torch.ones(4, 2, dtype=torch.long)),
         ("context", "floating")),
    Case("RNADE context of another batch",
         lambda: rnade(context_dim=2)(torch.zeros(3, 2)).log_prob(X), ("context", "batch")),
    Case("table of 1.5 loaded from a state_dict", lambda: _load_table_with(1.5),
         ("table", "[0, 1]", "1.5")),
    Case("table of -0.5 loaded from a state_dict", lambda: _load_table_with(-0.5),
         ("table", "[0, 1]")),
    Case("unknown kind", lambda: registry.build("pixelcnn", dim=4), ("kind",)),
    Case("unknown constructor argument", lambda: registry.build("nade", dim=4, width=3),
         ("nade", "width")),
    Case("Unconditional of a non-callable", lambda: Unconditional(3), ("factory",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_distribution_input(case):
    assert_clear(case)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
@pytest.mark.parametrize("structure", ["markov", "full"])
def test_table_log_prob_of_other_float_types_is_the_models(structure, dtype):
    """Binary data of any float type is scored in the tables' own float32, as NADE does
    (float16 data used to cast the tables to float16: 0.13 nats off, bfloat16 1.1)."""
    torch.manual_seed(0)
    model = getattr(ChainRuleBernoulli, structure)(6, probs=None).fit(X, alpha=0.5, beta=0.5)
    expected = model().log_prob(X)
    got = model().log_prob(X.to(dtype))
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize("variant", ["row_lstm", "diagonal_bilstm"])
def test_pixelrnn_log_prob_of_an_empty_batch(variant):
    """No images, no log-densities: shape (0,) for both variants (the Diagonal BiLSTM's
    recurrence used to fail to reshape the empty batch)."""
    model = PixelRNN((1, 4, 4), variant=variant, hidden=4, layers=1)
    assert model().log_prob(torch.zeros(0, 1, 4, 4)).shape == (0,)
