"""Bad input to the VAE: a ValueError naming the argument."""

import math
import warnings
from pathlib import Path

import pyro
import pytest
import torch
from catalogue import Case, assert_clear

from ppl_models.vae import VAE

SHAPE = (1, 4, 4)
X = torch.bernoulli(torch.full((5, *SHAPE), 0.5), generator=torch.Generator().manual_seed(0))


def vae(**kw):
    return VAE(SHAPE, 2, **({"hidden": (8,)} | kw))


def elbo(v, x):
    return v.model(x)


CASES = [
    Case("latent_dim 0", lambda: VAE(SHAPE, 0), ("latent_dim",)),
    Case("hidden as an int", lambda: vae(hidden=8), ("hidden",)),
    Case("unknown architecture", lambda: vae(architecture="resnet"), ("architecture",)),
    Case("unknown likelihood", lambda: vae(likelihood="gaussian"), ("likelihood",)),
    Case("unknown prior", lambda: vae(prior="mixture"), ("prior",)),
    Case("no pseudo-inputs", lambda: vae(prior="vampprior", num_pseudo_inputs=0),
         ("num_pseudo_inputs",)),
    Case("conv on 7x7 images", lambda: VAE((1, 7, 7), 2, architecture="conv"), ("divisible",)),
    Case("input_shape of two numbers", lambda: VAE((4, 4), 2), ("input_shape",)),
    Case("data of the wrong shape", lambda: elbo(vae(), X.reshape(5, 16)), ("shape",)),
    Case("integer data", lambda: elbo(vae(), X.long()), ("floating",)),
    Case("grey levels for Bernoulli pixels", lambda: elbo(vae(), X * 0.5), ("binary",)),
    Case("NaN data", lambda: elbo(vae(), X * math.nan), ("NaN",)),
    Case("grey levels outside [0, 1]",
         lambda: elbo(vae(likelihood="continuous_bernoulli"), X * 2), ("[0, 1]",)),
    Case("an empty batch", lambda: elbo(vae(), X[:0]), ("at least one",)),
    Case("a code of the wrong size", lambda: vae().decode(torch.zeros(3, 5)), ("z",)),
    Case("sample 0 images", lambda: vae().sample(0), ("n",)),
    Case("generate without a count", lambda: vae().model(None), ("num_samples",)),
    Case("a count beside data", lambda: vae().model(X, num_samples=3), ("num_samples",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_vae_input(case):
    assert_clear(case)


PACKAGE = str(Path(__file__).resolve().parents[2] / "ppl_models")


@pytest.mark.parametrize("config", [
    {"likelihood": "bernoulli"}, {"likelihood": "continuous_bernoulli"},
    {"likelihood": "nade"}, {"prior": "vampprior", "num_pseudo_inputs": 3},
], ids=["bernoulli", "continuous_bernoulli", "nade", "vampprior"])
def test_jit_elbo_prints_no_tracer_warning_from_the_input_checks(config):
    """JitTrace_ELBO traces the program: the input checks' Python bools printed
    TracerWarnings (13 per step); they are skipped while tracing and kept in eager mode."""
    pyro.clear_param_store()
    torch.manual_seed(0)
    v = vae(**config)
    svi = pyro.infer.SVI(v.model, v.guide, pyro.optim.Adam({"lr": 1e-3}),
                         pyro.infer.JitTrace_ELBO())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svi.step(X)
        svi.step(X)
    ours = [f"{w.filename}:{w.lineno}" for w in caught
            if issubclass(w.category, torch.jit.TracerWarning) and w.filename.startswith(PACKAGE)
            # NADE's chunking branch and its C kernel's shape reads (it runs in Python at each
            # call of the traced program, as a PythonOp): not checks.
            and not w.filename.endswith(("nade.py", "nade_kernel.py"))]
    assert ours == []
    with pytest.raises(ValueError, match="NaN"):  # eager calls still check
        elbo(v, X * math.nan)
