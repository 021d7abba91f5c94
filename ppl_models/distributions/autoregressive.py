"""The chain-rule base shared by every autoregressive binary model.

A distribution over :math:`\\{0,1\\}^D` factorises in a fixed variable order
:math:`\\sigma` as

.. math:: p(x) = \\prod_{k=1}^{D} p(x_{\\sigma_k} \\mid x_{\\sigma_1}, \\dots, x_{\\sigma_{k-1}}),

so it is exactly normalised whatever the conditionals are, and it can be sampled
ancestrally. :class:`AutoregressiveModel` is the ``nn.Module`` that holds the
parameters of the conditionals (the *conditioner*) and the order; calling it returns
an :class:`AutoregressiveBernoulli`, the Pyro distribution that scores and samples.
This is zuko's ``LazyDistribution`` pattern: parameters live in the module, the
density in the distribution.

Subclasses implement two methods in *ordered* coordinates (position ``k`` holds
variable ``order[k]``):

- ``ordered_logits(x, context)``: ``(N, D) -> (N, D)`` logits of every conditional in
  one pass, the ``k``-th depending on ``x[:, :k]`` only (teacher forcing);
- ``ordered_sample(n, context)``: ``n`` ancestral draws ``(n, D)``.

References:

1. Frey, Hinton & Dayan, "Does the wake-sleep algorithm produce good density
   estimators?", NIPS 1996 (the chain-rule / FVSBN view).
2. Larochelle & Murray, "The Neural Autoregressive Distribution Estimator", AISTATS 2011.
"""

import math

import torch
import torch.nn.functional as F
from torch.distributions import constraints

from ppl_models.abilities import DataInitialised
from ppl_models.distributions.binary_input import check_binary
from ppl_models.distributions.lazy import ContextDistribution, LazyDistribution
from ppl_models.nn.mlp import check_widths

__all__ = ["AutoregressiveBernoulli", "AutoregressiveModel", "check_order", "order_config"]


def check_order(order, dim: int) -> torch.Tensor:
    """Return ``order`` as a long tensor after checking it is a permutation of ``range(dim)``.

    :param order: a permutation of ``0 .. dim-1`` or ``None`` for raster order.
    :param int dim: number of variables.
    :raises ValueError: if ``order`` is not a permutation of ``range(dim)``.
    """
    if order is None:
        return torch.arange(dim)
    if isinstance(order, list | tuple) and all(type(i) is int for i in order):
        # Plain integers (a config read from a file) are checked in Python: this also works
        # under torch.device("meta"), where load_model sizes a model from its config without
        # allocating it and tensors have no values to compare.
        if sorted(order) != list(range(dim)):
            raise ValueError(f"order must be a permutation of range({dim}), got "
                             f"{list(order)[:20]}")
        return torch.as_tensor(order, dtype=torch.long)
    raw = torch.as_tensor(order)
    # A float order would be truncated into some other permutation without a word.
    if raw.dtype not in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
        raise ValueError(f"order must hold integers (a permutation of range({dim})), got "
                         f"dtype {raw.dtype}")
    order = raw.to(torch.long).flatten()
    if order.numel() != dim or not torch.equal(order.sort().values, torch.arange(dim)):
        raise ValueError(f"order must be a permutation of range({dim}), got {order.tolist()[:20]}")
    return order


def order_config(order: torch.Tensor) -> list[int] | None:
    """``order`` as plain data for a model's ``config``: ``None`` for raster order."""
    if torch.equal(order, torch.arange(len(order), device=order.device)):
        return None
    return order.tolist()


class AutoregressiveModel(LazyDistribution, DataInitialised):
    """Base module for autoregressive Bernoulli models over ``dim`` binary variables.

    :param int dim: number of binary variables ``D``.
    :param order: variable order, a permutation of ``range(dim)`` (raster order if None).
    :param int context_dim: size of an optional context vector (0 for none).
    """

    def __init__(self, dim: int, order=None, context_dim: int = 0):
        super().__init__()
        (dim,) = check_widths((dim,), "dim")
        if isinstance(context_dim, bool) or not isinstance(context_dim, int) or context_dim < 0:
            raise ValueError(f"context_dim must be an int >= 0, got {context_dim!r}")
        self.dim = int(dim)
        self.context_dim = int(context_dim)
        order = check_order(order, self.dim)
        self.register_buffer("order", order)
        self.register_buffer("inverse_order", torch.argsort(order))

    def forward(self, context: torch.Tensor | None = None) -> "AutoregressiveBernoulli":
        """Return the distribution :math:`p(x \\mid context)`.

        :param context: ``(*batch, context_dim)`` tensor or None.
        """
        return AutoregressiveBernoulli(self, context)

    @torch.no_grad()
    def init_bias_from_data(self, x: torch.Tensor, eps: float = 1e-3) -> None:
        """Set the output bias ``b`` (ordered coordinates) to the log-odds of the marginals.

        With the other weights small, training then starts near the fully independent
        model instead of at 0.69 nats a pixel; for ``D = 784`` that saves the first epoch.

        :param x: ``(N, D)`` binary data.
        :param float eps: the marginals are clamped to ``[eps, 1 - eps]``.
        """
        check_binary(x, self.dim, "x")
        mean = x.reshape(-1, self.dim).mean(0)[self.order].clamp(eps, 1 - eps)
        self.b.copy_(torch.logit(mean))

    # --- to be implemented by subclasses, in ordered coordinates -----------------------
    def ordered_logits(self, x: torch.Tensor, context: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def ordered_sample(self, n: int, context: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    # --- natural coordinates ----------------------------------------------------------
    def logits(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Logits of every conditional, aligned with ``x``: ``logits[..., order[k]]``
        is the logit of :math:`p(x_{order_k}=1 \\mid x_{order_{<k}})`.

        :param x: ``(*batch, D)`` binary tensor.
        :param context: ``(*batch, context_dim)`` or None; broadcast against ``x``.
        :return: ``(*batch, D)`` logits.
        """
        context = self._check_context(context)
        # Binary values are exact in every float type: score another float type's data in
        # the model's own (float64 data into a float32 model reached torch's kernels).
        x = x.to(self.dtype)
        batch = x.shape[:-1]
        if context is not None:
            try:
                batch = torch.broadcast_shapes(batch, context.shape[:-1])
            except RuntimeError as e:
                raise ValueError(f"context's batch shape {tuple(context.shape[:-1])} does not "
                                 f"broadcast with the data's {tuple(batch)}") from e
            context = context.expand(batch + context.shape[-1:]).reshape(-1, self.context_dim)
        flat = x.expand(batch + x.shape[-1:]).reshape(-1, self.dim)
        ordered = self.ordered_logits(flat[:, self.order], context)
        return ordered[:, self.inverse_order].reshape(batch + (self.dim,))

    def sample_x(self, shape: torch.Size, context: torch.Tensor | None = None) -> torch.Tensor:
        """Ancestral samples of shape ``shape + (D,)``; ``context`` broadcasts to ``shape``."""
        context = self._check_context(context)
        n = math.prod(shape)
        if context is not None:
            context = context.expand(tuple(shape) + context.shape[-1:]).reshape(n, -1)
        ordered = self.ordered_sample(n, context)
        return ordered[:, self.inverse_order].reshape(tuple(shape) + (self.dim,))

    @property
    def dtype(self) -> torch.dtype:
        """The floating type of the parameters: data and contexts are scored in it."""
        return next(self.parameters()).dtype

    def _check_context(self, context):
        if self.context_dim == 0:
            if context is not None:
                raise ValueError(f"{type(self).__name__} was built with context_dim=0 "
                                 "but a context was given")
            return None
        if context is None:
            raise ValueError(f"{type(self).__name__} needs a context of shape "
                             f"(*batch, {self.context_dim})")
        if torch.jit.is_tracing():
            # Python bools of traced values print TracerWarnings (the VAE's NADE decoder under
            # JitTrace_ELBO); eager calls check.
            return context.to(self.dtype)
        if not isinstance(context, torch.Tensor) or context.dim() < 1 \
                or context.shape[-1] != self.context_dim:
            got = tuple(context.shape) if isinstance(context, torch.Tensor) else type(context)
            raise ValueError(f"context must have shape (*batch, {self.context_dim}), got {got}")
        if not context.is_floating_point():
            raise ValueError(f"context must be a floating tensor, got dtype {context.dtype}")
        if not torch.isfinite(context).all():
            raise ValueError("context contains NaN or infinite values")
        return context.to(self.dtype)


class AutoregressiveBernoulli(ContextDistribution):
    """Exact distribution over :math:`\\{0,1\\}^D` defined by an :class:`AutoregressiveModel`.

    ``log_prob(x)`` is :math:`\\sum_k \\log p(x_{\\sigma_k} \\mid x_{\\sigma_{<k}})` in nats;
    ``sample()`` draws ancestrally in the model's order. Usable as
    ``pyro.sample("x", model(), obs=x)``.

    :param AutoregressiveModel model: the conditioner holding the parameters.
    :param context: ``(*batch, context_dim)`` tensor or None; its leading shape is the
        batch shape.
    """

    support = constraints.independent(constraints.boolean, 1)
    has_enumerate_support = False

    def logits(self, value: torch.Tensor) -> torch.Tensor:
        """Per-variable conditional logits for ``value`` (teacher forcing), ``(*batch, D)``."""
        check_binary(value, self.model.dim, "value")
        return self.model.logits(value, self.context)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """Exact :math:`\\log p(x)` in nats, shape ``broadcast(value.shape[:-1], batch_shape)``."""
        logits = self.logits(value)
        value = value.to(logits.dtype).expand(logits.shape)
        lp = -F.binary_cross_entropy_with_logits(logits, value, reduction="none").sum(-1)
        return lp.expand(torch.broadcast_shapes(lp.shape, self.batch_shape))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)[:-1]
        with torch.no_grad():
            return self.model.sample_x(shape, self.context)
