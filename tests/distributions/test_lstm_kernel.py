"""The LSTM scan's C kernel: the same log-densities and gradients as the computation
written out, the torch path where it cannot run, and a wrong kernel told apart."""

import warnings

import pytest
import torch

from ppl_models.distributions import lstm_kernel as lstm_kernel_module
from ppl_models.distributions.lstm_kernel import LSTMKernel, lstm_kernel
from ppl_models.distributions.pixelrnn import KINDS
from tests.distributions.test_pixelrnn import randomised, reference_log_prob

needs_kernel = pytest.mark.skipif(lstm_kernel() is None, reason="no C compiler here")

CASES = [  # shape, hidden, layers, levels: the first two read the kernel's copy-to rows
    ((1, 6, 5), 8, 2, 2), ((3, 5, 4), 12, 1, 4), ((1, 1, 4), 4, 1, 2), ((1, 4, 1), 4, 1, 2)]


def _float32_log_prob_and_grads(kind, case):
    shape, hidden, layers, levels = case
    model = randomised(shape, kind, hidden, layers, levels, seed=3).float()
    torch.manual_seed(4)
    x = torch.randint(0, levels, (5, *shape)).float() / (levels - 1)
    lp = model().log_prob(x)
    grads = torch.autograd.grad(lp.sum(), list(model.parameters()))
    reference = reference_log_prob(model.double(), x.double())
    expected = torch.autograd.grad(reference.sum(), list(model.parameters()))
    return lp, grads, reference, expected


def _relative_gap(a, b):
    return ((a.double() - b).abs().max() / b.abs().max().clamp_min(1e-30)).item()


@needs_kernel
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
def test_kernel_equals_the_computation_written_out(kind, case, monkeypatch):
    calls = []
    step = LSTMKernel.step
    monkeypatch.setattr(LSTMKernel, "step", lambda self, *a: calls.append(1) or step(self, *a))
    lp, grads, reference, expected = _float32_log_prob_and_grads(kind, case)
    assert calls  # the float32 pass ran on the kernel
    # float32 against float64: rounding of ~1e-7 a value, accumulated over a few dozen
    # steps and sums of ~100 terms; seen here up to 2e-7 (log p) and 1.4e-6 (gradients),
    # a tenth of each bound. The wrong kernel below is off by more than 1e-2.
    assert _relative_gap(lp, reference) < 1e-5
    for g, e in zip(grads, expected, strict=True):
        assert _relative_gap(g, e) < 1e-4


@needs_kernel
@pytest.mark.parametrize("kind", KINDS)
def test_a_kernel_that_drops_the_cell_path_is_told_apart(kind, monkeypatch):
    # A plausible mistake: the continued cell state's gradient (f de) never reaches the
    # previous step.
    backward = LSTMKernel.step_backward

    def dropped(self, s, tanh_c, e_prev, dh, de, de_prev, da):
        backward(self, s, tanh_c, e_prev, dh, de, torch.zeros_like(de_prev), da)

    monkeypatch.setattr(LSTMKernel, "step_backward", dropped)
    _, grads, _, expected = _float32_log_prob_and_grads(kind, CASES[0])
    assert max(_relative_gap(g, e) for g, e in zip(grads, expected, strict=True)) > 1e-2


def test_float64_and_switched_off_take_the_torch_path(monkeypatch):
    calls = []
    monkeypatch.setattr(LSTMKernel, "step", lambda self, *a: calls.append(1))
    model = randomised((1, 3, 3), "diagonal_bilstm", 4, 1)  # float64
    x = torch.bernoulli(torch.full((2, 1, 3, 3), 0.5, dtype=torch.float64))
    model().log_prob(x)
    monkeypatch.setenv("PPL_MODELS_LSTM_KERNEL", "0")
    assert lstm_kernel() is None
    model.float()().log_prob(x.float())
    assert not calls


def test_no_compiler_or_a_failing_build_means_the_torch_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PPL_MODELS_CACHE", str(tmp_path))
    try:
        monkeypatch.setenv("CC", "no-such-compiler-here")
        lstm_kernel_module._built.cache_clear()
        assert lstm_kernel() is None
        monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
        lstm_kernel_module._built.cache_clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert lstm_kernel() is None
        assert any("LSTM's C kernel" in str(w.message) for w in caught)
        model = randomised((1, 3, 3), "row_lstm", 4, 1).float()
        assert model().log_prob(torch.zeros(2, 1, 3, 3)).isfinite().all()
    finally:
        lstm_kernel_module._built.cache_clear()


def test_views_the_kernel_cannot_read_are_refused():
    s = torch.zeros(1, 3, 8)
    with pytest.raises(ValueError, match="float32 rows"):
        lstm_kernel_module._strided(s.double())
    with pytest.raises(ValueError, match="float32 rows"):
        lstm_kernel_module._strided(s.transpose(1, 2))
