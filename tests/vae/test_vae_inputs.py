"""Bad data and bad arguments fail with a ValueError that names the problem."""

import copy
import pickle

import pytest
import torch

from ppl_models.vae import VAE

SHAPE = (1, 8, 8)


def _binary(n=4, shape=SHAPE):
    return (torch.rand(n, *shape, generator=torch.Generator().manual_seed(0)) > 0.5).float()


@pytest.fixture(params=["mlp", "conv"])
def architecture(request):
    return request.param


@pytest.mark.parametrize("likelihood", ["bernoulli", "nade"])
def test_grey_levels_are_refused_by_binary_likelihoods(likelihood, architecture):
    vae = VAE(SHAPE, 2, hidden=(8,), architecture=architecture, likelihood=likelihood,
              nade_hidden=4)
    x = _binary()
    x[1, 0, 3, 3] = 0.5
    for program in (vae.model, vae.guide, vae.encode, vae.reconstruct):
        with pytest.raises(ValueError, match=r"x must be binary .*found 0\.5 \(1 non-binary"):
            program(x)


def test_grey_levels_outside_unit_interval_are_refused(architecture):
    vae = VAE(SHAPE, 2, hidden=(8,), architecture=architecture,
              likelihood="continuous_bernoulli")
    x = torch.full((3, *SHAPE), 0.25)
    vae.model(x)  # grey levels inside [0, 1] are fine
    for bad in (1.5, -0.1, float("inf")):
        x[2, 0, 0, 0] = bad
        with pytest.raises(ValueError, match=r"grey levels in \[0, 1\].*entries outside"):
            vae.model(x)


@pytest.mark.parametrize("likelihood", ["bernoulli", "continuous_bernoulli", "nade"])
def test_nan_is_refused(likelihood):
    vae = VAE(SHAPE, 2, hidden=(8,), likelihood=likelihood, nade_hidden=4)
    x = _binary()
    x[0, 0, 1, 2] = float("nan")
    with pytest.raises(ValueError, match=r"x contains NaN \(1 entries\)"):
        vae.model(x)
    with pytest.raises(ValueError, match="NaN"):
        vae.guide(x)


@pytest.mark.parametrize(
    "x",
    [
        torch.zeros(4, 64),  # flattened images for an image model
        torch.zeros(4, 8, 8),  # missing channel axis
        torch.zeros(1, 8, 8),  # a single image without the batch axis
        torch.zeros(4, 1, 8, 7),
        torch.zeros(0, 1, 8, 8),
    ],
)
def test_wrong_shapes_are_refused(x):
    vae = VAE(SHAPE, 2, hidden=(8,))
    with pytest.raises(ValueError, match=r"x must (have shape \(N, 1, 8, 8\)|hold at least)"):
        vae.model(x)


def test_non_float_and_non_tensor_are_refused():
    vae = VAE((4,), 2, hidden=(8,))
    with pytest.raises(ValueError, match="floating tensor, got dtype torch.int64"):
        vae.model(torch.ones(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="torch.Tensor"):
        vae.guide([[0.0, 1.0, 0.0, 1.0]])


def test_decode_checks_code_shape():
    vae = VAE((4,), 3, hidden=(8,))
    with pytest.raises(ValueError, match=r"z must have shape \(\*batch, 3\), got \(2, 4\)"):
        vae.decode(torch.zeros(2, 4))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"architecture": "resnet"}, "architecture must be one of"),
        ({"likelihood": "gaussian"}, "likelihood must be one of"),
        ({"hidden": 16}, r"hidden must be a sequence of positive ints, e\.g\. \(400,\)"),
        ({"hidden": (16, 0)}, "hidden must hold positive ints"),
        ({"likelihood": "nade", "nade_hidden": 0}, "nade_hidden must hold positive ints"),
    ],
)
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        VAE(SHAPE, 2, **kwargs)


def test_bad_shapes_and_sizes_at_construction():
    with pytest.raises(ValueError, match="latent_dim must hold positive ints"):
        VAE(SHAPE, 0)
    with pytest.raises(ValueError, match=r"input_shape must be \(C, H, W\) or \(D,\)"):
        VAE((8, 8), 2)
    with pytest.raises(ValueError, match="H and W divisible by 4"):
        VAE((1, 7, 7), 2, architecture="conv")
    with pytest.raises(ValueError, match=r"architecture='conv' needs input_shape \(C, H, W\)"):
        VAE((64,), 2, architecture="conv")
    with pytest.raises(ValueError, match="n must hold positive ints"):
        VAE((4,), 2).sample(0)


def test_a_batch_written_in_place_after_its_check_is_checked_again():
    # The model and the guide share one check per batch; an in-place write must void it.
    vae = VAE(SHAPE, 2, hidden=(8,))
    x = _binary()
    vae.guide(x)
    vae.model(x)
    x[0, 0, 0, 0] = 0.5
    with pytest.raises(ValueError, match="x must be binary"):
        vae.model(x)
    x[0, 0, 0, 0] = 1.0
    vae.model(x)


def test_a_vae_pickles_and_copies_after_a_check():
    vae = VAE(SHAPE, 2, hidden=(8,))
    x = _binary()
    vae.model(x)
    for twin in (pickle.loads(pickle.dumps(vae)), copy.deepcopy(vae)):
        twin.model(x)
        bad = x.clone()
        bad[1, 0, 1, 1] = 2.0
        with pytest.raises(ValueError, match="x must be binary"):
            twin.model(bad)


@pytest.mark.parametrize("value", [1e-45, 1 - 2**-24, 1 + 2**-23, 0.5, 2.0, -1.0,
                                   float("inf"), float("-inf")])
def test_binary_check_refuses_values_next_to_zero_and_one(value):
    # The fast check is x - x^2 == 0; the subnormal and the neighbours of 1 must not round
    # their way through it.
    vae = VAE(SHAPE, 2, hidden=(8,))
    x = _binary()
    x[2, 0, 4, 4] = value
    with pytest.raises(ValueError, match="x must be binary"):
        vae.model(x)


def test_negative_zero_is_a_zero():
    vae = VAE(SHAPE, 2, hidden=(8,))
    x = _binary()
    x[x == 0] = -0.0
    vae.model(x)


@pytest.mark.parametrize("value", [-1e-45, 1 + 2**-23, float("-inf")])
def test_grey_check_refuses_values_just_outside_the_unit_interval(value):
    vae = VAE(SHAPE, 2, hidden=(8,), likelihood="continuous_bernoulli")
    x = torch.full((3, *SHAPE), 0.25)
    x[1, 0, 0, 0] = value
    with pytest.raises(ValueError, match=r"grey levels in \[0, 1\]"):
        vae.model(x)
