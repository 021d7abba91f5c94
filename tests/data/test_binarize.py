import math

import pytest
import torch

from ppl_models.data import binarize_stochastic, binarize_threshold


def test_threshold_exact():
    x = torch.tensor([0.0, 0.25, 0.5, 0.5001, 0.75, 1.0])
    assert torch.equal(binarize_threshold(x), torch.tensor([0.0, 0, 0, 1, 1, 1]))
    assert torch.equal(binarize_threshold(x, threshold=0.2), torch.tensor([0.0, 1, 1, 1, 1, 1]))
    assert torch.equal(binarize_threshold(x, threshold=1.0), torch.zeros(6))
    assert torch.equal(binarize_threshold(x, threshold=0.0), torch.tensor([0.0, 1, 1, 1, 1, 1]))


def test_threshold_keeps_shape_and_dtype():
    x = torch.rand(3, 1, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    out = binarize_threshold(x)
    assert out.shape == x.shape and out.dtype == torch.float64
    assert torch.equal(out, (x > 0.5).double())
    # Integer 0/1 input comes back as floats.
    assert binarize_threshold(torch.tensor([0, 1])).dtype == torch.get_default_dtype()


def test_stochastic_seeded_reproducible():
    x = torch.rand(64, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    a = binarize_stochastic(x, seed=5)
    b = binarize_stochastic(x, seed=5)
    c = binarize_stochastic(x, seed=6)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert set(a.unique().tolist()) <= {0.0, 1.0} and a.shape == x.shape
    # A generator seeded the same way gives the same draw; reusing it gives fresh draws.
    gen = torch.Generator().manual_seed(5)
    assert torch.equal(binarize_stochastic(x, generator=gen), a)
    assert not torch.equal(binarize_stochastic(x, generator=gen), a)


def test_stochastic_independent_of_global_rng():
    x = torch.full((1000,), 0.5)
    torch.manual_seed(0)
    a = binarize_stochastic(x, seed=3)
    torch.manual_seed(1)
    assert torch.equal(binarize_stochastic(x, seed=3), a)


def test_stochastic_mean_matches_input():
    n = 200_000
    x = torch.rand(n, generator=torch.Generator().manual_seed(2))
    b = binarize_stochastic(x, seed=0)
    # Given x, mean(b) - mean(x) has variance sum x_i (1 - x_i) / n^2 <= 1 / (4 n): its binomial
    # standard error is at most 1 / (2 sqrt(n)) ~ 0.0011. Five standard errors make a false
    # failure (about 6e-7) negligible while a probability off by 0.01 still fails.
    se = 1 / (2 * math.sqrt(n))
    assert abs(b.mean().item() - x.mean().item()) < 5 * se
    # With x uniform the overall mean is 0.5 even for Bernoulli(1 - x), so check a subset too:
    # pixels with x < 0.2 must be 1 about 10% of the time (same bound, n = their count).
    low = x < 0.2
    se_low = 1 / (2 * math.sqrt(low.sum().item()))
    assert abs(b[low].mean().item() - x[low].mean().item()) < 5 * se_low


def test_stochastic_extremes_are_deterministic():
    x = torch.tensor([0.0, 1.0] * 500)
    assert torch.equal(binarize_stochastic(x, seed=0), x)


@pytest.mark.parametrize("fn", [binarize_threshold, binarize_stochastic])
@pytest.mark.parametrize(
    "bad,match",
    [
        (torch.tensor([0.2, 1.5]), r"x must lie in \[0, 1\]"),
        (torch.tensor([-0.1, 0.5]), r"x must lie in \[0, 1\]"),
        (torch.tensor([0.2, float("nan")]), "x contains NaN"),
        (torch.tensor([3, 1]), r"x must lie in \[0, 1\]"),
    ],
    ids=["above", "below", "nan", "int"],
)
def test_bad_input(fn, bad, match):
    with pytest.raises(ValueError, match=match):
        fn(bad)


def test_bad_arguments():
    x = torch.tensor([0.5])
    for t in (-0.1, 1.1, float("nan")):
        with pytest.raises(ValueError, match="threshold"):
            binarize_threshold(x, threshold=t)
    with pytest.raises(ValueError, match="either generator or seed"):
        binarize_stochastic(x, generator=torch.Generator(), seed=0)
    with pytest.raises(TypeError):
        binarize_threshold([0.5])


def test_empty_input():
    assert binarize_threshold(torch.empty(0, 1, 2, 2)).shape == (0, 1, 2, 2)
    assert binarize_stochastic(torch.empty(0), seed=0).shape == (0,)
