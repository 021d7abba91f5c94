"""The PixelRNN forward as it was before the scan rewrite (commit 4b27140): the in-run
baseline of ``benchmarks/pixelrnn_speed.py``. Frozen: do not edit; its figures are what the
speed-up is measured against. Imported as a sibling module.

:class:`BaselinePixelRNN` has the library ``PixelRNN``'s submodules and parameter names, so
``BaselinePixelRNN(...).load_state_dict(PixelRNN(...).state_dict())`` gives both the same
parameters; it computes ``logits`` and ``log_prob_images`` only (no checks, no sampling).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["BaselinePixelRNN"]


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


def _features_last(x: Tensor) -> Tensor:
    """``(N, F, H, W) -> (H, W, N, F)``, contiguous: the layout of the recurrences.

    Rows (or, once skewed, columns) first, so that each step's slice is contiguous and a
    one-``unbind`` split (the backward of an index per step, ``gates[:, :, t]``, writes its
    gradient into a zero tensor of the *whole* map at every step: quadratic in the steps,
    and most of an epoch's time); features last, so that every convolution of a recurrence
    is one matrix product over all positions. Only the input of a layer is permuted (a
    small map); the gates are computed in this layout directly.
    """
    return x.permute(2, 3, 0, 1).contiguous()


def _shifted(h: Tensor, dim: int, by: int) -> Tensor:
    """``h`` moved ``by`` places along ``dim`` (``+1``: entry ``r`` holds ``h[r - 1]``),
    zeros shifted in."""
    if by == 0:
        return h
    pad = [0, 0] * (h.dim() - dim - 1) + ([by, 0] if by > 0 else [0, -by])
    return F.pad(h, pad).narrow(dim, 0 if by > 0 else -by, h.shape[dim])


def _taps(x: Tensor, dim: int, shifts) -> Tensor:
    """The convolution taps of ``x`` along ``dim``, features concatenated in the order of
    ``shifts`` (a kernel's columns as a matrix product)."""
    return torch.cat([_shifted(x, dim, by) for by in shifts], -1)


def _kernel_matrix(weight: Tensor) -> Tensor:
    """A ``(out, in, k)`` kernel as the ``(k in, out)`` matrix that multiplies
    :func:`_taps` in the kernel's column order."""
    return weight.permute(2, 1, 0).reshape(-1, weight.shape[0])


def _lstm_update(gates: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    """Eq. 3 given the summed pre-activations ``(..., 4h)`` (features last): the new
    ``(h, c)``. One sigmoid for o, f and i together: fewer operations per step."""
    hidden = c.shape[-1]
    o, f, i = torch.sigmoid(gates[..., : 3 * hidden]).chunk(3, -1)
    c = f * c + i * torch.tanh(gates[..., 3 * hidden:])
    return o * torch.tanh(c), c


class RowLSTM(nn.Module):
    """One Row LSTM layer: ``(N, F, H, W) -> (N, h, H, W)``.

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

    def forward(self, x: Tensor) -> Tensor:
        n, _, rows, width = x.shape
        conv, reach = self.input_to_state, self.input_to_state.kernel_size[1] // 2
        # The masked 1 x k kernel reads columns j - reach .. j (mask B zeroes the rest).
        kernel = _kernel_matrix((conv.weight * conv.mask)[:, :, 0, : reach + 1])
        steps = F.linear(_taps(_features_last(x), 1, range(reach, -1, -1)), kernel.T,
                         conv.bias).unbind(0)
        state = self.state_to_state
        h = x.new_zeros(width, n, self.hidden)
        c = torch.zeros_like(h)
        out = []
        for gates_row in steps:
            # The 1 x 3 state-to-state kernel over columns j - 1, j, j + 1 of the row above.
            gates = F.linear(_taps(h, 0, (1, 0, -1)), _kernel_matrix(state.weight).T,
                             state.bias)
            h, c = _lstm_update(gates_row + gates, c)
            out.append(h)
        return torch.stack(out).permute(2, 3, 0, 1).contiguous()


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
    """Move a map down one row (row 0 becomes zeros): what makes the right-to-left
    direction causal."""
    return F.pad(x, (0, 0, 1, 0))[:, :, :-1]


def _skew_features_last(x: Tensor) -> Tensor:
    """:func:`skew` in the recurrences' layout: ``(D, H, W, *rest) -> (W + H - 1, D, H,
    *rest)``, step ``t`` holding column ``t - r`` of row ``r`` (zero outside the image)."""
    d, h, w, *rest = x.shape
    flat = F.pad(x, [0, 0] * len(rest) + [0, h]).reshape(d, h * (w + h), *rest)
    return flat[:, : h * (w + h - 1)].reshape(d, h, w + h - 1, *rest).movedim(2, 0)


def _unskew_features_last(steps: Tensor, width: int) -> Tensor:
    """Inverse of :func:`_skew_features_last`: ``(T, D, H, *rest) -> (D, H, W, *rest)``."""
    t, d, h, *rest = steps.shape
    flat = steps.movedim(0, 2).reshape(d, h * t, *rest)
    flat = F.pad(flat, [0, 0] * len(rest) + [0, h])
    return flat.reshape(d, h, width + h, *rest)[:, :, :width]


def _diagonal_recurrence(gates: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """Diagonal LSTMs of ``D`` directions at once, over skewed columns.

    :param gates: ``(D, H, W, N, 4h)`` input-to-state pre-activations (unskewed).
    :param weight: ``(D, 2h, 4h)``: the 2 x 1 state-to-state kernels (pixel above, pixel).
    :param bias: ``(D, 4h)``.
    :returns: ``(D, N, h, H, W)`` hidden states.
    """
    directions, rows, width, n, _ = gates.shape
    hidden = weight.shape[-1] // 4
    h = gates.new_zeros(directions, rows * n, hidden)
    c = torch.zeros_like(h)
    out = []
    for gates_column in _skew_features_last(gates).contiguous().unbind(0):
        # Row r reads rows r - 1 and r of the previous column: in the flattened (H N)
        # positions, "the row above" is n places back.
        taps = _taps(h, 1, (n, 0))
        gates_column = gates_column.reshape(directions, rows * n, -1)
        h, c = _lstm_update(torch.baddbmm(bias[:, None], taps, weight) + gates_column, c)
        out.append(h.reshape(directions, rows, n, hidden))
    return _unskew_features_last(torch.stack(out), width).permute(0, 3, 4, 1, 2)


class DiagonalLSTM(nn.Module):
    """One direction of the Diagonal BiLSTM (left to right): ``(N, F, H, W) -> (N, h, H, W)``.

    Each state reads its left neighbour and the pixel above (a 2 x 1 convolution over the
    previous column of the skewed map), so it sees everything above and to the left.
    """

    def __init__(self, in_groups: Tensor, hidden_groups: Tensor):
        super().__init__()
        self.hidden = len(hidden_groups)
        self.input_to_state = MaskedConv2d(in_groups, hidden_groups.repeat(4), (1, 1), "B")
        self.state_to_state = nn.Conv1d(self.hidden, 4 * self.hidden, 2)

    def gates(self, x: Tensor) -> Tensor:
        """The 1 x 1 masked input-to-state convolution of :func:`_features_last` input
        ``(H, W, N, F)``: ``(H, W, N, 4h)``."""
        conv = self.input_to_state
        return F.linear(x, (conv.weight * conv.mask)[:, :, 0, 0], conv.bias)

    def forward(self, x: Tensor) -> Tensor:
        gates = self.gates(_features_last(x))[None]
        weight = _kernel_matrix(self.state_to_state.weight)[None]
        return _diagonal_recurrence(gates, weight, self.state_to_state.bias[None])[0]


class DiagonalBiLSTM(nn.Module):
    """Both directions: left-to-right plus right-to-left shifted down one row.

    The two directions run in one recurrence (a batched matrix product per column), which
    halves the sequential steps; each keeps its own parameters. A 1 x 1 convolution
    commutes with the flip, so the right-to-left gates are the flipped gates of ``x``.
    """

    def __init__(self, in_groups: Tensor, hidden_groups: Tensor):
        super().__init__()
        self.left_to_right = DiagonalLSTM(in_groups, hidden_groups)
        self.right_to_left = DiagonalLSTM(in_groups, hidden_groups)

    def forward(self, x: Tensor) -> Tensor:
        directions = (self.left_to_right, self.right_to_left)
        x = _features_last(x)
        gates = torch.stack([self.left_to_right.gates(x), self.right_to_left.gates(x).flip(1)])
        weight = torch.stack([_kernel_matrix(d.state_to_state.weight) for d in directions])
        bias = torch.stack([d.state_to_state.bias for d in directions])
        forward, backward = _diagonal_recurrence(gates, weight, bias)
        return forward + _shift_down(backward.flip(-1))



class BaselinePixelRNN(nn.Module):
    """The library ``PixelRNN``'s layers and forward at commit 4b27140."""

    def __init__(self, input_shape, variant: str = "row_lstm", hidden: int = 32,
                 layers: int = 2, levels: int = 2, first_kernel: int = 7,
                 row_kernel: int = 3):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        channels = self.input_shape[0]
        self.levels = levels
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

    def logits(self, x: Tensor) -> Tensor:
        r = self.input_conv(2 * x - 1)
        for lstm, up in zip(self.lstms, self.up, strict=True):
            r = r + up(lstm(r))
        out = self.output(F.relu(self.output_hidden(F.relu(r))))
        if self.outputs == 1:
            return out
        n, _, h, w = out.shape
        return out.reshape(n, self.input_shape[0], self.outputs, h, w)

    def log_prob_images(self, x: Tensor) -> Tensor:
        logits = self.logits(x)
        if self.outputs == 1:
            lp = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
        else:
            k = (x * (self.levels - 1)).round().long().unsqueeze(2)
            lp = torch.log_softmax(logits, 2).gather(2, k).squeeze(2)
        return lp.flatten(1).sum(1)
