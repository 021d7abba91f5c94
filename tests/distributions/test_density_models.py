"""Properties every binary density model must have: normalised, sampler matches density,
autoregressive, usable in Pyro, loud on bad input."""

import pyro
import pyro.distributions as dist
import pytest
import torch
from pyro.distributions.testing.gof import multinomial_goodness_of_fit

from ppl_models.distributions import FVSBN, NADE, ChainRuleBernoulli

# gof returns a p-value; seeds are fixed so this is deterministic, and a correct sampler
# fails at this level once in a thousand seeds.
TEST_FAILURE_RATE = 1e-3


def random_probs(parents, generator):
    return [torch.rand(2 ** len(pa), generator=generator) * 0.9 + 0.05 for pa in parents]


def make_model(kind: str, n: int, seed: int = 0, order=None, context_dim: int = 0):
    """A model with random (not trained, not symmetric) parameters."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    if kind in ("full", "independent", "markov"):
        base = getattr(ChainRuleBernoulli, kind)(n, order=order)
        return ChainRuleBernoulli(base.parents, random_probs(base.parents, g), order)
    if kind == "fvsbn":
        m = FVSBN(n, order=order, context_dim=context_dim)
        torch.nn.init.normal_(m.A, std=1.0)
        torch.nn.init.normal_(m.b, std=1.0)
    else:
        m = NADE(n, hidden=7, order=order, context_dim=context_dim, block_size=3)
        for p in m.parameters():
            torch.nn.init.normal_(p, std=1.0)
    return m


def distribution_of(model, context=None):
    return model(context)  # every exact model is called the same way


KINDS = ["full", "independent", "markov", "fvsbn", "nade"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [1, 5, 10])
@pytest.mark.parametrize("shuffled", [False, True])
def test_sums_to_one(kind, n, shuffled, all_states):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(n)) if shuffled else None
    d = distribution_of(make_model(kind, n, order=order))
    total = d.log_prob(all_states(n)).double().exp().sum()
    assert abs(total.item() - 1) < 1e-5


@pytest.mark.parametrize("kind", ["fvsbn", "nade"])
def test_conditional_sums_to_one_for_each_context(kind, all_states):
    n, c = 6, 3
    model = make_model(kind, n, context_dim=c)
    context = torch.randn(4, c, generator=torch.Generator().manual_seed(1))
    d = model(context)
    assert d.batch_shape == (4,)
    states = all_states(n).unsqueeze(1)  # (2^n, 1, n) broadcasts against batch (4,)
    totals = d.log_prob(states).double().exp().sum(0)
    torch.testing.assert_close(totals, torch.ones(4, dtype=torch.double), atol=1e-5, rtol=0)


@pytest.mark.parametrize("kind", KINDS)
def test_samples_agree_with_log_prob(kind, all_states):
    n, num_samples = 5, 20000
    order = torch.tensor([3, 0, 4, 1, 2])
    d = distribution_of(make_model(kind, n, seed=2, order=order))
    torch.manual_seed(3)
    x = d.sample((num_samples,))
    assert x.shape == (num_samples, n)
    states = all_states(n)
    index = (x * 2 ** torch.arange(n - 1, -1, -1)).sum(-1).long()  # itertools.product order
    counts = torch.bincount(index, minlength=2**n).double()
    probs = d.log_prob(states).double().exp()
    assert multinomial_goodness_of_fit(probs, counts) > TEST_FAILURE_RATE


@pytest.mark.parametrize("kind", ["fvsbn", "nade"])
def test_conditional_samples_agree_with_log_prob(kind, all_states):
    n = 4
    model = make_model(kind, n, seed=4, context_dim=2)
    context = torch.tensor([0.5, -1.0])
    torch.manual_seed(5)
    x = model(context).sample((20000,))
    index = (x * 2 ** torch.arange(n - 1, -1, -1)).sum(-1).long()
    counts = torch.bincount(index, minlength=2**n).double()
    probs = model(context).log_prob(all_states(n)).double().exp()
    assert multinomial_goodness_of_fit(probs, counts) > TEST_FAILURE_RATE


def test_samples_detect_a_wrong_sampler(all_states):
    """The gof check above can fail: a sampler in the wrong order is caught."""
    n = 5
    model = make_model("nade", n, seed=2)
    torch.manual_seed(3)
    x = model().sample((20000,))
    reversed_model = make_model("nade", n, seed=2, order=torch.arange(n - 1, -1, -1))
    index = (x * 2 ** torch.arange(n - 1, -1, -1)).sum(-1).long()
    counts = torch.bincount(index, minlength=2**n).double()
    probs = reversed_model().log_prob(all_states(n)).double().exp()
    assert multinomial_goodness_of_fit(probs, counts) < TEST_FAILURE_RATE


@pytest.mark.parametrize("kind", ["fvsbn", "nade"])
def test_autoregressive_property(kind):
    """Changing the variable at order position j changes no conditional at positions <= j."""
    n = 9
    order = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    model = make_model(kind, n, order=order)
    x = torch.bernoulli(torch.full((3, n), 0.5), generator=torch.Generator().manual_seed(1))
    base = model.logits(x)
    for j in range(n):
        flipped = x.clone()
        flipped[:, order[j]] = 1 - flipped[:, order[j]]
        logits = model.logits(flipped)
        earlier = order[: j + 1]
        torch.testing.assert_close(logits[:, earlier], base[:, earlier], rtol=0, atol=0)
        if j + 1 < n:  # and it does change a later one (the model is not degenerate)
            assert not torch.equal(logits[:, order[j + 1 :]], base[:, order[j + 1 :]])


@pytest.mark.parametrize("kind", ["independent", "markov", "fvsbn", "nade"])
def test_usable_in_a_pyro_plate(kind):
    n, batch = 6, 4
    d = distribution_of(make_model(kind, n))
    x = torch.bernoulli(torch.full((batch, n), 0.3), generator=torch.Generator().manual_seed(0))

    def model():
        with pyro.plate("data", batch):
            pyro.sample("x", d, obs=x)

    trace = pyro.poutine.trace(model).get_trace()
    trace.compute_log_prob()
    torch.testing.assert_close(trace.nodes["x"]["log_prob"], d.log_prob(x))


def test_nade_decoder_in_a_pyro_model():
    """A conditional NADE as the likelihood p(x | z) of a latent-variable model."""
    n, c, batch = 6, 2, 5
    nade = make_model("nade", n, context_dim=c)
    x = torch.bernoulli(torch.full((batch, n), 0.5), generator=torch.Generator().manual_seed(0))

    def model():
        with pyro.plate("data", batch):
            z = pyro.sample("z", dist.Normal(torch.zeros(c), 1.0).to_event(1))
            pyro.sample("x", nade(z), obs=x)

    trace = pyro.poutine.trace(model).get_trace()
    trace.compute_log_prob()
    z = trace.nodes["z"]["value"]
    torch.testing.assert_close(trace.nodes["x"]["log_prob"], nade(z).log_prob(x))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "value, message",
    [
        (torch.full((2, 4), 0.5), "binary"),
        (torch.zeros(2, 3), "shape"),
        (torch.tensor([[0.0, 1.0, float("nan"), 0.0]]), "NaN"),
        (torch.zeros(2, 4, dtype=torch.long), "floating"),
        (torch.tensor([[0.0, 2.0, 1.0, 0.0]]), "binary"),
    ],
)
def test_bad_input_raises(kind, value, message):
    d = distribution_of(make_model(kind, 4))
    with pytest.raises(ValueError, match=message):
        d.log_prob(value)


@pytest.mark.parametrize("kind", ["fvsbn", "nade"])
def test_bad_context_raises(kind):
    with pytest.raises(ValueError, match="context"):
        make_model(kind, 4)(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="context"):
        make_model(kind, 4, context_dim=3)()
    with pytest.raises(ValueError, match="context"):
        make_model(kind, 4, context_dim=3)(torch.zeros(2, 2))


@pytest.mark.parametrize("order", [[0, 1, 1], [0, 1], [0, 1, 3]])
def test_bad_order_raises(order):
    with pytest.raises(ValueError, match="permutation"):
        NADE(3, 2, order=order)


@pytest.mark.parametrize("kind", ["fvsbn", "nade"])
def test_sample_shape_and_batch_expand(kind):
    model = make_model(kind, 5, context_dim=2)
    d = model(torch.zeros(3, 2))
    assert d.sample((4,)).shape == (4, 3, 5)
    e = d.expand((2, 3))
    assert e.batch_shape == (2, 3) and e.sample().shape == (2, 3, 5)
    assert make_model(kind, 5)().expand((7,)).sample().shape == (7, 5)
