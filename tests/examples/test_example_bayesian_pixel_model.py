"""NUTS on the Beta-Bernoulli chain-rule model reproduces the conjugate Beta posterior.

One ``--smoke`` run of ``examples/bayesian_pixel_model.py`` (seed 0: Markov chain over the 3x3
centre patch of the binarised digits, 17 CPT entries, 2 chains x (150 warm-up + 200 draws))
is shared by all tests; it takes 10-40 s depending on the machine's load.

Tolerances come from the Monte Carlo error of this very run:

- means: the NUTS mean has Monte Carlo standard error ``mcse_mean ~ sd / sqrt(ESS_bulk)``
  (ArviZ); for a correct sampler ``z = (mean_NUTS - mean_exact) / mcse_mean`` is ~N(0, 1), so
  ``|z| < 4`` fails a correct sampler with probability ~6e-5 per entry (~1e-3 over 17).
- sds: a sample variance from ``ESS`` effective draws has relative sd
  ``sqrt((2 + kurt) / ESS)``, so the sample sd has relative error ``sqrt((2 + kurt) / (4 ESS))``
  (delta method), ``kurt`` the excess kurtosis of the exact Beta (~0 here: hundreds of counts
  per entry) and ``ESS`` that of the squared deviations ``(theta - mean)^2``, which is what
  the sd is an average of. Four of those is the relative tolerance: ~0.14 at ESS = 200.
"""

import importlib.util
from pathlib import Path

import arviz as az
import numpy as np
import pytest
import torch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
K = 4.0  # tolerance in Monte Carlo standard errors, see the module docstring


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def beta_excess_kurtosis(a, b):
    return 6 * ((a - b) ** 2 * (a + b + 1) - a * b * (a + b + 2)) / (
        a * b * (a + b + 2) * (a + b + 3))


@pytest.fixture(scope="module")
def example():
    return load_example("bayesian_pixel_model")


@pytest.fixture(scope="module")
def smoke(example, tmp_path_factory):
    out = tmp_path_factory.mktemp("bayesian_pixel_model")
    threads = torch.get_num_threads()
    try:
        results = example.main(example.parse_args(["--smoke", "--seed", "0", "--out", str(out)]))
    finally:
        torch.set_num_threads(threads)
    return results


def test_smoke_writes_png(smoke):
    assert smoke["structure"] == "markov" and smoke["num_pixels"] == 9
    assert smoke["num_entries"] == 2 * 9 - 1
    assert smoke["draws"].shape == (2, 200, 17)
    assert Path(smoke["figure"]).read_bytes()[:4] == b"\x89PNG"


def test_counts_cover_every_datum(smoke):
    ones, zeros = smoke["counts"]
    total = ones + zeros
    # Pixel 0 has no parent: its one entry sees every image; pixel i's two entries split them.
    assert total[0] == smoke["num_data"]
    assert torch.all(total[1:].reshape(-1, 2).sum(-1) == smoke["num_data"])


def test_nuts_converged(smoke):
    c = smoke["comparison"]
    assert np.all(c["r_hat"] < 1.05), c["r_hat"]
    # 400 draws in all; far fewer effective draws would make the MCSEs themselves unreliable.
    assert np.all(c["ess_bulk"] > 100) and np.all(c["ess_tail"] > 100)


def test_posterior_means_match(smoke):
    z = smoke["comparison"]["z_mean"]
    assert np.all(np.abs(z) < K), z
    # Jointly: the z-scores are ~N(0, 1), so their mean square is ~chi^2_17 / 17, below 3 with
    # probability > 0.9999; a sampler off by ~1.5 MCSE on every entry fails here.
    assert np.mean(z**2) < 3.0, z


def test_posterior_sds_match(smoke):
    c = smoke["comparison"]
    draws = smoke["draws"]
    squared = (draws - draws.mean(axis=(0, 1))) ** 2
    ess_sq = np.array([az.ess(squared[..., k]) for k in range(squared.shape[-1])])
    kurt = beta_excess_kurtosis(c["concentration1"], c["concentration0"])
    rel_tol = K * np.sqrt((2 + kurt) / (4 * ess_sq))
    assert np.all(np.abs(c["rel_sd_error"]) < rel_tol), (c["rel_sd_error"], rel_tol)
    # The same check with ArviZ's own MCSE of the sd.
    assert np.all(np.abs(c["z_sd"]) < K), c["z_sd"]


@pytest.mark.parametrize("shift", [(5.0, 0.0), (0.0, 5.0)])
def test_check_rejects_a_wrong_posterior(example, smoke, shift):
    """Five extra pseudo-counts move the means by ~5 (1 - p) / n ~ 0.004, ~5 MCSE: caught."""
    c = smoke["comparison"]
    wrong = example.compare_to_exact(smoke["summary"], c["concentration1"] + shift[0],
                                     c["concentration0"] + shift[1])
    assert np.abs(wrong["z_mean"]).max() > K  # the per-entry check fails ...
    assert np.mean(wrong["z_mean"] ** 2) > 3 * 3.0  # ... and the joint one by far


def test_compare_to_exact_moments(smoke):
    c = smoke["comparison"]
    assert all(len(v) == smoke["num_entries"] for v in c.values())
    # Beta(c1, c0): mean c1 / (c1 + c0), variance mean (1 - mean) / (c1 + c0 + 1).
    total = c["concentration1"] + c["concentration0"]
    np.testing.assert_allclose(c["mean_exact"], c["concentration1"] / total)
    np.testing.assert_allclose(c["sd_exact"] ** 2,
                               c["mean_exact"] * (1 - c["mean_exact"]) / (total + 1))
    assert smoke["max_abs_z_mean"] == pytest.approx(np.abs(c["z_mean"]).max())
