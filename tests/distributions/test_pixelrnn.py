"""PixelRNN: causality by gradients, exact normalisation by enumeration, the wrong
implementations these catch, sampling, and input checks."""

import itertools

import pytest
import torch
import torch.nn.functional as F
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


@pytest.mark.parametrize("kind,levels", [("row_lstm", 2), ("diagonal_bilstm", 4)])
def test_the_rows_up_to_r_give_row_rs_logits_alone(kind, levels):
    # What sample_images relies on to drop the rows below the one it draws: cropping them
    # changes no logit of the rows kept (float64: only rounding could differ).
    shape = (3, 4, 3)
    model = randomised(shape, kind, levels=levels, seed=4)
    x = torch.randint(levels, (5, *shape), generator=torch.Generator().manual_seed(5))
    x = x.double() / (levels - 1)
    with torch.no_grad():
        whole = model.logits(x)
        for r in range(shape[1]):
            crop = model.logits(x[:, :, : r + 1])
            torch.testing.assert_close(crop, whole[..., : r + 1, :], rtol=0, atol=1e-12)


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


# -- the implementation against the computation written out ---------------------------------

def _masked(conv):
    return conv.weight * conv.mask


def _cell(a, c):
    o, f, i, g = a.chunk(4, 1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c


def _reference_row_lstm(lstm, x):
    """Row by row: the masked 1 x k input-to-state convolution, the 1 x 3 state-to-state
    one over the row above."""
    conv, state = lstm.input_to_state, lstm.state_to_state
    gates = F.conv2d(x, _masked(conv), conv.bias, padding=conv.padding)
    h = x.new_zeros(len(x), lstm.hidden, x.shape[-1])
    c, rows = torch.zeros_like(h), []
    for r in range(x.shape[2]):
        h, c = _cell(gates[:, :, r] + F.conv1d(h, state.weight, state.bias, padding=1), c)
        rows.append(h)
    return torch.stack(rows, 2)


def _reference_diagonal_lstm(lstm, x, zero_padding_state=False):
    """Column by column of the skewed map, every position of it (the padding too), each
    state reading the one above and its left neighbour."""
    conv, state = lstm.input_to_state, lstm.state_to_state
    gates = F.conv2d(x, _masked(conv), conv.bias)
    n, _, height, width = gates.shape
    skewed = gates.new_zeros(n, gates.shape[1], height, width + height - 1)
    for r in range(height):
        skewed[:, :, r, r: r + width] = gates[:, :, r]
    h = x.new_zeros(n, lstm.hidden, height)
    c, columns = torch.zeros_like(h), []
    for t in range(skewed.shape[-1]):
        a = skewed[..., t] + F.conv1d(F.pad(h, (1, 0)), state.weight, state.bias)
        h, c = _cell(a, c)
        if zero_padding_state:  # a plausible rewrite's mistake: zero states left of the image
            left = (torch.arange(height) > t).to(h)
            h, c = h * (1 - left), c * (1 - left)
        columns.append(h)
    steps = torch.stack(columns, -1)
    return torch.stack([steps[:, :, r, r: r + width] for r in range(height)], 2)


def reference_log_prob(model, x, zero_padding_state=False):
    """``model``'s log p(x) computed the plain way: whole masked kernels by ``F.conv2d``
    in (N, C, H, W), the recurrences as loops, tanh as ``torch.tanh``."""
    conv = model.input_conv
    r = F.conv2d(2 * x - 1, _masked(conv), conv.bias, padding=conv.padding)
    for lstm, up in zip(model.lstms, model.up, strict=True):
        if model.variant == "row_lstm":
            h = _reference_row_lstm(lstm, r)
        else:
            right = _reference_diagonal_lstm(lstm.right_to_left, r.flip(-1), zero_padding_state)
            h = (_reference_diagonal_lstm(lstm.left_to_right, r, zero_padding_state)
                 + F.pad(right.flip(-1), (0, 0, 1, 0))[:, :, :-1])
        r = r + F.conv2d(h, _masked(up), up.bias)
    hidden = F.relu(F.conv2d(F.relu(r), _masked(model.output_hidden), model.output_hidden.bias))
    logits = F.conv2d(hidden, _masked(model.output), model.output.bias)
    if model.outputs == 1:
        lp = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    else:
        n, _, height, width = logits.shape
        logits = logits.reshape(n, x.shape[1], model.outputs, height, width)
        k = (x * (model.levels - 1)).round().long().unsqueeze(2)
        lp = torch.log_softmax(logits, 2).gather(2, k).squeeze(2)
    return lp.flatten(1).sum(1)


REFERENCE_CASES = [  # shape, hidden, layers, levels, kwargs
    ((1, 4, 5), 6, 2, 2, {}),                                   # input convolution formed
    ((1, 5, 4), 16, 1, 2, {}),                                  # ... composed into layer 1
    ((3, 3, 4), 48, 2, 4, {}),                                  # colour, composed
    ((1, 4, 6), 6, 2, 2, {"first_kernel": 3, "row_kernel": 5}),  # composed, reach 2
    ((1, 1, 4), 4, 1, 2, {}), ((1, 4, 1), 4, 1, 2, {}),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape,hidden,layers,levels,kwargs", REFERENCE_CASES)
def test_log_prob_and_gradients_equal_the_computation_written_out(kind, shape, hidden, layers,
                                                                  levels, kwargs):
    model = randomised(shape, kind, hidden, layers, levels, seed=4, **kwargs)
    torch.manual_seed(5)
    x = torch.randint(0, levels, (3, *shape)).double() / (levels - 1)
    params = list(model.parameters())
    lp, expected = model().log_prob(x), reference_log_prob(model, x)
    torch.testing.assert_close(lp, expected, rtol=1e-10, atol=1e-9)
    for g, g_expected in zip(torch.autograd.grad(lp.sum(), params),
                             torch.autograd.grad(expected.sum(), params), strict=True):
        torch.testing.assert_close(g, g_expected, rtol=1e-9, atol=1e-9)


def test_the_comparison_tells_a_wrong_computation():
    # Zero states left of the image (instead of those the skewed map carries from the
    # bias) is a different model; so is a first layer that reads the current pixel.
    shape = (1, 4, 5)
    model = randomised(shape, "diagonal_bilstm", 6, 1, seed=4)
    x = torch.bernoulli(torch.full((3, *shape), 0.5, dtype=torch.float64))
    lp = model().log_prob(x)
    assert (lp - reference_log_prob(model, x, zero_padding_state=True)).abs().max() > 1e-3
    conv = model.input_conv
    wide = torch.arange(conv.out_channels) * 0
    conv.mask.copy_(causal_mask(wide, torch.arange(1), conv.kernel_size, "B"))
    assert (lp - reference_log_prob(model, x)).abs().max() > 1e-3


@pytest.mark.parametrize("rows,width,batch", [(1, 1, 1), (1, 4, 2), (4, 1, 2), (3, 5, 2),
                                              (5, 3, 1), (6, 6, 3)])
def test_scan_schedules_read_only_written_or_zeroed_slots(rows, width, batch):
    # The state buffers start uninitialised but for the slots a schedule lists as zeros:
    # every slot a step reads must be one of those or written by an earlier step, and
    # every pixel's state must be written.
    row_scan, row_unpack = pixelrnn_module._row_scan(rows, width, batch)
    diagonal_scan, _, diagonal_unpack = pixelrnn_module._diagonal_scan(rows, width, batch)
    for scan, unpack in ((row_scan, row_unpack), (diagonal_scan, diagonal_unpack)):
        zero = {int(r) * batch + k for r in scan.zero_rows for k in range(batch)}
        h_ok, e_ok = set(zero), set(range(scan.initial))
        for step in scan.steps:
            for start in step.taps:
                assert set(range(start, start + step.size)) <= h_ok
            assert set(range(step.previous, step.previous + step.size)) <= e_ok
            written = set(range(step.out, step.out + step.size))
            assert not written & zero
            if step.copy_to is not None:
                written |= set(range(step.copy_to, step.copy_to + batch))
            h_ok |= written
            e_ok |= written
        assert {int(r) * batch for r in unpack.flatten()} <= h_ok - zero


@pytest.mark.parametrize("with_gates", [True, False])
def test_scan_backward_is_the_gradient(with_gates):
    torch.manual_seed(0)
    hidden = 2
    for scan, unpack, taps in [
            (*pixelrnn_module._row_scan(3, 2, 2), 3),
            (pixelrnn_module._diagonal_scan(4, 3, 1)[0],
             pixelrnn_module._diagonal_scan(4, 3, 1)[2].flatten().repeat(2, 1), 2)]:
        directions, positions = len(unpack), sum(step.size for step in scan.steps)
        gates = torch.randn(directions, positions, 4 * hidden, dtype=torch.float64,
                            requires_grad=True) if with_gates else None
        inputs = torch.randn(directions, positions, 3, dtype=torch.float64,
                             requires_grad=True)
        weight = torch.randn(directions, taps * hidden + 3, 4 * hidden, dtype=torch.float64,
                             requires_grad=True)
        args = [a for a in (gates, inputs, weight) if a is not None]

        def scan_of(*args, scan=scan, unpack=unpack):
            g = args[0] if with_gates else None
            return pixelrnn_module._LSTMScan.apply(g, *args[-2:], scan, unpack)

        assert torch.autograd.gradcheck(scan_of, args)
