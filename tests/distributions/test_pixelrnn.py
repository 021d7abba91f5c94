"""PixelRNN: causality by gradients, exact normalisation by enumeration, the wrong
implementations these catch, sampling, and input checks."""

import itertools

import pytest
import torch
from pyro.distributions.testing.gof import multinomial_goodness_of_fit

from ppl_models.distributions import pixelrnn as pixelrnn_module
from ppl_models.distributions.pixelrnn import KINDS, PixelRNN, causal_mask, skew, unskew


def randomised(shape, kind, hidden=9, layers=2, levels=2, seed=0, **kwargs):
    """A PixelRNN in float64 with every parameter drawn far from its start (masks kept), so
    no connection is accidentally near zero."""
    torch.manual_seed(seed)
    model = PixelRNN(shape, kind, hidden, layers, levels, **kwargs).double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.6)
    return model


def position(c, r, j, shape):
    """Index of (channel c, row r, column j) in raster-then-channel order."""
    channels, _, width = shape
    return (r * width + j) * channels + c


def dependence(model, shape, seed=0):
    """``dep[a, b]``: does output a (raster-then-channel index) have a non-zero gradient
    with respect to input b for any of 8 random inputs? Masked weights contribute exact
    zeros; a connection that exists is non-zero unless every ReLU on it is off for all 8
    inputs, which the widths used here make negligible."""
    torch.manual_seed(seed)
    x = torch.rand(8, *shape, dtype=torch.float64, requires_grad=True)
    logits = model.logits(x)
    if logits.dim() == 5:
        logits = logits.sum(2)  # every level's logit of one (pixel, channel)
    n = x[0].numel()
    dep = torch.zeros(n, n, dtype=torch.bool)
    for c, r, j in itertools.product(*(range(s) for s in shape)):
        (grad,) = torch.autograd.grad(logits[:, c, r, j].sum(), x, retain_graph=True)
        a = position(c, r, j, shape)
        for c2, r2, j2 in itertools.product(*(range(s) for s in shape)):
            dep[a, position(c2, r2, j2, shape)] = bool(grad[:, c2, r2, j2].abs().sum() > 0)
    return dep


@pytest.mark.parametrize("kind,levels", [("row_lstm", 2), ("row_lstm", 4),
                                         ("diagonal_bilstm", 2), ("diagonal_bilstm", 4)])
def test_no_output_depends_on_its_own_or_a_later_input(kind, levels):
    shape = (3, 3, 3)
    dep = dependence(randomised(shape, kind, levels=levels), shape)
    assert not torch.triu(dep).any()  # b >= a: the current channel and everything after
    assert dep[1:].any(1).all()       # every output but the first reads something earlier


def test_diagonal_bilstm_sees_the_whole_earlier_context_but_one_value_a_row():
    # One layer, 3x3 first kernel: left-to-right covers up and left, right-to-left
    # (shifted) the rows above. The one exception is structural: the last channel of a
    # row's last pixel enters the network only through the first kernel at later positions
    # (mask A hides it from its own pixel, and there is no pixel to its right), i.e. at
    # (r + 1, j) for j >= W - 2; left of those, the right-to-left pass that could carry it
    # is shifted away. Everything else earlier is read, nothing later.
    shape = (3, 3, 4)
    channels, rows, width = shape
    dep = dependence(randomised(shape, "diagonal_bilstm", layers=1, first_kernel=3), shape)
    expected = torch.tril(torch.ones_like(dep), -1)
    for r, j in itertools.product(range(1, rows), range(width - 2)):
        for c in range(channels):
            expected[position(c, r, j, shape), position(channels - 1, r - 1, width - 1,
                                                         shape)] = False
    assert torch.equal(dep, expected)


def test_row_lstm_has_a_triangular_receptive_field():
    # One layer, 3x3 first kernel: the features at (r, j) see (r-1, j-1..j+1) and (r, j-1);
    # the 1x3 mask-B input-to-state kernel adds the features at (r, j-1), and the 1x3
    # state-to-state kernel one more column per row up. So (1, 0) sees (0, 1) but not
    # (0, 2); (2, 0) sees (0, 2) but not (0, 3); and within its own row (0, 4) sees only
    # two pixels back: the context the paper says the Row LSTM misses.
    shape = (1, 3, 5)
    dep = dependence(randomised(shape, "row_lstm", layers=1, first_kernel=3), shape)
    at = lambda r, j: position(0, r, j, shape)  # noqa: E731
    assert dep[at(1, 0), at(0, 1)] and not dep[at(1, 0), at(0, 2)]
    assert dep[at(2, 0), at(0, 2)] and not dep[at(2, 0), at(0, 3)]
    assert dep[at(0, 4), at(0, 2)] and not dep[at(0, 4), at(0, 1)]


def test_right_to_left_not_shifted_down_leaks_the_future(monkeypatch):
    shape = (3, 3, 3)
    monkeypatch.setattr(pixelrnn_module, "_shift_down", lambda x: x)
    dep = dependence(randomised(shape, "diagonal_bilstm", layers=1), shape)
    assert torch.triu(dep).any()


@pytest.mark.parametrize("kind", KINDS)
def test_mask_b_in_the_first_layer_leaks_the_current_pixel(kind):
    shape = (3, 3, 3)
    model = randomised(shape, kind, layers=1)
    conv = model.input_conv
    wide = torch.arange(conv.out_channels) * 3 // conv.out_channels
    conv.mask.copy_(causal_mask(wide, torch.arange(3), conv.kernel_size, "B"))
    dep = dependence(model, shape)
    assert dep.diagonal().all()  # every channel reads its own value


def all_images(shape, levels):
    grid = torch.tensor(list(itertools.product(range(levels), repeat=torch.Size(shape).numel())),
                        dtype=torch.float64)
    return (grid / (levels - 1)).reshape(-1, *shape)


def total_mass(model, shape):
    with torch.no_grad():
        return model().log_prob(all_images(shape, model.levels)).exp().sum().item()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape,levels", [((1, 3, 3), 2), ((1, 2, 4), 2), ((3, 2, 2), 2),
                                          ((1, 2, 2), 3)])
def test_sums_to_one_over_all_states(kind, shape, levels):
    # 512, 256, 4096 and 81 states; float64, so 1e-5 leaves room only for a wrong model.
    model = randomised(shape, kind, hidden=3, levels=levels, seed=1)
    assert total_mass(model, shape) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_first_layer_with_mask_b_is_not_normalised(kind):
    shape = (3, 2, 2)
    model = randomised(shape, kind, hidden=3, layers=1, seed=1)
    conv = model.input_conv
    wide = torch.arange(conv.out_channels) * 3 // conv.out_channels
    conv.mask.copy_(causal_mask(wide, torch.arange(3), conv.kernel_size, "B"))
    assert abs(total_mass(model, shape) - 1) > 1e-3


@pytest.mark.parametrize("kind", KINDS)
def test_samples_follow_log_prob(kind):
    # 16 binary 2x2 images: 4,000 draws against the exact probabilities by Pearson's chi^2
    # (Pyro's multinomial_goodness_of_fit returns its p-value; 1e-3 as in Pyro's tests).
    shape = (1, 2, 2)
    model = randomised(shape, kind, hidden=4, seed=2)
    images = all_images(shape, 2)
    with torch.no_grad():
        probs = model().log_prob(images).exp()
    torch.manual_seed(0)
    x = model().sample((4000,))
    index = (x.flatten(1) * torch.tensor([8.0, 4.0, 2.0, 1.0], dtype=x.dtype)).sum(1).long()
    counts = torch.bincount(index, minlength=16).double()
    assert multinomial_goodness_of_fit(probs, counts) > 1e-3


def test_colour_samples_are_on_the_grid_and_shaped():
    model = randomised((3, 2, 3), "row_lstm", hidden=3, layers=1, levels=4, seed=3)
    x = model().sample((5,))
    assert x.shape == (5, 3, 2, 3)
    k = x * 3
    assert torch.equal(k, k.round()) and k.min() >= 0 and k.max() <= 3
    assert model().log_prob(x).shape == (5,)


def test_skew_and_unskew_are_inverse_and_shift_rows():
    x = torch.arange(2 * 3 * 4, dtype=torch.float64).reshape(1, 2, 3, 4)
    s = skew(x)
    assert s.shape == (1, 2, 3, 6)
    for r in range(3):
        assert torch.equal(s[0, :, r, r: r + 4], x[0, :, r])
        assert not s[0, :, r, :r].any() and not s[0, :, r, r + 4:].any()
    assert torch.equal(unskew(s, 4), x)


@pytest.mark.parametrize("bad,match", [
    (torch.zeros(2, 1, 3, 3), r"shape \(\*batch, 1, 2, 3\)"),
    (torch.full((2, 1, 2, 3), 0.5), "off the grid"),
    (torch.full((2, 1, 2, 3), 2.0), "off the grid"),
    (torch.full((2, 1, 2, 3), float("nan")), "NaN"),
    (torch.zeros(2, 1, 2, 3, dtype=torch.long), "floating"),
])
def test_bad_images_raise(bad, match):
    with pytest.raises(ValueError, match=match):
        PixelRNN((1, 2, 3), "row_lstm", 4, 1)().log_prob(bad)


@pytest.mark.parametrize("kwargs,match", [
    ({"input_shape": (2, 3)}, "input_shape"),
    ({"variant": "pixelcnn"}, "variant"),
    ({"input_shape": (3, 2, 2), "hidden": 4}, "multiple of the 3 channels"),
    ({"levels": 1}, "levels"),
    ({"first_kernel": 4}, "odd"),
    ({"layers": 0}, "layers"),
])
def test_bad_construction_raises(kwargs, match):
    arguments = {"input_shape": (1, 2, 2), "variant": "row_lstm", "hidden": 6, **kwargs}
    with pytest.raises(ValueError, match=match):
        PixelRNN(**arguments)


def test_takes_no_context():
    with pytest.raises(ValueError, match="no context"):
        PixelRNN((1, 2, 2))(torch.zeros(1, 3))


def test_init_bias_from_data_gives_the_independent_model():
    torch.manual_seed(0)
    x = torch.bernoulli(torch.full((500, 1, 3, 3), 0.2))
    model = PixelRNN((1, 3, 3), "row_lstm", 4, 1)
    with torch.no_grad():
        model.output.weight.zero_()
    model.init_bias_from_data(x)
    p = x.mean().clamp(1e-3, 1 - 1e-3)
    expected = -(9 * (x.mean() * p.log() + (1 - x.mean()) * (1 - p).log())).item()
    assert -model().log_prob(x).mean().item() == pytest.approx(expected, rel=1e-4)
