"""NADE: the neural autoregressive distribution estimator.

Each conditional is a one-hidden-layer network whose input weights are *shared*
across positions (Larochelle & Murray 2011, eq. 3-4), in ordered coordinates:

.. math::

    h_k = \\mathrm{sigm}(c + W_{:, <k}\\, x_{<k}), \\qquad
    p(x_k = 1 \\mid x_{<k}) = \\mathrm{sigm}(b_k + V_k^\\top h_k).

Sharing makes the pre-activation a running sum, :math:`a_{k+1} = a_k + W_{:,k} x_k`
(eq. 5), so all ``D`` conditionals cost :math:`O(HD)` rather than :math:`O(HD^2)`.

**Speed.** Differentiating the per-position loop with autograd is slow less for the
arithmetic than for the bookkeeping: every ``W[k]``/``V[k]`` slice has a backward that
materialises a full ``D x H`` gradient. A cumulative sum over the whole ``B x D x H``
pre-activation tensor avoids that but streams ~160 MB through memory several times.
:class:`_NADELogits` writes the forward *and* backward (Larochelle & Murray 2011,
Algorithm 1) as the recursion itself, in blocks of ``block_size`` positions so each
``(B, block, H)`` slab is still in cache for its sigmoid, its output layer and, in the
backward, its gradient. On ``float32`` CPU tensors it hands both passes to a small C
kernel (:mod:`~ppl_models.distributions.nade_kernel`, built once per machine) that fuses
each position's work over the hidden units; the blocked torch code is the fallback where no
C compiler is found. ``benchmarks/nade_speed.py`` measures both against the plain loop.

A ``context`` (e.g. a VAE latent) shifts the hidden and output biases through a linear
map, giving a conditional NADE :math:`p(x \\mid z)`.

References:

1. Larochelle & Murray, "The Neural Autoregressive Distribution Estimator", AISTATS 2011.
2. Uria, Côté, Gregor, Murray & Larochelle, "Neural Autoregressive Distribution
   Estimation", JMLR 2016.
"""

import math

import torch
from torch import nn

from ppl_models.abilities import Representation
from ppl_models.distributions.autoregressive import AutoregressiveModel, order_config
from ppl_models.distributions.binary_input import check_binary
from ppl_models.distributions.nade_kernel import NADEKernel, nade_kernel
from ppl_models.nn.mlp import check_widths
from ppl_models.registry import Option, register

__all__ = ["NADE"]


@register("nade", "exact",
          options=(Option("hidden", 500, "NADE hidden units"),))
class NADE(AutoregressiveModel, Representation):
    """Binary NADE over ``dim`` variables with ``hidden`` shared hidden units.

    ``NADE(dim, hidden)()`` is a Pyro distribution over :math:`\\{0,1\\}^{dim}` with exact
    ``log_prob`` (nats) and ancestral ``sample``.

    :param int dim: number of binary variables ``D``.
    :param int hidden: number of hidden units ``H``.
    :param order: variable order (permutation of ``range(dim)``), raster if None.
    :param int context_dim: size of an optional conditioning vector; 0 for none.
    :param int block_size: positions per block in the teacher-forced pass (speed only).
    """

    def __init__(self, dim: int, hidden: int, order=None, context_dim: int = 0,
                 block_size: int = 8):
        super().__init__(dim, order, context_dim)
        (hidden,) = check_widths((hidden,), "hidden")
        (block_size,) = check_widths((block_size,), "block_size")
        self.hidden = int(hidden)
        self.block_size = int(block_size)
        self.max_rows = 128
        # Stored in *ordered* coordinates: row k of W and V belongs to position k.
        bound_w, bound_v = 1 / math.sqrt(dim), 1 / math.sqrt(hidden)
        self.W = nn.Parameter(torch.empty(dim, hidden).uniform_(-bound_w, bound_w))
        self.c = nn.Parameter(torch.zeros(hidden))
        self.V = nn.Parameter(torch.empty(dim, hidden).uniform_(-bound_v, bound_v))
        self.b = nn.Parameter(torch.zeros(dim))
        self.context_net = nn.Linear(context_dim, hidden + dim) if context_dim else None

    @property
    def config(self) -> dict:
        return {"dim": self.dim, "hidden": self.hidden, "order": order_config(self.order),
                "context_dim": self.context_dim, "block_size": self.block_size}

    def _biases(self, n: int, context):
        """Hidden bias ``(n|1, H)`` and output bias ``(n|1, D)``, shifted by the context."""
        c, b = self.c.unsqueeze(0), self.b.unsqueeze(0)
        if context is None:
            return c, b
        shift = self.context_net(context)
        return c + shift[:, : self.hidden], b + shift[:, self.hidden:]

    def features(self, x: torch.Tensor, context=None) -> torch.Tensor:
        """The hidden state at the last position, :math:`h_D = \\mathrm{sigm}(c + W_{:,<D}
        x_{<D})`: what the shared hidden layer has read of all but the last variable, a
        representation of ``x`` for linear probes (Larochelle & Murray 2011, eq. 3).

        :param x: ``(N, D)`` binary data.
        :param context: ``(N, context_dim)`` or None, as for the distribution.
        :return: ``(N, H)`` features in (0, 1), without gradients.
        """
        context = self._check_context(context)
        check_binary(x, self.dim, "x")
        with torch.no_grad():
            c, _ = self._biases(x.shape[0], context)
            ordered = x.reshape(-1, self.dim)[:, self.order]
            return torch.sigmoid(c + ordered[:, :-1] @ self.W[:-1])

    def ordered_logits(self, x, context):
        c, b = self._biases(x.shape[0], context)
        record = torch.is_grad_enabled()
        if x.shape[0] <= self.max_rows:
            return _NADELogits.apply(x, c, self.W, self.V, self.block_size, record) + b
        # A block of a big batch falls out of cache: 1000 rows at once run ~1.5x slower
        # per row than 10 chunks of 100.
        c = c.expand(x.shape[0], -1)
        parts = [_NADELogits.apply(xs, cs, self.W, self.V, self.block_size, record)
                 for xs, cs in zip(x.split(self.max_rows), c.split(self.max_rows), strict=True)]
        return torch.cat(parts) + b

    def ordered_sample(self, n, context):
        c, b = self._biases(n, context)
        a = c.expand(n, self.hidden).clone()
        b = b.expand(n, self.dim)
        x = self.W.new_empty(n, self.dim)
        for k in range(self.dim):
            logit = torch.sigmoid(a) @ self.V[k] + b[:, k]
            x[:, k] = torch.bernoulli(torch.sigmoid(logit))
            a += x[:, k : k + 1] * self.W[k]
        return x


def _differentiable_grads(xt, c, W, V, grad):
    """``(dc, dW, dV)`` by autograd through eq. 3-5 written with differentiable ops.

    Costs ``N x D x H`` memory and a cumulative sum, so only the double-backward path uses it.
    """
    with torch.enable_grad():
        x = xt.T
        # a_k = c + sum_{j<k} x_j W_j: an exclusive cumulative sum over positions.
        steps = (x[:, :, None] * W[None]).cumsum(1)
        pre = c[:, None, :] + torch.cat([torch.zeros_like(steps[:, :1]), steps[:, :-1]], 1)
        logits = (torch.sigmoid(pre) * V[None]).sum(-1)
        return torch.autograd.grad(logits, (c, W, V), grad, create_graph=True)


def _hidden_block(h, a, xt, W, s: int, e: int):
    """Fill ``h (e-s, N, H)`` with pre-activations of positions ``s..e-1``; return ``a_e``.

    One ``addcmul`` per position is eq. 5 itself; each writes an ``(N, H)`` slab that is
    still in cache, which beats both a masked matmul and ``cumsum`` over the block here.
    """
    h[0] = a
    for i in range(1, e - s):
        torch.addcmul(h[i - 1], xt[s + i - 1, :, None], W[s + i - 1], out=h[i])
    return torch.addcmul(h[e - s - 1], xt[e - 1, :, None], W[e - 1])


class _NADELogits(torch.autograd.Function):
    """Teacher-forced NADE logits (output bias excluded) with the backward written out.

    Shapes: ``x (N, D)``, ``c (N|1, H)``, ``W (D, H)``, ``V (D, H)`` -> ``(N, D)``.
    Hidden units are laid out position-major, ``(block, N, H)``, so every per-position
    slab and every per-block product is contiguous. Only each block's *first*
    pre-activation is kept for the backward (``D / block_size`` slabs of ``N x H``); the
    backward recomputes the block's hidden units from it while they are in cache, rather
    than streaming all ``N x D x H`` of them through memory twice. ``x`` is data: no
    gradient flows to it.
    """

    @staticmethod
    def forward(ctx, x, c, W, V, block_size, record):
        n, (dim, hidden) = x.shape[0], W.shape
        # needs_input_grad ignores torch.no_grad(), so the caller says whether a graph is
        # being recorded; only then are the blocks' starting pre-activations kept.
        keep = record and any(ctx.needs_input_grad)
        ctx.kernel = nade_kernel() if NADEKernel.accepts(x, c, W, V) else None
        if ctx.kernel is not None:
            if keep:
                ctx.save_for_backward(x, c, W, V)
            return ctx.kernel.logits(x, c, W, V)
        xt = x.T.contiguous()
        a = c.expand(n, hidden)
        logits = x.new_empty(dim, n, 1)
        buffer = x.new_empty(block_size, n, hidden)
        starts = x.new_empty(-(-dim // block_size), n, hidden) if keep else None
        for b, s in enumerate(range(0, dim, block_size)):
            e = min(s + block_size, dim)
            if keep:
                starts[b] = a
            h = buffer[: e - s]
            a = _hidden_block(h, a, xt, W, s, e)
            h.sigmoid_()
            torch.bmm(h, V[s:e, :, None], out=logits[s:e])  # eq. 4 for the whole block
        if keep:
            ctx.save_for_backward(xt, c, W, V, starts)
            ctx.block_size = block_size
        return logits.squeeze(2).T

    @staticmethod
    def backward(ctx, grad):
        if ctx.kernel is not None:
            x, c, W, V = ctx.saved_tensors
            if torch.is_grad_enabled():  # a second derivative: see below
                return (None, *_differentiable_grads(x.T, c, W, V, grad), None, None)
            dc, dW, dV = ctx.kernel.grads(x, c, W, V, grad)
            dc = dc if c.shape[0] == x.shape[0] else dc.sum(0, keepdim=True)
            return None, dc, dW, dV, None, None
        xt, c, W, V, starts = ctx.saved_tensors
        if torch.is_grad_enabled():
            # create_graph=True: a second derivative is wanted (e.g. a Laplace
            # approximation's Hessian), which the in-place recursion below cannot give.
            return (None, *_differentiable_grads(xt, c, W, V, grad), None, None)
        (dim, n), block_size = xt.shape, ctx.block_size
        dW, dV = torch.empty_like(V), torch.empty_like(V)
        gt = grad.T.contiguous()
        # upper[i, j] = 1 where position j > i: W_i reaches every later pre-activation.
        upper = torch.ones(block_size, block_size, device=xt.device).triu(1)
        buffer = starts.new_empty(block_size, n, V.shape[1])
        r = xt.new_zeros(n, V.shape[1])  # d loss / d a_e, sent back by later blocks
        blocks = list(enumerate(range(0, dim, block_size)))
        for b, s in reversed(blocks):
            e = min(s + block_size, dim)
            h = buffer[: e - s]
            _hidden_block(h, starts[b], xt, W, s, e)  # the forward's block, recomputed
            h.sigmoid_()
            gb, xb = gt[s:e], xt[s:e]
            torch.bmm(gb[:, None, :], h, out=dV[s:e, None, :])
            dpre = torch.ops.aten.sigmoid_backward(gb[:, :, None] * V[s:e, None, :], h)
            within = torch.matmul(xb, dpre)  # [j, i] = sum_n x_{n,i} dpre_{j,n}
            mask = upper[: e - s, : e - s].T[:, :, None]
            torch.add(xb @ r, (within * mask).sum(0), out=dW[s:e])
            r = r + dpre.sum(0)
        dc = r if c.shape[0] == n else r.sum(0, keepdim=True)
        return None, dc, dW, dV, None, None
