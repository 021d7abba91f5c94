"""Bad input to the diagnostics of latent models: a ValueError naming the argument."""

import pytest
import torch
from catalogue import Case, assert_clear

from inference.diagnostics import (
    elbo_decomposition,
    importance_log_likelihood,
    kl_check,
    pareto_k,
)
from ppl_models.vae import VAE

SHAPE = (1, 4, 4)
X = torch.bernoulli(torch.full((5, *SHAPE), 0.5), generator=torch.Generator().manual_seed(0))


def vae():
    return VAE(SHAPE, 2, hidden=(8,))


def iw(**kw):
    v = vae()
    return importance_log_likelihood(v.model, v.guide, **({"x": X, "num_samples": 10} | kw))


CASES = [
    Case("num_samples 0", lambda: iw(num_samples=0), ("num_samples",)),
    Case("chunk_size 2.5", lambda: iw(chunk_size=2.5), ("chunk_size",)),
    Case("a float seed", lambda: iw(seed=1.0), ("seed",)),
    Case("scalar data", lambda: iw(x=torch.tensor(1.0)), ("x must be",)),
    Case("an unknown observed site", lambda: iw(observed_site="y"), ("observed_site",)),
    Case("batch_size 0", lambda: iw(batch_size=0), ("batch_size",)),
    Case("ELBO decomposition batch 2.5",
         lambda: elbo_decomposition(vae().model, vae().guide, X, batch_size=2.5),
         ("batch_size",)),
    Case("pareto_k of a vector", lambda: pareto_k(torch.zeros(5)), ("log_weights",)),
    Case("kl_check of 0 draws",
         lambda: kl_check(torch.distributions.Normal(0.0, 1.0),
                          torch.distributions.Normal(1.0, 1.0), 0), ("num_samples",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_diagnostics_input(case):
    assert_clear(case)
