"""DeepNADE: exact joints for every ordering, ensembles, exact conditionals, and the
order-agnostic loss whose rescaling makes it an unbiased estimate of the log-likelihood."""

import itertools
import math

import pyro
import pytest
import torch
from pyro.distributions.testing.gof import multinomial_goodness_of_fit

from inference.training import MLEStep, ModelLossStep, Trainer
from ppl_models.distributions import DeepNADE, FullJointBernoulli
from ppl_models.distributions.deep_nade import observed_first, order_agnostic_nll

# gof returns a p-value; seeds are fixed so this is deterministic.
TEST_FAILURE_RATE = 1e-3
N = 10


def make_model(n=N, hidden=(7, 6), seed=0, order=None, std=1.0):
    """A double-precision DeepNADE with large random weights (far from the independent model)."""
    torch.manual_seed(seed)
    m = DeepNADE(n, hidden, order=order).double()
    for p in m.parameters():
        torch.nn.init.normal_(p, std=std)
    return m


def reference_logits(m, x, order, leak=False):
    """The definition: one network pass per position d, the mask being the variables at
    positions < d of ``order`` (<= d with ``leak``, the bug a mask test must catch)."""
    logits = torch.empty_like(x)
    for d in range(m.dim):
        observed = torch.zeros_like(x)
        observed[:, order[: d + 1 if leak else d]] = 1
        logits[:, order[d]] = m.masked_logits(x, observed)[:, order[d]]
    return logits


class LeakyMask(DeepNADE):
    """Position d's mask also reveals the variable being predicted."""

    def ordered_logits(self, x, orders):
        return torch.cat([reference_logits(self, xs[None], o, leak=True)
                          for xs, o in zip(x, orders, strict=True)])


class LeakyInput(DeepNADE):
    """The network reads x instead of x * m: unobserved values reach it."""

    def network_input(self, x, observed):
        return self.input_bias + x @ self.input_x + observed @ self.input_mask

    def ordered_logits(self, x, orders):
        return torch.cat([reference_logits(self, xs[None], o)
                          for xs, o in zip(x, orders, strict=True)])


def orderings(n, seed=1):
    g = torch.Generator().manual_seed(seed)
    return {"identity": None, "reversed": list(range(n - 1, -1, -1)),
            "random": torch.randperm(n, generator=g)}


def state_index(x):
    n = x.shape[-1]
    return (x * 2 ** torch.arange(n - 1, -1, -1, dtype=x.dtype)).sum(-1).long()


# --- normalisation ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["identity", "reversed", "random"])
def test_each_ordering_sums_to_one_over_all_states(name, all_states):
    m = make_model()
    total = m.log_prob(all_states(N).double(), ordering=orderings(N)[name]).exp().sum()
    torch.testing.assert_close(total.item(), 1.0, atol=1e-10, rtol=0)


def test_the_default_order_is_the_constructors_and_its_joint_sums_to_one(all_states):
    order = orderings(N)["random"]
    m = make_model(order=order)
    x = all_states(N).double()
    torch.testing.assert_close(m().log_prob(x), m.log_prob(x, ordering=order))
    assert not torch.allclose(m().log_prob(x), m.log_prob(x, ordering=list(range(N))))
    torch.testing.assert_close(m().log_prob(x).exp().sum().item(), 1.0, atol=1e-10, rtol=0)


@pytest.mark.parametrize("orderings_arg", [4, [[9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
                                               list(range(10))]])
def test_an_ensemble_sums_to_one_and_is_the_mean_of_its_joints(orderings_arg, all_states):
    m = make_model()
    x = all_states(N).double()
    mixture = m.ensemble(orderings_arg)
    torch.testing.assert_close(mixture.log_prob(x).exp().sum().item(), 1.0, atol=1e-10, rtol=0)
    joints = torch.stack([m.log_prob(x, ordering=o) for o in mixture.orders])
    torch.testing.assert_close(mixture.log_prob(x), joints.logsumexp(0) - math.log(len(joints)))
    # The orders differ, so the mixture is not any one of them.
    assert not torch.allclose(mixture.log_prob(x), joints[0])


def test_an_ensemble_of_k_orders_is_the_same_on_every_call_and_starts_with_the_default():
    m = make_model(order=orderings(N)["reversed"])
    a, b = m.ensemble(5), m.ensemble(5)
    assert torch.equal(a.orders, b.orders) and a.orders.shape == (5, N)
    assert a.orders[0].tolist() == orderings(N)["reversed"]
    assert not torch.equal(m.ensemble(5, seed=1).orders, a.orders)


def test_ensembles_nest_and_their_components_are_the_joints(all_states):
    # Ensemble K's orders are ensemble K + j's first K: one component pass scores them all.
    m = make_model()
    x = all_states(N).double()
    big = m.ensemble(6)
    parts = big.component_log_prob(x)
    assert parts.shape == (6, 2 ** N)
    for k in (1, 2, 6):
        assert torch.equal(m.ensemble(k).orders, big.orders[:k])
        torch.testing.assert_close(m.ensemble(k).log_prob(x),
                                   parts[:k].logsumexp(0) - math.log(k))
    for order, part in zip(big.orders, parts, strict=True):
        torch.testing.assert_close(part, m.log_prob(x, ordering=order))
    assert big.component_log_prob(x.reshape(4, -1, N)).shape == (6, 4, 2 ** N // 4)


def test_the_fast_pass_is_the_definition():
    """The cumulative-sum pass equals one masked network pass per position."""
    m = make_model()
    x = torch.bernoulli(torch.full((6, N), 0.5, dtype=torch.double),
                        generator=torch.Generator().manual_seed(2))
    for order in (torch.arange(N), torch.as_tensor(orderings(N)["random"])):
        torch.testing.assert_close(m.ordered_logits(x, order.expand(6, N)),
                                   reference_logits(m, x, order))


@pytest.mark.parametrize("leaky", [LeakyMask, LeakyInput])
def test_a_mask_that_leaks_an_unobserved_input_fails_normalisation(leaky, all_states):
    n = 6
    x = all_states(n).double()
    # Moderate weights: a saturated network puts nearly all its mass on one state, where
    # the leak changes little.
    correct, broken = make_model(n, std=0.5), make_model(n, std=0.5)
    broken.__class__ = leaky
    torch.testing.assert_close(correct.log_prob(x).exp().sum().item(), 1.0, atol=1e-10,
                               rtol=0)
    # The same weights, with the leak: no longer a distribution.
    assert abs(broken.log_prob(x).exp().sum().item() - 1) > 0.02


def test_changing_a_variable_changes_no_conditional_up_to_its_position():
    m = make_model()
    order = torch.as_tensor(orderings(N)["random"])
    x = torch.bernoulli(torch.full((3, N), 0.5, dtype=torch.double),
                        generator=torch.Generator().manual_seed(1))
    base = m.ordered_logits(x, order.expand(3, N))
    for j in range(N):
        flipped = x.clone()
        flipped[:, order[j]] = 1 - flipped[:, order[j]]
        logits = m.ordered_logits(flipped, order.expand(3, N))
        torch.testing.assert_close(logits[:, order[: j + 1]], base[:, order[: j + 1]],
                                   rtol=0, atol=0)
        if j + 1 < N:
            assert not torch.equal(logits[:, order[j + 1:]], base[:, order[j + 1:]])


# --- conditionals -----------------------------------------------------------------------

MASKS = {
    "first three": [0, 1, 2],
    "scattered": [1, 4, 7, 8],
    "last half": [5, 6, 7, 8, 9],
    "one": [3],
}


def brute_force_conditional(m, x, observed, order):
    """log p(x_missing | x_observed) of the joint of the observed-first order, from all
    completions of the missing variables."""
    o = observed_first(torch.as_tensor(order), observed[None])[0]
    missing = (~observed).nonzero().flatten()
    completions = x.repeat(2 ** len(missing), 1)
    states = torch.tensor(list(itertools.product([0.0, 1.0], repeat=len(missing))),
                          dtype=x.dtype)
    completions[:, missing] = states
    log_joint = m.log_prob(completions, ordering=o)
    return m.log_prob(x[None], ordering=o)[0] - log_joint.logsumexp(0), completions


@pytest.mark.parametrize("mask", list(MASKS))
@pytest.mark.parametrize("name", ["identity", "random"])
def test_conditional_equals_the_brute_force_conditional_of_that_orders_joint(mask, name):
    m = make_model()
    order = orderings(N)[name]
    order = torch.arange(N) if order is None else torch.as_tensor(order)
    observed = torch.zeros(N, dtype=torch.bool)
    observed[MASKS[mask]] = True
    x = torch.bernoulli(torch.full((N,), 0.5, dtype=torch.double),
                        generator=torch.Generator().manual_seed(3))
    expected, completions = brute_force_conditional(m, x, observed, order)
    cond = m.conditional(x, observed, ordering=order)
    torch.testing.assert_close(cond.log_prob(x), expected)
    # ...and over all completions it is a distribution over the missing variables.
    total = cond.log_prob(completions).exp().sum()
    torch.testing.assert_close(total.item(), 1.0, atol=1e-10, rtol=0)


def test_a_batch_of_different_masks_is_each_rows_brute_force_conditional():
    m = make_model()
    order = torch.as_tensor(orderings(N)["random"])
    g = torch.Generator().manual_seed(4)
    x = torch.bernoulli(torch.full((4, N), 0.5, dtype=torch.double), generator=g)
    observed = torch.zeros(4, N, dtype=torch.bool)
    for row, variables in enumerate(MASKS.values()):
        observed[row, variables] = True
    got = m.conditional(x, observed, ordering=order).log_prob(x)
    expected = torch.stack([brute_force_conditional(m, x[i], observed[i], order)[0]
                            for i in range(4)])
    torch.testing.assert_close(got, expected)


def test_the_conditional_is_that_of_the_observed_first_order_not_of_the_order_itself():
    """The brute-force check can fail: the original order's joint, where the observed
    variables are not a prefix, has another conditional."""
    m = make_model()
    observed = torch.zeros(N, dtype=torch.bool)
    observed[MASKS["scattered"]] = True
    x = torch.bernoulli(torch.full((N,), 0.5, dtype=torch.double),
                        generator=torch.Generator().manual_seed(3))
    missing = (~observed).nonzero().flatten()
    completions = x.repeat(2 ** len(missing), 1)
    completions[:, missing] = torch.tensor(
        list(itertools.product([0.0, 1.0], repeat=len(missing))), dtype=x.dtype)
    of_identity = m.log_prob(x[None])[0] - m.log_prob(completions).logsumexp(0)
    got = m.conditional(x, observed).log_prob(x)
    assert abs(got.item() - of_identity.item()) > 1e-3


def test_conditioning_on_nothing_is_log_prob_and_on_everything_zero(all_states):
    m = make_model()
    x = all_states(N).double()[::37]
    order = orderings(N)["random"]
    nothing = torch.zeros(N, dtype=torch.bool)
    torch.testing.assert_close(m.conditional(x, nothing, ordering=order).log_prob(x),
                               m.log_prob(x, ordering=order))
    torch.testing.assert_close(m.conditional(x, ~nothing).log_prob(x), torch.zeros(len(x),
                                                                                  dtype=x.dtype))


def test_conditional_samples_keep_the_observed_values_and_agree_with_log_prob():
    m = make_model(n=8, seed=5, std=0.5)
    observed = torch.tensor([1, 0, 0, 1, 0, 1, 0, 0], dtype=torch.bool)
    x = torch.tensor([1.0, 0, 0, 0, 0, 1, 0, 0], dtype=torch.double)
    order = [7, 2, 5, 0, 1, 6, 3, 4]
    cond = m.conditional(x, observed, ordering=order)
    torch.manual_seed(6)
    samples = cond.sample((20000,))
    assert samples.shape == (20000, 8)
    assert torch.equal(samples[:, observed], x[observed].expand(20000, 3))
    missing = (~observed).nonzero().flatten()
    states = torch.tensor(list(itertools.product([0.0, 1.0], repeat=5)), dtype=x.dtype)
    counts = torch.bincount(state_index(samples[:, missing]), minlength=32).double()
    completions = x.repeat(32, 1)
    completions[:, missing] = states
    probs = cond.log_prob(completions).exp()
    assert multinomial_goodness_of_fit(probs, counts) > TEST_FAILURE_RATE


# --- samples ----------------------------------------------------------------------------

def _gof(dist, n, all_states, num=20000, seed=3):
    torch.manual_seed(seed)
    x = dist.sample((num,))
    assert x.shape == (num, n)
    counts = torch.bincount(state_index(x), minlength=2**n).double()
    probs = dist.log_prob(all_states(n).double()).exp()
    return probs, counts


@pytest.mark.parametrize("which", ["default", "reversed", "ensemble"])
def test_samples_agree_with_log_prob(which, all_states):
    n = 5
    m = make_model(n, seed=2, order=[3, 0, 4, 1, 2], std=0.5)
    dist = {"default": m(), "reversed": m(ordering=[4, 3, 2, 1, 0]),
            "ensemble": m.ensemble(3)}[which]
    probs, counts = _gof(dist, n, all_states)
    assert multinomial_goodness_of_fit(probs, counts) > TEST_FAILURE_RATE


def test_samples_detect_a_sampler_of_another_order(all_states):
    n = 5
    m = make_model(n, seed=2, std=0.5)
    _, counts = _gof(m(ordering=[4, 3, 2, 1, 0]), n, all_states)
    probs = m().log_prob(all_states(n).double()).exp()
    assert multinomial_goodness_of_fit(probs, counts) < TEST_FAILURE_RATE


# --- the order-agnostic loss ------------------------------------------------------------

def split_expectation(loss_of_subset, n):
    """E_d E_{S | d} of a loss: d uniform on 0..n-1, S uniform among subsets of size d (the
    first d variables of a uniform order), by enumeration."""
    total = 0.0
    for d in range(n):
        subsets = list(itertools.combinations(range(n), d))
        total += sum(loss_of_subset(s) for s in subsets) / (n * len(subsets))
    return total


def _mask(n, subset, dtype=torch.double):
    observed = torch.zeros(1, n, dtype=dtype)
    observed[0, list(subset)] = 1
    return observed


def true_conditional_logits(log_joint, states, x, observed):
    """Logits of p(x_i = 1 | x_S) of a joint table, by summing it."""
    n = x.shape[-1]
    agrees = (states[:, observed[0].bool()] == x[0, observed[0].bool()]).all(-1)
    logits = torch.empty(n, dtype=x.dtype)
    for i in range(n):
        on = log_joint[agrees & (states[:, i] == 1)].logsumexp(0)
        off = log_joint[agrees & (states[:, i] == 0)].logsumexp(0)
        logits[i] = on - off
    return logits[None]


@pytest.mark.parametrize("row", [0, 5, 11])
def test_the_rescaled_loss_averages_over_splits_to_the_log_likelihood(row, all_states):
    """With the conditionals of one joint (a full table), every ordering's joint is that
    joint, and E_d of the D / (D - d) rescaled sum is exactly its log-likelihood."""
    n = 4
    g = torch.Generator().manual_seed(row)
    table = FullJointBernoulli(n, probs=[torch.rand(2**k, generator=g) * 0.9 + 0.05
                                         for k in range(n)]).double()
    states = all_states(n).double()
    log_joint = table().log_prob(states)
    x = states[row:row + 1]

    def loss(subset, rescale=True):
        observed = _mask(n, subset)
        logits = true_conditional_logits(log_joint, states, x, observed)
        value = order_agnostic_nll(logits, x, observed)
        return value if rescale else value * (n - len(subset)) / n

    torch.testing.assert_close(split_expectation(loss, n).item(), -log_joint[row].item())
    # Without the rescaling the same average is not the likelihood: the check can fail.
    wrong = split_expectation(lambda s: loss(s, rescale=False), n).item()
    assert abs(wrong + log_joint[row].item()) > 0.1


def test_for_a_deep_nade_the_loss_averages_to_the_mean_over_orderings(all_states):
    """E_{o,d} of the rescaled loss = -mean over all n! orderings of log p(x | o)."""
    n = 4
    m = make_model(n, seed=7)
    x = all_states(n).double()[[6]]
    expected = -torch.stack([m.log_prob(x, ordering=list(o))
                             for o in itertools.permutations(range(n))]).mean()
    got = split_expectation(
        lambda s: order_agnostic_nll(m.masked_logits(x, _mask(n, s)), x, _mask(n, s)), n)
    torch.testing.assert_close(got, expected[None])


def test_training_loss_draws_orders_and_splits_uniformly(all_states):
    """The Monte Carlo mean of training_loss is the enumerated expectation."""
    n = 4
    m = make_model(n, seed=7)
    x = all_states(n).double()[[6]]
    expected = split_expectation(
        lambda s: order_agnostic_nll(m.masked_logits(x, _mask(n, s)), x, _mask(n, s)),
        n).item()
    with torch.no_grad():
        draws = m.training_loss(x.expand(40000, n),
                                generator=torch.Generator().manual_seed(0))
    stderr = draws.std().item() / math.sqrt(len(draws))
    assert draws.shape == (40000,)
    assert abs(draws.mean().item() - expected) < 4 * stderr


# --- training ---------------------------------------------------------------------------

def test_model_loss_step_trains_on_the_loss_and_validates_on_the_exact_nll():
    m = make_model(6, seed=8).float()
    x = torch.bernoulli(torch.full((32, 6), 0.4), generator=torch.Generator().manual_seed(0))
    step = ModelLossStep(m, lr=1e-2)
    torch.manual_seed(1)
    expected = m.training_loss(x).mean().item()
    torch.manual_seed(1)
    assert step.train_step(x)["loss"] == pytest.approx(expected, rel=1e-6)
    with torch.no_grad():
        nll = -m().log_prob(x).mean().item()
    assert step.eval_step(x)["loss"] == pytest.approx(nll, rel=1e-6)
    with pytest.raises(ValueError, match="declares no training loss"):
        ModelLossStep(torch.nn.Linear(2, 2))
    assert MLEStep(m).eval_step(x)["loss"] == pytest.approx(nll, rel=1e-6)


def test_a_few_steps_lower_the_exact_nll():
    torch.manual_seed(0)
    x = torch.zeros(64, 6)
    x[:32, :3] = 1
    m = DeepNADE(6, (16,))
    m.init_bias_from_data(x)
    step = ModelLossStep(m, lr=1e-2)
    before = step.eval_step(x)["loss"]
    for _ in range(100):
        step.train_step(x)
    assert step.eval_step(x)["loss"] < before - 1


def _fit(ckpt, max_epochs, resume, init_seed):
    torch.manual_seed(init_seed)
    step = ModelLossStep(DeepNADE(8, (6, 5)), lr=1e-2)
    data = torch.bernoulli(torch.full((40, 8), 0.3), generator=torch.Generator().manual_seed(1))
    trainer = Trainer(step, data[:32], data[32:], batch_size=8, max_epochs=max_epochs,
                      checkpoint_dir=ckpt, seed=5, progress=False, restore_best=False)
    return step, trainer.fit(resume=resume)


def test_order_agnostic_training_resumes_bit_identically(tmp_path):
    """The random orders and splits come from the checkpointed generators."""
    full_step, full = _fit(tmp_path / "a", 4, False, 0)
    _fit(tmp_path / "b", 2, False, 0)
    resumed_step, resumed = _fit(tmp_path / "b", 4, True, 123)
    assert [e["train_loss"] for e in resumed.epochs] == [e["train_loss"] for e in full.epochs]
    for a, b in zip(full_step.model.parameters(), resumed_step.model.parameters(), strict=True):
        assert torch.equal(a, b)


# --- Pyro and bad input -----------------------------------------------------------------

def test_usable_in_a_pyro_model():
    m = make_model(6)
    x = torch.bernoulli(torch.full((4, 6), 0.5, dtype=torch.double),
                        generator=torch.Generator().manual_seed(0))
    observed = torch.tensor([1, 1, 0, 0, 1, 0], dtype=torch.bool)

    def model():
        with pyro.plate("data", 4):
            pyro.sample("x", m(), obs=x)
            pyro.sample("missing", m.conditional(x, observed), obs=x)

    trace = pyro.poutine.trace(model).get_trace()
    trace.compute_log_prob()
    torch.testing.assert_close(trace.nodes["x"]["log_prob"], m().log_prob(x))
    torch.testing.assert_close(trace.nodes["missing"]["log_prob"],
                               m.conditional(x, observed).log_prob(x))


@pytest.mark.parametrize("value, match", [
    (torch.full((2, 4), 0.5), "binary"),
    (torch.zeros(2, 3), "shape"),
    (torch.zeros(2, 4, dtype=torch.long), "floating"),
])
def test_bad_values_raise(value, match):
    m = make_model(4).float()
    with pytest.raises(ValueError, match=match):
        m().log_prob(value)
    with pytest.raises(ValueError, match=match):
        m.ensemble(2).log_prob(value)
    with pytest.raises(ValueError, match=match):
        m.training_loss(value)


@pytest.mark.parametrize("call, match", [
    (lambda m: m(ordering=[0, 1, 1, 2]), "permutation"),
    (lambda m: m.ensemble(0), "orderings"),
    (lambda m: m.ensemble([[0, 1, 2]]), "permutation"),
    (lambda m: m.conditional(torch.zeros(4), torch.tensor([0.5, 0, 0, 1])), "0/1"),
    (lambda m: m.conditional(torch.zeros(2, 4), torch.ones(3, 4)), "broadcast"),
    (lambda m: m(torch.zeros(2)), "context"),
])
def test_bad_arguments_raise(call, match):
    with pytest.raises(ValueError, match=match):
        call(make_model(4).float())


@pytest.mark.parametrize("bad", [dict(hidden=()), dict(hidden=0), dict(dim=0),
                                 dict(hidden=(3, 0))])
def test_bad_constructor_arguments(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        DeepNADE(**(dict(dim=4, hidden=(3,)) | bad))


def test_sample_shapes_and_expand():
    m = make_model(5).float()
    assert m().sample((4, 3)).shape == (4, 3, 5)
    assert m.ensemble(2).sample((7,)).shape == (7, 5)
    assert m().expand((6,)).sample().shape == (6, 5)
    cond = m.conditional(torch.zeros(3, 5), torch.tensor([1, 0, 0, 0, 1]))
    assert cond.batch_shape == (3,) and cond.sample((2,)).shape == (2, 3, 5)
    assert cond.log_prob(torch.ones(2, 3, 5)).shape == (2, 3)
