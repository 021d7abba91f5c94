import pytest
import torch

from ppl_models.distributions import NADE
from ppl_models.distributions.nade import _NADELogits


def reference_log_prob(m: NADE, x: torch.Tensor) -> torch.Tensor:
    """Larochelle & Murray (2011) eq. 3-4 written position by position, no recursion."""
    xo = x[:, m.order]
    out = torch.zeros(x.shape[0], dtype=x.dtype)
    for k in range(m.dim):
        h = torch.sigmoid(m.c + xo[:, :k] @ m.W[:k])
        p = torch.sigmoid(m.b[k] + h @ m.V[k])
        out += torch.where(xo[:, k] == 1, torch.log(p), torch.log1p(-p))
    return out


@pytest.mark.parametrize("block_size", [1, 3, 16, 64])
def test_log_prob_matches_the_definition(block_size):
    torch.manual_seed(0)
    m = NADE(20, 11, order=torch.randperm(20), block_size=block_size).double()
    for p in m.parameters():
        torch.nn.init.normal_(p)
    x = torch.bernoulli(torch.full((7, 20), 0.4, dtype=torch.double))
    torch.testing.assert_close(m().log_prob(x), reference_log_prob(m, x))


def test_gradient_matches_autograd_of_the_definition():
    torch.manual_seed(1)
    m = NADE(13, 6, block_size=4).double()
    x = torch.bernoulli(torch.full((5, 13), 0.5, dtype=torch.double))
    m().log_prob(x).sum().backward()
    fast = [p.grad.clone() for p in m.parameters()]
    m.zero_grad()
    reference_log_prob(m, x).sum().backward()
    for g, p in zip(fast, m.parameters(), strict=True):
        torch.testing.assert_close(g, p.grad)


@pytest.mark.parametrize("per_example_bias", [False, True])
def test_custom_backward_gradcheck(per_example_bias):
    torch.manual_seed(2)
    n, d, h = 3, 7, 4
    x = torch.bernoulli(torch.full((n, d), 0.5, dtype=torch.double))
    c = torch.randn(n if per_example_bias else 1, h, dtype=torch.double, requires_grad=True)
    W = torch.randn(d, h, dtype=torch.double, requires_grad=True)
    V = torch.randn(d, h, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(lambda c, W, V: _NADELogits.apply(x, c, W, V, 3, True),
                                     (c, W, V))


def test_context_gradient_reaches_the_context():
    """A VAE trains its encoder through the decoder's context."""
    torch.manual_seed(3)
    m = NADE(8, 5, context_dim=2).double()
    z = torch.randn(4, 2, dtype=torch.double, requires_grad=True)
    x = torch.bernoulli(torch.full((4, 8), 0.5, dtype=torch.double))
    assert torch.autograd.gradcheck(lambda z: m(z).log_prob(x), (z,))


def test_sample_is_seeded():
    m = NADE(10, 4)
    torch.manual_seed(0)
    a = m().sample((3,))
    torch.manual_seed(0)
    assert torch.equal(a, m().sample((3,)))


@pytest.mark.parametrize("bad", [dict(hidden=0), dict(block_size=0), dict(context_dim=-1)])
def test_bad_arguments(bad):
    kwargs = dict(dim=4, hidden=3) | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        NADE(**kwargs)


def test_large_batches_are_chunked_without_changing_values_or_gradients():
    torch.manual_seed(4)
    m = NADE(12, 5).double()
    x = torch.bernoulli(torch.full((11, 12), 0.5, dtype=torch.double))
    whole = m().log_prob(x)
    whole.sum().backward()
    grads = [p.grad.clone() for p in m.parameters()]
    m.zero_grad()
    m.max_rows = 4
    chunked = m().log_prob(x)
    chunked.sum().backward()
    torch.testing.assert_close(chunked, whole)
    for g, p in zip(grads, m.parameters(), strict=True):
        torch.testing.assert_close(p.grad, g)


def test_scoring_without_grad_keeps_no_states_and_equals_the_recorded_pass(monkeypatch):
    # Under no_grad the hidden states share one buffer instead of being kept for backward.
    saves = []
    original = torch.autograd.function.FunctionCtx.save_for_backward
    monkeypatch.setattr(torch.autograd.function.FunctionCtx, "save_for_backward",
                        lambda ctx, *t: saves.append(len(t)) or original(ctx, *t))
    torch.manual_seed(4)
    m = NADE(30, 6, block_size=4)
    m.max_rows = 5  # also the chunked path
    x = torch.bernoulli(torch.full((12, 30), 0.4))
    recorded = m().log_prob(x)
    assert saves  # the spy sees the recorded pass keep its states
    saves.clear()
    with torch.no_grad():
        scored = m().log_prob(x)
    assert saves == []
    assert recorded.requires_grad and not scored.requires_grad
    assert torch.equal(recorded.detach(), scored)


def test_second_derivatives_exist_and_are_right():
    # A Laplace approximation needs the Hessian; the written-out backward is first order
    # only, so create_graph=True takes a differentiable path. gradgradcheck compares it with
    # finite differences in float64.
    from ppl_models.distributions.nade import _NADELogits

    g = torch.Generator().manual_seed(0)
    x = torch.bernoulli(torch.full((3, 5), 0.5, dtype=torch.double), generator=g)
    c = torch.randn(3, 4, dtype=torch.double, generator=g, requires_grad=True)
    W = torch.randn(5, 4, dtype=torch.double, generator=g, requires_grad=True)
    V = torch.randn(5, 4, dtype=torch.double, generator=g, requires_grad=True)

    def logits(c, W, V):
        return _NADELogits.apply(x, c, W, V, 2, True)

    assert torch.autograd.gradcheck(logits, (c, W, V))
    assert torch.autograd.gradgradcheck(logits, (c, W, V))


def test_a_laplace_approximation_fits_a_conditional_nade_model():
    import pyro
    import pyro.distributions as dist
    from pyro.infer.autoguide import AutoLaplaceApproximation

    pyro.clear_param_store()
    torch.manual_seed(0)
    nade = NADE(6, 4, context_dim=2)
    x = torch.bernoulli(torch.full((10, 6), 0.4))

    def model(x):
        z = pyro.sample("z", dist.Normal(torch.zeros(2), 1.0).to_event(1))
        with pyro.plate("data", len(x)):
            pyro.sample("x", nade(z.expand(len(x), 2)), obs=x)

    guide = AutoLaplaceApproximation(model)
    svi = pyro.infer.SVI(model, guide, pyro.optim.Adam({"lr": 0.05}), pyro.infer.Trace_ELBO())
    for _ in range(20):
        svi.step(x)
    laplace = guide.laplace_approximation(x)  # the Hessian: a second derivative
    assert torch.isfinite(laplace.get_posterior().covariance_matrix).all()
