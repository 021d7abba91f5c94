r"""PixelRNN: an exact density over images whose conditionals come from two-dimensional LSTMs.

Pixels are ordered raster-wise and, within a pixel, channel-wise (R, then G given R, then B
given R and G), so that (van den Oord, Kalchbrenner & Kavukcuoglu 2016, eqs. 1-2)

.. math::

    p(x) = \prod_{i=1}^{n^2} \prod_{c \in (R, G, B)}
           p(x_{i,c} \mid x_{<i}, x_{i,<c}).

Every feature map is split into ``C`` contiguous groups, group ``g`` belonging to channel
``g``. **Masks** (sec. 3.4): at a kernel's centre, a group-``g`` output may read input
groups ``< g`` (mask A, the first layer: the pixel's own value is never seen) or ``<= g``
(mask B, every later input-to-state and output convolution); positions below the centre row,
and right of the centre in its row, are always masked.

**Row LSTM** (sec. 3.1): the input-to-state convolution is a masked one-dimensional kernel
of ``row_kernel`` pixels along the row (the paper's "k x 1"), computed for the whole image at
once; the state-to-state convolution, a 1 x 3 kernel over the previous row's hidden state,
runs row by row:

.. math:: [o, f, i, g] = \sigma(K^{ss} \circledast h_{i-1} + K^{is} \circledast x_i), \quad
          c_i = f \odot c_{i-1} + i \odot g, \quad h_i = o \odot \tanh(c_i)

(eq. 3; :math:`\sigma` is the logistic sigmoid for o, f, i and tanh for g). Its receptive
field is a triangle above the pixel.

**Diagonal BiLSTM** (sec. 3.2): the input map is *skewed* (row ``r`` shifted right by
``r``), so each column of the skewed map is a diagonal of the image; a 1 x 1 masked
input-to-state convolution and a 2 x 1 state-to-state convolution over the previous column
(the left neighbour and the pixel above, in image coordinates) run column by column, and the
result is unskewed. A second direction runs on the horizontally flipped map; its output is
**shifted down one row** before it is added, because unshifted it would read the pixels to
the right in the current row, which come later (the "known wrong" implementation the tests
catch). Together the two directions see the whole earlier context but one value a row:
the last channel of a row's last pixel reaches the row below only through the first
kernel's reach (mask A hides it from its own pixel, and no pixel lies to its right), so
pixels more than ``first_kernel // 2`` columns left of it see it one row later
(``tests/distributions/test_pixelrnn.py`` pins this down exactly).

**Around them** (sec. 3.3, Table 1): a ``first_kernel`` x ``first_kernel`` mask-A
convolution to ``2h`` features; ``layers`` LSTM layers of ``h`` units, each followed by a
1 x 1 mask-B convolution back to ``2h`` and a residual connection; then ReLU, a 1 x 1
mask-B convolution, ReLU, and a 1 x 1 mask-B convolution to the outputs: one logit per
channel (``levels = 2``, a Bernoulli) or a ``levels``-way softmax per channel (sec. 2.2).

Images are ``(N, C, H, W)`` floats ``k / (levels - 1)``. Inside, maps are *features last*,
``(H, W, N, F)``: every 1 x 1 convolution is one matrix product over all positions, and the
first convolution one product with the image's patches (composed with the first LSTM's
input-to-state kernel when that is cheaper). The recurrences are loops over rows (or
diagonals) because the model is sequential by definition, run by one autograd function
with a hand-written backward (``_LSTMScan``): per step one batched matrix product and a
few element-wise operations on that step's positions, reading the previous states in place;
the Diagonal BiLSTM runs both directions in one loop and computes only the image's pixels
(plus one row a step of the states the skewed map carries left of the image). Sampling is
ancestral, one pixel and channel at a time, and recomputes the network each step (simple
and exact; it costs ``H W C`` forward passes).

References:

1. van den Oord, Kalchbrenner & Kavukcuoglu, "Pixel Recurrent Neural Networks", ICML 2016.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from pyro.distributions import TorchDistribution
from torch import Tensor, nn
from torch.autograd.function import once_differentiable
from torch.distributions import constraints

from ppl_models.abilities import DataInitialised
from ppl_models.distributions.lazy import LazyDistribution
from ppl_models.distributions.lstm_kernel import LSTMKernel, lstm_kernel
from ppl_models.registry import Option, register


class _GreyLevels(constraints.Constraint):
    """Values ``k / (levels - 1)`` in [0, 1]: discrete (a mass function, not a density);
    ``check`` tests the interval, the level count lives in the model."""

    is_discrete = True
    event_dim = 0

    def check(self, value):
        return (value >= 0) & (value <= 1)

    def __repr__(self):
        return "GreyLevels()"


_GREY_LEVELS = _GreyLevels()

__all__ = ["KINDS", "DiagonalBiLSTM", "MaskedConv2d", "PixelRNN", "PixelRNNDistribution",
           "RowLSTM", "causal_mask", "channel_groups", "skew", "unskew"]

KINDS = ("row_lstm", "diagonal_bilstm")


def channel_groups(features: int, channels: int) -> Tensor:
    """The channel group of each of ``features`` features: ``C`` contiguous blocks."""
    if features % channels:
        raise ValueError(f"features ({features}) must be a multiple of channels ({channels})")
    return torch.arange(features) * channels // features


def causal_mask(out_groups: Tensor, in_groups: Tensor, kernel: tuple[int, int],
                mask_type: str) -> Tensor:
    """A ``(out, in, kh, kw)`` 0/1 mask: nothing below the centre row or right of the centre
    in it; at the centre, output group ``g`` reads input groups ``< g`` (``"A"``) or
    ``<= g`` (``"B"``) (van den Oord et al. 2016, sec. 3.4)."""
    if mask_type not in ("A", "B"):
        raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
    kh, kw = kernel
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"a masked kernel must have odd sizes, got {kernel}")
    mask = torch.ones(len(out_groups), len(in_groups), kh, kw)
    mask[:, :, kh // 2 + 1:] = 0
    mask[:, :, kh // 2, kw // 2 + 1:] = 0
    out_g, in_g = out_groups[:, None], in_groups[None, :]
    mask[:, :, kh // 2, kw // 2] = (out_g > in_g if mask_type == "A" else out_g >= in_g).float()
    return mask


class MaskedConv2d(nn.Conv2d):
    """A same-size convolution whose weight is multiplied by :func:`causal_mask` (a buffer).

    :param Tensor in_groups: channel group of each input feature.
    :param Tensor out_groups: channel group of each output feature.
    :param kernel: ``(kh, kw)``, odd sizes.
    :param str mask_type: ``"A"`` or ``"B"``.
    """

    def __init__(self, in_groups: Tensor, out_groups: Tensor, kernel: tuple[int, int],
                 mask_type: str):
        super().__init__(len(in_groups), len(out_groups), kernel,
                         padding=(kernel[0] // 2, kernel[1] // 2))
        self.register_buffer("mask", causal_mask(out_groups, in_groups, kernel, mask_type))

    def forward(self, x: Tensor) -> Tensor:
        # Convolve with the part of the kernel the mask can keep: the rows down to the
        # centre and, for a one-row kernel, the columns up to the centre (the rest is zero
        # by the mask), padding only the sides it reaches. Same result, and e.g. the
        # 7 x 7 first kernel costs 4/7 and the Row LSTM's 1 x 3 kernel 2/3 of the
        # arithmetic.
        kh, kw = self.kernel_size
        rows, cols = kh // 2 + 1, (kw // 2 + 1 if kh == 1 else kw)
        weight = (self.weight * self.mask)[..., :rows, :cols]
        padded = F.pad(x, (kw // 2, cols - kw // 2 - 1, kh // 2, 0))
        return F.conv2d(padded, weight, self.bias)


def _pointwise(conv: MaskedConv2d, x: Tensor) -> Tensor:
    """A masked 1 x 1 convolution of features-last ``x`` ``(..., F)``: ``(..., F')``."""
    return F.linear(x, (conv.weight * conv.mask)[:, :, 0, 0], conv.bias)


def _window(x: Tensor, kernel: tuple[int, int], reach: int = 0) -> Tensor:
    """The patches of ``(N, C, H, W)`` images that a masked ``kernel`` reads at ``reach + 1``
    neighbouring columns ``j - reach .. j``, features last: ``(H, W, N, C T + 1)``, per
    channel the ``kh // 2`` rows above over columns ``j - kw // 2 - reach .. j + kw // 2``,
    then row ``r`` over columns ``j - kw // 2 - reach .. j`` (the rest is zero by any causal
    mask; zero outside the image), and a constant 1 last (the bias's feature)."""
    kh, kw = kernel
    n, channels, height, width = x.shape
    above, centre = kh // 2 * (kw + reach), reach + kw // 2 + 1
    padded = F.pad(x.permute(2, 3, 0, 1), (0, 0, 0, 0, kw // 2 + reach, kw // 2, kh // 2, 0))
    out = x.new_empty(height, width, n, channels * (above + centre) + 1)
    patches = out[..., :-1].unflatten(-1, (channels, above + centre))
    if above:
        patches[..., :above].unflatten(-1, (kh // 2, kw + reach)).copy_(
            padded[:-1].unfold(0, kh // 2, 1).unfold(1, kw + reach, 1))
    patches[..., above:].copy_(padded[kh // 2:, : width + centre - 1].unfold(1, centre, 1))
    out[..., -1] = 1
    return out


def _window_matrix(conv: MaskedConv2d, reach: int = 0, shift: int = 0) -> Tensor:
    """``conv``'s masked kernel as the ``(out, C T)`` matrix that multiplies :func:`_window`
    patches (but their constant), read at column ``j - reach + shift`` (``shift = reach``:
    the column itself)."""
    kh, kw = conv.kernel_size
    kernel = conv.weight * conv.mask
    pad = (shift, reach - shift)
    return torch.cat([F.pad(kernel[:, :, : kh // 2], pad).flatten(2),
                      F.pad(kernel[:, :, kh // 2, : kw // 2 + 1], pad)], 2).flatten(1)


def _kernel_matrix(weight: Tensor) -> Tensor:
    """A ``(out, in, k)`` kernel as the ``(k in, out)`` matrix that multiplies its ``k``
    taps' features concatenated in the kernel's column order."""
    return weight.permute(2, 1, 0).reshape(-1, weight.shape[0])


@dataclass(frozen=True)
class _Step:
    """One step of a :class:`_Scan`: ``size`` positions computed at once. Offsets count
    positions (a row of the batch is ``batch`` positions): in the state buffers ``(D,
    slots, h)``, or, for ``gates``, in the gates ``(D, positions, 4h)``."""

    size: int
    taps: tuple[int, ...]  # where each state-to-state tap starts (in the previous block)
    gates: int             # where this step's input-to-state pre-activations start
    out: int               # where this step's states go
    previous: int          # where the cell states it continues start
    copy_to: int | None    # a slot the last row of states is copied to (None: none)


@dataclass(frozen=True)
class _Scan:
    """The static schedule of a recurrence: its steps, the state buffers' size, the batch
    (the length of a row of positions) and the slots that must start at zero."""

    steps: tuple[_Step, ...]
    slots: int
    batch: int
    zero_rows: Tensor  # the rows of ``batch`` slots read as zeros (never written)
    initial: int       # slots of cell states read before any step writes them (zeros)


def _doubled_g(weight: Tensor) -> Tensor:
    """``weight`` (``(..., 4h)``, columns o, f, i, g) with the g columns doubled: what
    :class:`_LSTMScan` multiplies."""
    hidden = weight.shape[-1] // 4
    return torch.cat([weight[..., : 3 * hidden], 2 * weight[..., 3 * hidden:]], -1)


class _LSTMScan(torch.autograd.Function):
    r"""The LSTM recurrence of eq. 3 over a :class:`_Scan`, with a hand-written backward.

    ``gates``: ``(D, positions, 4h)`` input-to-state pre-activations, or None; ``inputs``:
    ``(D, positions, F)`` features multiplied at each step with the last ``F`` rows of the
    weight, or None; ``weight``: ``(D, taps h + F, 4h)``, the state-to-state kernel's taps
    stacked, then the inputs' rows; columns o, f, i, g, the g columns of ``gates`` and
    ``weight`` doubled (:func:`_doubled_g`). ``unpack``: ``(D, M)``, the state row (of
    ``batch`` slots) of each output. Returns the states ``(D, M, batch, h)``.

    Per step it is one batched matrix product and a handful of element-wise operations on
    that step's positions only, the previous states read in place: no copies of the maps
    and no autograd nodes per step. The backward runs the steps in reverse and gets the
    weight's gradient as one matrix product at the end. ``tanh`` is computed as
    :math:`2 \sigma(2 x) - 1` (torch's CPU tanh costs several times its sigmoid): with the
    g columns doubled one sigmoid serves all four gates, :math:`g = 2 (\sigma_g - 1/2)`,
    and the cell state is kept halved, :math:`e = c / 2 = f e + i (\sigma_g - 1/2)`, so
    that :math:`\tanh c = 2 \sigma(4 e) - 1` and no gradient carries a constant factor.
    In float32 on the CPU a step's element-wise work, forward and backward, is one call of
    :mod:`~ppl_models.distributions.lstm_kernel` (where it is built).
    """

    @staticmethod
    def forward(ctx, gates: Tensor | None, inputs: Tensor | None, weight: Tensor,
                scan: _Scan, unpack: Tensor) -> Tensor:
        directions, width = weight.shape[0], weight.shape[-1]
        hidden, n = width // 4, scan.batch
        positions = sum(step.size for step in scan.steps)
        h = weight.new_empty(directions, scan.slots // n, n * hidden)
        h.index_fill_(1, scan.zero_rows.to(h.device), 0)
        h = h.view(directions, scan.slots, hidden)
        e = torch.empty_like(h)  # half the cell state
        e[:, : scan.initial] = 0
        taps_all = weight.new_empty(directions, positions, weight.shape[1])
        # Per-step views made once (one call each): the loop's cost is mostly calls.
        sizes = [step.size for step in scan.steps]
        none = [None] * len(sizes)
        gate_steps = none if gates is None else gates.split(sizes, 1)
        input_steps = none if inputs is None else inputs.split(sizes, 1)
        kernel = lstm_kernel() if LSTMKernel.accepts(weight) else None
        tanh_steps = (none if kernel is None else
                      weight.new_empty(directions, positions, hidden).split(sizes, 1))
        saved = []
        for step, taps_out, gates_in, inputs_in, tanh_out in zip(
                scan.steps, taps_all.split(sizes, 1), gate_steps, input_steps, tanh_steps,
                strict=True):
            p, out = step.size, step.out
            taps = [h.narrow(1, t, p) for t in step.taps]
            if inputs_in is not None:
                taps.append(inputs_in)
            taps = torch.cat(taps, 2, out=taps_out)
            if gates_in is None:
                s = torch.bmm(taps, weight)
            else:
                s = torch.baddbmm(gates_in, taps, weight)
            previous = e.narrow(1, step.previous, p)
            if kernel is not None:  # the step's element-wise work in one call
                kernel.step(s, previous, e.narrow(1, out, p), h.narrow(1, out, p), tanh_out)
                g, tanh_c = None, tanh_out
            else:
                o, f, i, g = s.sigmoid_().split(hidden, 2)
                g = g - 0.5  # tanh(a_g) / 2
                e_new = torch.mul(f, previous, out=e.narrow(1, out, p))
                tanh_c = torch.sigmoid_(e_new.addcmul_(i, g).mul(4)).mul_(2).sub_(1)
                torch.mul(o, tanh_c, out=h.narrow(1, out, p))
            if step.copy_to is not None:
                h.narrow(1, step.copy_to, n).copy_(h.narrow(1, out + p - n, n))
                e.narrow(1, step.copy_to, n).copy_(e.narrow(1, out + p - n, n))
            saved.append((s, g, tanh_c))
        ctx.scan, ctx.steps, ctx.e, ctx.taps, ctx.weight = scan, saved, e, taps_all, weight
        ctx.kernel = kernel
        ctx.unpack = unpack = _flat_rows(unpack, scan.slots // n)
        return h.view(-1, n, hidden).index_select(0, unpack).view(directions, -1, n, hidden)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        scan, weight, e = ctx.scan, ctx.weight, ctx.e
        hidden, n = weight.shape[-1] // 4, scan.batch
        state_taps = len(scan.steps[0].taps) * hidden
        weight_t = weight[:, :state_taps].transpose(1, 2)
        dh_all = torch.zeros_like(e)
        dh_all.view(-1, n, hidden).index_copy_(0, ctx.unpack, grad.reshape(-1, n, hidden))
        de_all = torch.zeros_like(e)
        d_gates = torch.empty_like(ctx.taps[..., :1].expand(-1, -1, 4 * hidden),
                                   memory_format=torch.contiguous_format)
        two = weight.new_tensor(2.0)
        split = [hidden, 3 * hidden]
        d_steps = d_gates.split([step.size for step in scan.steps], 1)
        for step, (s, g, tanh_c), da in zip(reversed(scan.steps), reversed(ctx.steps),
                                            reversed(d_steps), strict=True):
            p, out = step.size, step.out
            if step.copy_to is not None:
                dh_all.narrow(1, out + p - n, n).add_(dh_all.narrow(1, step.copy_to, n))
                de_all.narrow(1, out + p - n, n).add_(de_all.narrow(1, step.copy_to, n))
            dh, de = dh_all.narrow(1, out, p), de_all.narrow(1, out, p)  # de: from step + 1
            previous, de_previous = (e.narrow(1, step.previous, p),
                                     de_all.narrow(1, step.previous, p))
            if ctx.kernel is not None:
                ctx.kernel.step_backward(s, tanh_c, previous, dh, de, de_previous, da)
            else:
                o, f, i, _ = s.split(hidden, 2)
                ds_o, ds_fig = torch.addcmul(s, s, s, value=-1).split(split, 2)  # sigma'
                da_o, da_fig = da.split(split, 2)
                # h = o tanh(2 e): d tanh(2 e) / de = 2 (1 - tanh^2)
                de.addcmul_(dh * o, torch.addcmul(two, tanh_c, tanh_c, value=-2))
                torch.mul(dh * tanh_c, ds_o, out=da_o)
                fig = torch.cat([previous, g, i], 2).mul_(ds_fig)
                torch.mul(fig, torch.cat([de, de, de], 2), out=da_fig)
                de_previous.addcmul_(de, f)
            d_taps = torch.bmm(da, weight_t).split(hidden, 2)
            for t, d_tap in zip(step.taps, d_taps, strict=True):
                dh_all.narrow(1, t, p).add_(d_tap)
        d_inputs = None
        if ctx.needs_input_grad[1]:
            d_inputs = torch.bmm(d_gates, weight[:, state_taps:].transpose(1, 2))
        return (d_gates if ctx.needs_input_grad[0] else None, d_inputs,
                torch.bmm(ctx.taps.transpose(1, 2), d_gates), None, None)


def _flat_rows(rows: Tensor, per_direction: int) -> Tensor:
    """``(D, M)`` row indices into each direction's buffer as indices into all ``D``
    buffers' rows."""
    offsets = torch.arange(len(rows), device=rows.device)[:, None] * per_direction
    return (rows + offsets).flatten()


@functools.lru_cache(maxsize=32)
def _row_scan(rows: int, width: int, batch: int) -> tuple[_Scan, Tensor]:
    """The Row LSTM's schedule and the state row of each pixel: one step per row, reading
    the row above through three taps (columns ``j - 1, j, j + 1``). State block ``r`` (block
    0 is the zero state above the first row) holds a zero column, the row's ``width``
    columns and a zero column."""
    block, row = (width + 2) * batch, width * batch
    steps = tuple(
        _Step(size=row, taps=(r * block, r * block + batch, r * block + 2 * batch),
              gates=r * row, out=(r + 1) * block + batch, previous=r * block + batch,
              copy_to=None)
        for r in range(rows))
    columns = torch.arange((rows + 1) * (width + 2)).view(rows + 1, width + 2)
    zero = torch.cat([columns[0], columns[1:, 0], columns[1:, -1]])
    return (_Scan(steps, (rows + 1) * block, batch, zero, block),
            columns[1:, 1:-1].reshape(1, -1))


@functools.lru_cache(maxsize=32)
def _diagonal_scan(rows: int, width: int, batch: int) -> tuple[_Scan, Tensor, Tensor]:
    """The Diagonal LSTM's schedule over the skewed map, computing only what the image
    needs; returns the schedule, the packing index (the pixel ``r W + j`` whose input each
    computed row of ``batch`` positions reads; ``H W``: none) and the unpacking index (the
    row of states of each pixel ``(r, j)``).

    Step ``t`` computes the pixels ``(r, t - r)`` inside the image (rows ``lo .. hi``),
    each reading the pixel above and the left neighbour in the previous step's block.
    Left of the image, the skewed map's states are not zero: they start from the bias
    alone and, all alike, evolve by reading one another; the first pixel of row ``r``
    reads that state after ``r`` steps. So each step also computes *one* such padding row
    (``hi + 1``, input zero) and copies it once more (``hi + 2``, the left neighbour of the
    next step's padding row), instead of the whole triangle left of the image. Block ``t``
    holds a zero row (the row above row 0), rows ``lo .. hi``, the padding row and its
    copy. Right of the image nothing is computed: no pixel reads it.
    """
    steps, pack = [], []
    unpack = torch.empty(rows, width, dtype=torch.long)
    base_prev, lo_prev, base, position = 0, 0, 3 * batch, 0  # block -1: three zero rows
    for t in range(rows + width - 1):
        lo, hi = max(0, t - width + 1), min(t, rows - 1)
        padded, copied = t + 1 <= rows - 1, t + 2 <= rows - 1
        computed = hi - lo + 1 + padded
        shift = lo - lo_prev
        steps.append(_Step(
            size=computed * batch,
            taps=(base_prev + shift * batch, base_prev + (shift + 1) * batch),
            gates=position, out=base + batch, previous=base_prev + (shift + 1) * batch,
            copy_to=base + (1 + computed) * batch if copied else None))
        for r in range(lo, hi + 1):
            pack.append(r * width + t - r)
            unpack[r, t - r] = base // batch + 1 + r - lo
        if padded:
            pack.append(rows * width)  # no input
        base_prev, lo_prev = base, lo
        base += (1 + computed + copied) * batch
        position += computed * batch
    zero = torch.tensor([0, 1, 2] + [step.out // batch - 1 for step in steps])
    return _Scan(tuple(steps), base, batch, zero, 3 * batch), torch.tensor(pack), unpack


class RowLSTM(nn.Module):
    """One Row LSTM layer over features-last maps: ``(H, W, N, F) -> (H, W, N, h)``.

    :param Tensor in_groups: channel group of each input feature.
    :param Tensor hidden_groups: channel group of each of the ``h`` hidden units.
    :param int row_kernel: width of the masked input-to-state kernel (odd).
    """

    def __init__(self, in_groups: Tensor, hidden_groups: Tensor, row_kernel: int = 3):
        super().__init__()
        self.hidden = len(hidden_groups)
        self.input_to_state = MaskedConv2d(in_groups, hidden_groups.repeat(4),
                                           (1, row_kernel), "B")
        # The row above is entirely earlier in raster order: no mask.
        self.state_to_state = nn.Conv1d(self.hidden, 4 * self.hidden, 3, padding=1)

    def forward(self, x: Tensor, first: MaskedConv2d | None = None) -> Tensor:
        """The layer's output for input ``x``.

        :param first: when given, ``x`` holds the image's ``_window`` patches for this
            layer's reach and the layer's input is the convolution ``first`` of the image;
            the two kernels are composed into one instead of forming that input.
        """
        n = x.shape[2]
        rows, width = x.shape[:2]
        conv, state = self.input_to_state, self.state_to_state
        # The masked 1 x k kernel reads columns j - reach .. j (mask B zeroes the rest), for
        # every row at once; the 1 x 3 state-to-state kernel columns j - 1, j, j + 1 of
        # the row above, row by row.
        reach = conv.kernel_size[1] // 2
        kernel = (conv.weight * conv.mask)[:, :, 0, : reach + 1]
        bias = conv.bias + state.bias
        if first is None:
            taps = F.pad(x, (0, 0, 0, 0, reach, 0)).unfold(1, reach + 1, 1)
            gates = F.linear(taps.flatten(3), _doubled_g(kernel.flatten(1).T).T,
                             _doubled_g(bias))
        else:
            # Tap k reads the input column j - reach + k: the first kernel at that shift,
            # and its bias through the patches' constant. Columns j < reach lack the taps
            # left of the image (zero padding there): their own product.
            def composed(taps: range) -> Tensor:
                weight = sum(kernel[:, :, k] @ torch.cat([_window_matrix(first, reach, k),
                                                          first.bias[:, None]], 1)
                             for k in taps)
                weight[:, -1] += bias
                return _doubled_g(weight.T).T

            gates = F.linear(x, composed(range(reach + 1)))
            for j in range(min(reach, width)):
                gates[:, j] = F.linear(x[:, j], composed(range(reach - j, reach + 1)))
        scan, unpack = _row_scan(rows, width, n)
        h = _LSTMScan.apply(gates.reshape(1, -1, 4 * self.hidden), None,
                            _doubled_g(_kernel_matrix(state.weight))[None], scan,
                            unpack.to(x.device))
        return h.view(rows, width, n, self.hidden)


def skew(x: Tensor) -> Tensor:
    """``(*lead, H, W) -> (*lead, H, W + H - 1)``, row ``r`` shifted right by ``r``.

    Padding each row to ``W + H`` and reading the flat buffer with rows of ``W + H - 1``
    moves element ``(r, j)`` to ``(r, r + j)``: one pad and one reshape, no loop.
    """
    *lead, h, w = x.shape
    flat = F.pad(x, (0, h)).reshape(*lead, h * (w + h))
    return flat[..., : h * (w + h - 1)].reshape(*lead, h, w + h - 1)


def unskew(x: Tensor, width: int) -> Tensor:
    """Inverse of :func:`skew`: ``(*lead, H, W + H - 1) -> (*lead, H, W)``."""
    *lead, h, _ = x.shape
    flat = F.pad(x.reshape(*lead, h * (width + h - 1)), (0, h))
    return flat.reshape(*lead, h, width + h)[..., :width]


def _shift_down(x: Tensor) -> Tensor:
    """Move a features-last map ``(H, W, N, F)`` down one row (row 0 becomes zeros): what
    makes the right-to-left direction causal."""
    return F.pad(x, (0, 0, 0, 0, 0, 0, 1, 0))[:-1]


class DiagonalLSTM(nn.Module):
    """One direction of the Diagonal BiLSTM (left to right) over features-last maps:
    ``(H, W, N, F) -> (H, W, N, h)``.

    Each state reads its left neighbour and the pixel above (a 2 x 1 convolution over the
    previous column of the skewed map), so it sees everything above and to the left.
    """

    def __init__(self, in_groups: Tensor, hidden_groups: Tensor):
        super().__init__()
        self.hidden = len(hidden_groups)
        self.input_to_state = MaskedConv2d(in_groups, hidden_groups.repeat(4), (1, 1), "B")
        self.state_to_state = nn.Conv1d(self.hidden, 4 * self.hidden, 2)

    def forward(self, x: Tensor, first: MaskedConv2d | None = None) -> Tensor:
        """:param first: as :meth:`RowLSTM.forward`'s (with a reach of 0)."""
        return _diagonal_lstms(x, (self,), first)[0]


def _diagonal_lstms(x: Tensor, directions, first: MaskedConv2d | None = None,
                    shift_second: bool = False) -> Tensor:
    """Diagonal LSTMs of ``D`` directions (left to right, then right to left: the map
    mirrored) over features-last ``x``: ``(D, H, W, N, h)``, each in ``x``'s coordinates.

    Both directions run in one recurrence (a batched matrix product per step). Their
    inputs are gathered once into each direction's diagonal order, with a constant
    feature that carries the input-to-state bias (zero on the padding rows), and their
    states gathered back once. ``first``: as :meth:`RowLSTM.forward`'s. ``shift_second``:
    the second direction's states come out shifted down one row (:func:`_shift_down` of
    where they are read: row 0 reads a zero slot), at no cost.
    """
    rows, width, n, features = x.shape
    scan, pack, unpack = _diagonal_scan(rows, width, n)
    pack, unpack = pack.to(x.device), unpack.to(x.device)
    mirror = torch.arange(width - 1, -1, -1, device=x.device)
    # Features: the input, an indicator (1; the composed patches' own constant) that
    # carries the input-to-state bias, and a constant 1 for the state-to-state bias; a
    # last row for the padding rows, where only the constant is 1.
    source = F.pad(x.reshape(rows * width, n, features), (0, 1 + (first is None), 0, 0, 0, 1),
                   value=1.0)
    source[-1, :, :-1] = 0
    # Direction 1 reads the mirrored image: its pixel (r, j) is x's (r, W - 1 - j).
    to_mirror = torch.cat([mirror + r * width for r in range(rows)]
                          + [pack.new_tensor([rows * width])])
    index = torch.cat([pack, to_mirror[pack]][: len(directions)])
    inputs = source.index_select(0, index).reshape(len(directions), -1, source.shape[-1])
    input_weight = []
    for d in directions:
        conv = d.input_to_state
        kernel = (conv.weight * conv.mask)[:, :, 0, 0]
        if first is not None:
            kernel = kernel @ torch.cat([_window_matrix(first), first.bias[:, None]], 1)
            kernel[:, -1] += conv.bias
        else:
            kernel = torch.cat([kernel, conv.bias[:, None]], 1)
        input_weight.append(torch.cat([kernel, d.state_to_state.bias[:, None]], 1))
    # The input-to-state product is part of each step's product: no gates map.
    weight = torch.stack([torch.cat([_kernel_matrix(d.state_to_state.weight), w.T])
                          for d, w in zip(directions, input_weight, strict=True)])
    second = unpack[:, mirror]
    if shift_second:  # slot row 0 is zero (the initial block's)
        second = _shift_down(second[:, :, None, None])[:, :, 0, 0]
    unpack = torch.stack([unpack.flatten(), second.flatten()])
    h = _LSTMScan.apply(None, inputs, _doubled_g(weight), scan, unpack[: len(directions)])
    return h.view(len(directions), rows, width, n, h.shape[-1])


class DiagonalBiLSTM(nn.Module):
    """Both directions over features-last maps, ``(H, W, N, F) -> (H, W, N, h)``:
    left-to-right plus right-to-left shifted down one row.

    The two directions run in one recurrence (a batched matrix product per step); each
    keeps its own parameters.
    """

    def __init__(self, in_groups: Tensor, hidden_groups: Tensor):
        super().__init__()
        self.left_to_right = DiagonalLSTM(in_groups, hidden_groups)
        self.right_to_left = DiagonalLSTM(in_groups, hidden_groups)

    def forward(self, x: Tensor, first: MaskedConv2d | None = None) -> Tensor:
        """:param first: as :meth:`RowLSTM.forward`'s (with a reach of 0)."""
        forward, backward = _diagonal_lstms(x, (self.left_to_right, self.right_to_left),
                                            first, shift_second=True)
        return forward + backward


@register("pixelrnn", "exact",
          # The flag is --kind, as the issue names it; the keyword cannot be ``kind``,
          # which registry.build(kind, **config) takes for the model kind.
          options=(Option("variant", "row_lstm", "PixelRNN layer: row_lstm or diagonal_bilstm",
                          flag="--kind", type=str, choices=KINDS),
                   Option("hidden", 32, "hidden units"),
                   Option("layers", 2, "PixelRNN LSTM layers")))
class PixelRNN(LazyDistribution, DataInitialised):
    """PixelRNN over ``(C, H, W)`` images with ``levels`` values per channel.

    ``PixelRNN(input_shape, variant, hidden, layers)()`` is a Pyro distribution over images
    ``(C, H, W)`` with values ``k / (levels - 1)``, exact ``log_prob`` (nats) and
    raster-then-channel ancestral ``sample``.

    :param input_shape: ``(C, H, W)``; ``C`` must divide ``hidden``.
    :param str variant: ``"row_lstm"`` or ``"diagonal_bilstm"`` (``--kind`` on the command
        line).
    :param int hidden: LSTM units ``h`` per layer (the residual stream has ``2h``).
    :param int layers: LSTM layers.
    :param int levels: values per channel: 2 (Bernoulli) or ``K`` (``K``-way softmax).
    :param int first_kernel: size of the first, mask-A convolution (odd).
    :param int row_kernel: width of the Row LSTM's input-to-state kernel (odd).
    """

    def __init__(self, input_shape, variant: str = "row_lstm", hidden: int = 32,
                 layers: int = 2, levels: int = 2, first_kernel: int = 7,
                 row_kernel: int = 3):
        super().__init__()
        shape = tuple(int(s) for s in input_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"input_shape must be (C, H, W) of positive sizes, got "
                             f"{tuple(input_shape)}")
        if variant not in KINDS:
            raise ValueError(f"variant must be one of {KINDS}, got {variant!r}")
        for name, value in (("hidden", hidden), ("layers", layers), ("levels", levels),
                            ("first_kernel", first_kernel), ("row_kernel", row_kernel)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if levels < 2:
            raise ValueError(f"levels must be >= 2, got {levels}")
        if first_kernel % 2 == 0 or row_kernel % 2 == 0:
            raise ValueError(f"first_kernel and row_kernel must be odd, got {first_kernel} "
                             f"and {row_kernel}")
        channels = shape[0]
        if hidden % channels:
            raise ValueError(f"hidden must be a multiple of the {channels} channels (one "
                             f"group of units per channel), got {hidden}")
        self.input_shape, self.variant, self.hidden = shape, variant, hidden
        self.layers = layers
        self.levels, self.first_kernel, self.row_kernel = levels, first_kernel, row_kernel
        self.outputs = 1 if levels == 2 else levels
        pixel = torch.arange(channels)
        wide, narrow = channel_groups(2 * hidden, channels), channel_groups(hidden, channels)
        self.input_conv = MaskedConv2d(pixel, wide, (first_kernel, first_kernel), "A")
        if variant == "row_lstm":
            self.lstms = nn.ModuleList(RowLSTM(wide, narrow, row_kernel) for _ in range(layers))
        else:
            self.lstms = nn.ModuleList(DiagonalBiLSTM(wide, narrow) for _ in range(layers))
        self.up = nn.ModuleList(MaskedConv2d(narrow, wide, (1, 1), "B") for _ in range(layers))
        self.output_hidden = MaskedConv2d(wide, wide, (1, 1), "B")
        self.output = MaskedConv2d(wide, pixel.repeat_interleave(self.outputs), (1, 1), "B")
        self.max_rows = 256

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.input_shape), "variant": self.variant,
                "hidden": self.hidden, "layers": self.layers, "levels": self.levels,
                "first_kernel": self.first_kernel, "row_kernel": self.row_kernel}

    def forward(self, context: Tensor | None = None) -> PixelRNNDistribution:
        """The distribution over images; PixelRNN takes no context."""
        if context is not None:
            raise ValueError("PixelRNN takes no context")
        return PixelRNNDistribution(self)

    def logits(self, x: Tensor) -> Tensor:
        """Logits of every conditional (teacher forcing): ``(N, C, H, W)`` for
        ``levels = 2``, else ``(N, C, levels, H, W)``; those of pixel ``i``, channel ``c``
        depend on ``x`` before ``(i, c)`` in raster-then-channel order only.

        :param x: ``(N, C, H, W)`` images (values are not checked here).
        """
        # Features last from the first convolution on: every later convolution is 1 x 1,
        # a matrix product over the positions, and the recurrences read that layout.
        # The input convolution as a product with the image's patches, over the columns
        # the first LSTM's input-to-state kernel reads too (its reach).
        conv = self.input_conv
        reach = self.row_kernel // 2 if self.variant == "row_lstm" else 0
        patches = _window(2 * x - 1, conv.kernel_size, reach)
        matrix = torch.cat([_window_matrix(conv, reach, reach), conv.bias[:, None]], 1)
        # The first input-to-state kernel composed with the input convolution reads the
        # patches directly when they are narrower than its input: fewer products, and no
        # gradient to form for that input.
        compose = patches.shape[-1] - 1 <= (reach + 1) * len(matrix)
        r = None if compose else F.linear(patches, matrix)
        for lstm, up in zip(self.lstms, self.up, strict=True):
            weight = (up.weight * up.mask)[:, :, 0, 0]
            if r is None:
                h = lstm(patches, conv)
                # The input convolution is needed only here: it carries up's bias, and
                # the residual sum is the product's own accumulation.
                r = F.linear(patches, torch.cat([matrix[:, :-1],
                                                 (matrix[:, -1] + up.bias)[:, None]], 1))
                r = torch.addmm(r.flatten(0, 2), h.flatten(0, 2), weight.T).view(r.shape)
            else:
                r = r + F.linear(lstm(r), weight, up.bias)
        out = _pointwise(self.output, F.relu(_pointwise(self.output_hidden, F.relu(r))))
        out = out.permute(2, 3, 0, 1).contiguous()
        if self.outputs == 1:
            return out
        n, _, h, w = out.shape
        return out.reshape(n, self.input_shape[0], self.outputs, h, w)

    @torch.no_grad()
    def init_bias_from_data(self, x: Tensor) -> None:
        """Start the output biases at each channel's marginal (log-odds, or smoothed log
        frequencies of the levels), so training starts at the independent model.

        :param x: ``(N, C, H, W)`` training images.
        """
        check_image(x, self.input_shape, self.levels, "x")
        k = (x * (self.levels - 1)).round().long().transpose(0, 1).reshape(len(x[0]), -1)
        if self.outputs == 1:
            bias = torch.logit(k.double().mean(1).clamp(1e-3, 1 - 1e-3))
        else:
            counts = F.one_hot(k, self.levels).sum(1).double() + 1
            bias = (counts / counts.sum(1, keepdim=True)).log().flatten()
        self.output.bias.copy_(bias.to(self.output.bias))

    def log_prob_images(self, x: Tensor) -> Tensor:
        """:math:`\\log p(x)` in nats, ``(N,)``, for checked ``(N, C, H, W)`` images."""
        if len(x) == 0:
            # The Diagonal BiLSTM's recurrence cannot reshape an empty batch; no image has
            # no log-density to compute, for either variant.
            return x.new_zeros(0)
        if not torch.is_grad_enabled() and len(x) > self.max_rows:
            # Evaluation in chunks: the activations of a large batch of 28x28 images would
            # take gigabytes and gain nothing.
            return torch.cat([self.log_prob_images(b) for b in x.split(self.max_rows)])
        logits = self.logits(x)
        if self.outputs == 1:
            lp = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        else:
            k = (x * (self.levels - 1)).round().long().unsqueeze(2)
            lp = torch.log_softmax(logits, 2).gather(2, k).squeeze(2)
        return lp.flatten(1).sum(1)

    def sample_images(self, n: int) -> Tensor:
        """``n`` ancestral draws ``(n, C, H, W)``: pixel by pixel in raster order, channel by
        channel within a pixel."""
        channels, rows, width = self.input_shape
        x = self.output.weight.new_zeros(n, channels, rows, width)
        for r in range(rows):
            # Row r's conditionals read rows 0 .. r only (the masks and the recurrences run
            # top to bottom), so the rows below are left out: half the work of a draw.
            above = x[:, :, : r + 1]
            for j in range(width):
                for c in range(channels):
                    logits = self.logits(above)[:, c, ..., r, j]
                    if self.outputs == 1:
                        x[:, c, r, j] = torch.bernoulli(torch.sigmoid(logits))
                    else:
                        k = torch.distributions.Categorical(logits=logits).sample()
                        x[:, c, r, j] = k.to(x.dtype) / (self.levels - 1)
        return x


def check_image(value: Tensor, shape: tuple[int, int, int], levels: int,
                name: str = "value") -> None:
    """Raise ``ValueError`` unless ``value`` is a floating ``(*batch, C, H, W)`` tensor of
    values ``k / (levels - 1)``, ``k`` in ``0 .. levels - 1``."""
    if not isinstance(value, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.dim() < 3 or tuple(value.shape[-3:]) != tuple(shape):
        raise ValueError(f"{name} must have shape (*batch, {', '.join(map(str, shape))}), "
                         f"got {tuple(value.shape)}")
    if not value.is_floating_point():
        raise ValueError(f"{name} must be a floating tensor, got dtype {value.dtype}")
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    k = value * (levels - 1)
    bad = ((k - k.round()).abs() > 1e-4) | (value < 0) | (value > 1)
    if bad.any():
        raise ValueError(f"{name} must hold values k/{levels - 1} in [0, 1] ({levels} "
                         f"levels); found {value[bad].flatten()[0].item()!r} "
                         f"({int(bad.sum())} entries off the grid)")


class PixelRNNDistribution(TorchDistribution):
    """The exact distribution over images a :class:`PixelRNN` defines.

    ``batch_shape`` is ``()`` and ``event_shape`` ``(C, H, W)``; ``log_prob`` accepts any
    leading batch shape.

    :param PixelRNN model: the module holding the parameters.
    """

    arg_constraints = {}
    #: Discrete: a probability mass on the grey levels k / (levels - 1) of [0, 1].
    support = constraints.independent(_GREY_LEVELS, 3)
    has_enumerate_support = False

    def __init__(self, model: PixelRNN, validate_args=None):
        self.model = model
        super().__init__(torch.Size(), torch.Size(model.input_shape),
                         validate_args=validate_args)

    def log_prob(self, value: Tensor) -> Tensor:
        """Exact :math:`\\log p(x)` in nats, shape ``value.shape[:-3]``."""
        check_image(value, self.model.input_shape, self.model.levels)
        batch = value.shape[:-3]
        flat = value.reshape(-1, *self.model.input_shape)
        return self.model.log_prob_images(flat).reshape(batch)

    def sample(self, sample_shape=()):
        shape = torch.Size(sample_shape)
        with torch.no_grad():
            x = self.model.sample_images(math.prod(shape))
        return x.reshape(shape + self.event_shape)
