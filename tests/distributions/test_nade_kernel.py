"""NADE's C kernel: the same logits and gradients as the definition, and a clean fallback."""

import contextlib
import os
import warnings

import pytest
import torch

import ppl_models.distributions.nade_kernel as nade_kernel_module
from ppl_models.distributions import NADE
from ppl_models.distributions.nade_kernel import nade_kernel, torch_only


@pytest.fixture(scope="module")
def kernel():
    built = nade_kernel()
    if built is None and not os.environ.get("CI"):
        pytest.skip("no C compiler here: NADE uses its torch implementation")
    assert built is not None, "CI machines have a C compiler: the kernel must build there"
    return built


def definition_logits(x, c, W, V):
    """Eq. 3-4 of Larochelle & Murray (2011) position by position, in float64."""
    x, c, W, V = (t.double() for t in (x, c, W, V))
    a = c.expand(x.shape[0], -1)
    logits = []
    for d in range(x.shape[1]):
        logits.append(torch.sigmoid(a) @ V[d])
        a = a + x[:, d : d + 1] * W[d]
    return torch.stack(logits, 1)


def leaky_logits(x, c, W, V):
    """A known wrong NADE: position d's hidden units also read x_d."""
    return definition_logits(x, c, W, V) + (x.double() * (W * V).sum(1).double()) * 0.25


def problem(n, dim, hidden, per_row_bias, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.bernoulli(torch.full((n, dim), 0.3), generator=g)
    c = torch.randn(n if per_row_bias else 1, hidden, generator=g)
    W, V = (torch.randn(dim, hidden, generator=g) * 0.5 for _ in range(2))
    return x, c, W, V, torch.randn(n, dim, generator=g)


def matches_definition(logits_fn, x, c, W, V, g) -> bool:
    """Logits and the gradients of sum(g * logits) within float32 rounding of float64's.

    float32 sums over H <= 100 terms of size O(1): errors of order 1e-6 relative, so 1e-5
    relative to the largest entry is the issue's bar with a margin."""
    leaves = [t.clone().requires_grad_() for t in (c, W, V)]
    ref_leaves = [t.double().clone().requires_grad_() for t in (c, W, V)]
    out = logits_fn(x, *leaves)
    ref = definition_logits(x, *ref_leaves)
    ok = torch.allclose(out.double(), ref, atol=1e-5 * ref.abs().max().item(), rtol=0)
    (out * g).sum().backward()
    (ref * g.double()).sum().backward()
    for mine, theirs in zip(leaves, ref_leaves, strict=True):
        gap = (mine.grad.double() - theirs.grad).abs().max() / theirs.grad.abs().max()
        ok = ok and gap.item() < 1e-5
    return ok


def kernel_logits(x, c, W, V):
    from ppl_models.distributions.nade import _NADELogits
    return _NADELogits.apply(x, c, W, V, 8, True)


@pytest.mark.parametrize("n, dim, hidden", [(1, 7, 5), (13, 20, 37), (9, 31, 130)])
@pytest.mark.parametrize("per_row_bias", [False, True])
def test_kernel_matches_the_definition(kernel, n, dim, hidden, per_row_bias):
    # Rows across the forward's tiles of 8 and units across the backward's slices of 64.
    assert matches_definition(kernel_logits, *problem(n, dim, hidden, per_row_bias))


def test_a_leaking_nade_fails_the_same_check(kernel):
    assert not matches_definition(leaky_logits, *problem(13, 20, 37, False))


def test_threads_split_the_work_without_changing_it(kernel):
    # Above the kernel's threshold for using threads (N D H >= 2^20).
    x, c, W, V, g = problem(64, 70, 300, True)
    before = torch.get_num_threads()
    results = []
    for threads in (1, 2):
        torch.set_num_threads(threads)
        try:
            results.append((kernel.logits(x, c, W, V), *kernel.grads(x, c, W, V, g)))
        finally:
            torch.set_num_threads(before)
    for one, two in zip(*results, strict=True):
        assert torch.equal(one, two)  # each value comes from the same loop either way


def test_an_expanded_shared_bias_reads_its_one_row(kernel):
    x, c, W, V, g = problem(10, 12, 40, False)
    wide = c.expand(10, -1)  # stride 0 rows: how NADE passes chunks of a big batch
    torch.testing.assert_close(kernel.logits(x, wide, W, V), kernel.logits(x, c, W, V))


def test_nan_parameters_give_nan_logits(kernel):
    x, c, W, V, _ = problem(3, 6, 9, False)
    c[0, 4] = float("nan")
    assert kernel.logits(x, c, W, V).isnan().all()


def test_nade_float32_log_prob_and_gradients_agree_with_the_torch_path(kernel, monkeypatch):
    calls = []
    real = type(kernel).logits
    monkeypatch.setattr(type(kernel), "logits",
                        lambda self, *args: calls.append(1) or real(self, *args))
    torch.manual_seed(0)
    m = NADE(30, 20, order=torch.randperm(30))
    x = torch.bernoulli(torch.full((17, 30), 0.4))
    results = []
    for context in (torch_only, contextlib.nullcontext):
        m.zero_grad()
        with context():
            lp = m().log_prob(x)
        lp.sum().backward()
        results.append((lp.detach(), [p.grad.clone() for p in m.parameters()]))
    assert len(calls) == 1  # the kernel ran once, inside the nullcontext pass only
    (lp_torch, g_torch), (lp_kernel, g_kernel) = results
    torch.testing.assert_close(lp_kernel, lp_torch, rtol=1e-5, atol=1e-4)
    for a, b in zip(g_kernel, g_torch, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_no_compiler_means_the_torch_path(monkeypatch, tmp_path):
    monkeypatch.setenv("CC", "no-such-compiler-here")
    monkeypatch.setenv("PPL_MODELS_CACHE", str(tmp_path))
    nade_kernel_module._built.cache_clear()
    try:
        assert nade_kernel() is None
        m = NADE(6, 4)
        assert m().log_prob(torch.zeros(2, 6)).isfinite().all()
    finally:
        nade_kernel_module._built.cache_clear()


def test_a_failing_build_warns_and_falls_back(monkeypatch, tmp_path):
    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    monkeypatch.setenv("PPL_MODELS_CACHE", str(tmp_path))
    nade_kernel_module._built.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert nade_kernel() is None
        assert any("NADE's C kernel" in str(w.message) for w in caught)
        assert not list(tmp_path.glob("*.so"))
    finally:
        nade_kernel_module._built.cache_clear()


def test_the_switch_off_variable(monkeypatch):
    monkeypatch.setenv("PPL_MODELS_NADE_KERNEL", "0")
    assert nade_kernel() is None


def _forked_logits(kernel, x, c, W, V, queue):
    torch.set_num_threads(2)  # a forked child may start on one
    queue.put(kernel.logits(x, c, W, V).numpy())  # plain bytes: the child exits at once


def test_a_forked_process_gets_its_own_threads(kernel):
    # The parent's pool exists before the fork; the child must not hand work to it.
    import multiprocessing as mp

    x, c, W, V, _ = problem(64, 70, 300, True)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        expected = kernel.logits(x, c, W, V)
        queue = mp.get_context("fork").Queue()
        child = mp.get_context("fork").Process(target=_forked_logits,
                                               args=(kernel, x, c, W, V, queue))
        child.start()
        try:
            got = queue.get(timeout=60)  # a child waiting on the parent's pool never answers
        finally:
            child.join(timeout=5)
            if child.is_alive():
                child.kill()
    finally:
        torch.set_num_threads(before)
    assert torch.equal(torch.from_numpy(got), expected)


def test_cpu_autocast_uses_the_torch_code(kernel, monkeypatch):
    # --precision bf16 asks for bf16 products; the float32 kernel would silently ignore it.
    calls = []
    real = type(kernel).logits
    monkeypatch.setattr(type(kernel), "logits",
                        lambda self, *args: calls.append(1) or real(self, *args))
    m = NADE(12, 8)
    x = torch.bernoulli(torch.full((5, 12), 0.4))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        m().log_prob(x).sum().backward()
    assert calls == []
    m().log_prob(x)
    assert calls == [1]
