r"""DeepNADE: one deep network for the conditionals of every variable order.

A NADE ties its conditionals to one order. The order-agnostic DeepNADE (Uria, Murray &
Larochelle [1]) feeds a feed-forward network the observed values *and* which variables are
observed, a mask :math:`m \in \{0,1\}^D`,

.. math::

    h^{(1)} = \mathrm{relu}\big(b^{(1)} + W_x (x \odot m) + W_m m\big), \quad
    h^{(l)} = \mathrm{relu}\big(b^{(l)} + W^{(l)} h^{(l-1)}\big), \quad
    p(x_i = 1 \mid x_{m}) = \mathrm{sigm}\big(c_i + V_i^\top h^{(L)}\big),

so one pass gives :math:`p(x_i \mid x_m)` for every unobserved :math:`i`. Any order
:math:`o` (a permutation) then defines an exactly normalised joint by the chain rule,

.. math:: \log p(x \mid o) = \sum_{d=0}^{D-1} \log p(x_{o_d} \mid x_{o_{<d}}),

the mask at step :math:`d` being :math:`o_{<d}`. An ensemble of :math:`K` orders is the
uniform mixture :math:`\frac1K \sum_k p(x \mid o^{(k)})`, a mixture of normalised densities
and so normalised itself [1].

**Training** draws, per example, an order :math:`o` and a split :math:`d` uniform on
:math:`\{0, \dots, D-1\}`; with :math:`o_{<d}` observed, one pass scores every unobserved
variable, and

.. math::

    \hat{\mathcal{L}}(x) = \frac{D}{D - d} \sum_{k=d}^{D-1}
        \log p(x_{o_k} \mid x_{o_{<d}})

is an unbiased estimate of :math:`\mathbb{E}_o \log p(x \mid o)` [1]: given
:math:`o_{<d}`, the :math:`d`-th variable is any of the :math:`D - d` unobserved ones with
equal chance. :meth:`DeepNADE.training_loss` returns :math:`-\hat{\mathcal{L}}`.

**Conditionals.** For observed variables :math:`S`, the order that lists :math:`S` first
(in :math:`o`'s relative order) and then the rest gives

.. math:: p(x_{\bar S} \mid x_S, o) = \prod_{k=|S|}^{D-1} p(x_{o'_k} \mid x_{o'_{<k}}),

the exact conditional of that order's joint; :meth:`DeepNADE.conditional` returns it as a
distribution with ``sample`` and ``log_prob``.

**Cost.** Scoring one order needs :math:`D` masks. The first layer's pre-activation grows by
one row of :math:`W_x` and :math:`W_m` per step, so all :math:`D` first-layer states are an
exclusive cumulative sum; the deeper layers see them as one ``(N D, H)`` batch, in chunks
of about ``max_elements`` numbers per layer.

References:

1. Uria, Murray & Larochelle, "A Deep and Tractable Density Estimator", ICML 2014.
2. Uria, Côté, Gregor, Murray & Larochelle, "Neural Autoregressive Distribution
   Estimation", JMLR 2016.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from pyro.distributions import TorchDistribution
from pyro.distributions.torch_distribution import ExpandedDistribution
from torch import Tensor, nn
from torch.distributions import constraints

from ppl_models.abilities import DataInitialised
from ppl_models.distributions.autoregressive import check_order, order_config
from ppl_models.distributions.binary_input import check_binary
from ppl_models.distributions.lazy import LazyDistribution, TrainingLoss
from ppl_models.nn.mlp import check_widths
from ppl_models.registry import Option, register

__all__ = ["DeepNADE", "DeepNADEConditional", "DeepNADEJoint", "OrderMixture",
           "observed_first", "order_agnostic_nll"]


def order_agnostic_nll(logits: Tensor, x: Tensor, observed: Tensor) -> Tensor:
    r"""The order-agnostic loss of one split per example,
    :math:`-\frac{D}{D-d} \sum_{i \notin S} \log p(x_i \mid x_S)`, :math:`d = |S|`.

    :param logits: ``(N, D)`` logits of :math:`p(x_i = 1 \mid x_S)` (observed entries unused).
    :param x: ``(N, D)`` binary data.
    :param observed: ``(N, D)`` mask of :math:`S`, 1 where observed; fewer than ``D`` per row.
    :return: ``(N,)`` nats.
    """
    dim = x.shape[-1]
    unobserved = observed == 0
    nll = F.binary_cross_entropy_with_logits(logits, x.to(logits.dtype), reduction="none")
    # where, not a product: an observed entry's logit is never read, not even as 0 * inf.
    return dim / unobserved.sum(-1) * torch.where(unobserved, nll, 0).sum(-1)


def observed_first(order: Tensor, observed: Tensor) -> Tensor:
    """Per row, ``order`` with the observed variables moved to the front, both groups keeping
    their relative order in ``order``.

    :param order: ``(D,)`` permutation.
    :param observed: ``(N, D)`` mask in natural coordinates, 1 where observed.
    :return: ``(N, D)`` permutations.
    """
    dim = order.shape[0]
    in_order = observed[:, order].to(torch.long)
    key = (1 - in_order) * dim + torch.arange(dim, device=order.device)
    return order[key.argsort(dim=1)]


@register("deep_nade", "exact",
          options=(Option("hidden", [500, 500], "DeepNADE hidden layer widths",
                          flag="--deep-hidden", nargs="+"),))
class DeepNADE(LazyDistribution, TrainingLoss, DataInitialised):
    """Order-agnostic deep NADE over ``dim`` binary variables (Uria et al. 2014).

    ``DeepNADE(dim)()`` is the exact distribution of the order ``order`` (identity by
    default); ``m(ordering=o)`` that of any other order; :meth:`ensemble` a uniform mixture
    of orders; :meth:`conditional` the exact :math:`p(x_{\\bar S} \\mid x_S)` of an order.
    :meth:`training_loss` is the order-agnostic objective the trainer minimises.

    :param int dim: number of binary variables ``D``.
    :param hidden: widths of the ReLU hidden layers (at least one), e.g. ``(500, 500)``.
    :param order: the default order, a permutation of ``range(dim)``; identity if None.
    :param int max_elements: numbers per layer per chunk when scoring (speed/memory only).
    """

    loss_name = "order-agnostic NLL (a random order and split per example, Uria et al. 2014)"

    def __init__(self, dim: int, hidden: Sequence[int] = (500, 500), order=None,
                 max_elements: int = 2**22):
        super().__init__()
        (dim,) = check_widths((dim,), "dim")
        hidden = check_widths(hidden, "hidden")
        if not hidden:
            raise ValueError("hidden must hold at least one layer width, got ()")
        (max_elements,) = check_widths((max_elements,), "max_elements")
        self.dim, self.hidden, self.max_elements = int(dim), hidden, int(max_elements)
        self.register_buffer("order", check_order(order, self.dim))
        first = hidden[0]
        bound = 1 / math.sqrt(2 * dim)  # fan-in of [x * m, m], as nn.Linear initialises
        self.input_x = nn.Parameter(torch.empty(dim, first).uniform_(-bound, bound))
        self.input_mask = nn.Parameter(torch.empty(dim, first).uniform_(-bound, bound))
        self.input_bias = nn.Parameter(torch.empty(first).uniform_(-bound, bound))
        pairs = zip(hidden[:-1], hidden[1:], strict=True)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in pairs)
        bound = 1 / math.sqrt(hidden[-1])
        self.output_weight = nn.Parameter(torch.empty(dim, hidden[-1]).uniform_(-bound, bound))
        self.output_bias = nn.Parameter(torch.zeros(dim))

    @property
    def config(self) -> dict:
        return {"dim": self.dim, "hidden": list(self.hidden), "order": order_config(self.order),
                "max_elements": self.max_elements}

    @property
    def dtype(self) -> torch.dtype:
        return self.output_bias.dtype

    # --- distributions ----------------------------------------------------------------
    def forward(self, context: Tensor | None = None, *, ordering=None) -> DeepNADEJoint:
        """The joint :math:`p(x \\mid o)` of ``ordering`` (the model's ``order`` if None).

        :param context: must be None (no conditioning vector).
        :param ordering: a permutation of ``range(dim)``.
        """
        if context is not None:
            raise ValueError("DeepNADE takes no context")
        return DeepNADEJoint(self, self._ordering(ordering))

    def log_prob(self, x: Tensor, ordering=None) -> Tensor:
        """Exact :math:`\\log p(x \\mid o)`, nats, shape ``x.shape[:-1]``: ``m(ordering=o)``'s."""
        return self(ordering=ordering).log_prob(x)

    def ensemble(self, orderings: int | Sequence = 1, seed: int = 0) -> OrderMixture:
        """The uniform mixture of ``K`` orders' joints, :math:`\\frac1K\\sum_k p(x\\mid o^{(k)})`.

        :param orderings: ``K`` (the model's ``order`` and ``K - 1`` permutations drawn from
            ``seed``, the same on every call), or the ``K`` permutations themselves.
        :param int seed: seeds the drawn permutations (its own generator).
        :return: an :class:`OrderMixture`, shape ``()``, event ``(D,)``.
        """
        if isinstance(orderings, bool) or (isinstance(orderings, int) and orderings < 1):
            raise ValueError(f"orderings must be a count >= 1 or a list of permutations, got "
                             f"{orderings!r}")
        if isinstance(orderings, int):
            gen = torch.Generator().manual_seed(int(seed))
            drawn = [torch.randperm(self.dim, generator=gen) for _ in range(orderings - 1)]
            orders = [self.order.cpu(), *drawn]
        else:
            orders = [check_order(o, self.dim) for o in orderings]
            if not orders:
                raise ValueError("orderings must hold at least one permutation")
        return OrderMixture(self, torch.stack(orders).to(self.order.device))

    def conditional(self, x: Tensor, observed_mask: Tensor, ordering=None) -> DeepNADEConditional:
        """The exact :math:`p(x_{\\bar S} \\mid x_S)` of the order that lists the observed
        variables :math:`S` first, in ``ordering``'s relative order, then the rest.

        :param x: ``(*batch, D)`` binary; only its observed entries are read.
        :param observed_mask: ``(*batch, D)`` or ``(D,)``, bool or {0, 1}: 1 where observed.
        :param ordering: a permutation of ``range(dim)``; the model's ``order`` if None.
        :return: a :class:`DeepNADEConditional`, batch shape ``batch``, event ``(D,)``.
        """
        return DeepNADEConditional(self, x, observed_mask, self._ordering(ordering))

    # --- training ---------------------------------------------------------------------
    def training_loss(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """:math:`-\\hat{\\mathcal{L}}(x)` of one random order and split per example (see the
        module's docstring), an unbiased estimate of :math:`-\\mathbb{E}_o\\log p(x\\mid o)`.

        :param x: ``(N, D)`` binary data.
        :param generator: draws the orders and splits; torch's global generator if None.
        :return: ``(N,)`` nats.
        """
        x = self._check_x(x).reshape(-1, self.dim)
        n = x.shape[0]
        # A uniform order's first d variables: the d smallest of D uniform keys.
        keys = torch.rand(n, self.dim, generator=generator, device=x.device)
        ranks = keys.argsort(1).argsort(1)
        split = torch.randint(0, self.dim, (n, 1), generator=generator, device=x.device)
        observed = (ranks < split).to(x.dtype)
        return order_agnostic_nll(self.masked_logits(x, observed), x, observed)

    @torch.no_grad()
    def init_bias_from_data(self, x: Tensor, eps: float = 1e-3) -> None:
        """Set the output bias to the log-odds of the data's marginals (the independent model).

        :param x: ``(N, D)`` binary data.
        :param float eps: the marginals are clamped to ``[eps, 1 - eps]``.
        """
        x = self._check_x(x)
        self.output_bias.copy_(torch.logit(x.reshape(-1, self.dim).mean(0).clamp(eps, 1 - eps)))

    # --- the network ------------------------------------------------------------------
    def masked_logits(self, x: Tensor, observed: Tensor) -> Tensor:
        """Logits of :math:`p(x_i = 1 \\mid x_S)` for every ``i``, one pass.

        :param x: ``(N, D)`` binary values (only the observed ones are read).
        :param observed: ``(N, D)`` float mask of :math:`S`, 1 where observed.
        :return: ``(N, D)``.
        """
        pre = self.network_input(x, observed)
        return self._top(self._body(pre)) + self.output_bias

    def network_input(self, x: Tensor, observed: Tensor) -> Tensor:
        """First-layer pre-activation :math:`b + W_x (x \\odot m) + W_m m`, ``(N, H_1)``."""
        return self.input_bias + (x * observed) @ self.input_x + observed @ self.input_mask

    def step_input(self, x_value: Tensor, variable: Tensor) -> Tensor:
        """What observing ``variable`` at ``x_value`` adds to :meth:`network_input`:
        :math:`W_{x,i} x_i + W_{m,i}`, shape ``variable.shape + (H_1,)``."""
        return self.input_x[variable] * x_value.unsqueeze(-1) + self.input_mask[variable]

    def _body(self, pre: Tensor) -> Tensor:
        h = torch.relu(pre)
        for layer in self.layers:
            h = torch.relu(layer(h))
        return h

    def _top(self, h: Tensor) -> Tensor:
        return h @ self.output_weight.T

    def ordered_logits(self, x: Tensor, orders: Tensor) -> Tensor:
        """Logits of every variable given those before it in its row's order.

        :param x: ``(N, D)`` binary, natural coordinates.
        :param orders: ``(N, D)`` permutations, one per row.
        :return: ``(N, D)`` in natural coordinates: entry ``i`` is the logit of
            :math:`p(x_i = 1 \\mid x_{o_{<k}})` where :math:`o_k = i`.
        """
        n, dim = x.shape
        rows = max(1, self.max_elements // (dim * max(self.hidden)))
        parts = []
        for xs, os in zip(x.split(rows), orders.split(rows), strict=True):
            values = xs.gather(1, os)  # (r, D), in each row's order
            steps = self.step_input(values, os)  # (r, D, H1)
            # Position k sees the variables at positions < k: an *exclusive* sum, so
            # position k's state never involves x at k (not even through rounding).
            seen = torch.cat([torch.zeros_like(steps[:, :1]), steps[:, :-1].cumsum(1)], 1)
            h = self._body(seen + self.input_bias)
            logits = (h * self.output_weight[os]).sum(-1) + self.output_bias[os]
            parts.append(torch.empty_like(logits).scatter_(1, os, logits))
        return torch.cat(parts) if parts else x.new_empty(0, dim)

    @torch.no_grad()
    def sample_in_order(self, x: Tensor, orders: Tensor, start: Tensor) -> Tensor:
        """Ancestral draws of each row's variables at positions ``>= start`` of its order,
        given the values of those before (copied from ``x``).

        :param x: ``(N, D)``: the values at positions ``< start`` (the rest unread).
        :param orders: ``(N, D)`` permutations.
        :param start: ``(N,)`` long, how many leading positions are given.
        :return: ``(N, D)`` binary.
        """
        n, dim = x.shape
        arange = torch.arange(dim, device=x.device)
        positions = torch.empty_like(orders).scatter_(1, orders, arange.expand(n, dim))
        given = (positions < start[:, None]).to(self.dtype)
        x = torch.where(given.bool(), x.to(self.dtype), torch.zeros_like(given))
        pre = self.network_input(x, given)
        rows = torch.arange(n, device=x.device)
        for k in range(int(start.min()) if n else dim, dim):
            active = start <= k
            variable = orders[:, k]
            h = self._body(pre)
            logit = (h * self.output_weight[variable]).sum(-1) + self.output_bias[variable]
            draw = torch.bernoulli(torch.sigmoid(logit))
            value = torch.where(active, draw, x[rows, variable])
            x[rows, variable] = value
            pre = pre + active[:, None] * self.step_input(value, variable)
        return x

    # --- checks -----------------------------------------------------------------------
    def _ordering(self, ordering) -> Tensor:
        if ordering is None:
            return self.order
        return check_order(ordering, self.dim).to(self.order.device)

    def _check_x(self, x: Tensor, name: str = "x") -> Tensor:
        check_binary(x, self.dim, name)
        # Binary values are exact in every float type: score them in the model's.
        return x.to(self.dtype)


class DeepNADEJoint(TorchDistribution):
    """:math:`p(x \\mid o)` of one order of a :class:`DeepNADE`: exact ``log_prob`` (nats)
    and ancestral ``sample``; batch shape ``()``, event ``(D,)``.

    :param DeepNADE model: the network.
    :param Tensor order: ``(D,)`` permutation.
    """

    arg_constraints = {}
    support = constraints.independent(constraints.boolean, 1)

    def __init__(self, model: DeepNADE, order: Tensor, validate_args=None):
        self.model, self.order = model, order
        super().__init__(torch.Size(), torch.Size([model.dim]), validate_args=validate_args)

    def log_prob(self, value: Tensor) -> Tensor:
        """:math:`\\sum_d \\log p(x_{o_d} \\mid x_{o_{<d}})`, shape ``value.shape[:-1]``."""
        x = self.model._check_x(value, "value")
        flat = x.reshape(-1, self.model.dim)
        logits = self.model.ordered_logits(flat, self.order.expand(flat.shape))
        lp = -F.binary_cross_entropy_with_logits(logits, flat, reduction="none").sum(-1)
        return lp.reshape(x.shape[:-1])

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        n, dim = math.prod(shape[:-1]), self.model.dim
        x = self.model.output_bias.new_zeros(n, dim)
        start = torch.zeros(n, dtype=torch.long, device=x.device)
        return self.model.sample_in_order(x, self.order.expand(n, dim), start).reshape(shape)

    def expand(self, batch_shape, _instance=None):
        return ExpandedDistribution(self, batch_shape)


class OrderMixture(TorchDistribution):
    """The uniform mixture :math:`\\frac1K \\sum_k p(x \\mid o^{(k)})` of a :class:`DeepNADE`'s
    joints: exact ``log_prob`` (a log-mean-exp over the orders) and ``sample`` (an order
    drawn uniformly per sample, then ancestral sampling in it).

    :param DeepNADE model: the network.
    :param Tensor orders: ``(K, D)`` permutations.
    """

    arg_constraints = {}
    support = constraints.independent(constraints.boolean, 1)

    def __init__(self, model: DeepNADE, orders: Tensor, validate_args=None):
        self.model, self.orders = model, orders
        super().__init__(torch.Size(), torch.Size([model.dim]), validate_args=validate_args)

    def log_prob(self, value: Tensor) -> Tensor:
        """:math:`\\log \\frac1K \\sum_k p(x \\mid o^{(k)})`, shape ``value.shape[:-1]``."""
        per_order = self.component_log_prob(value)
        return per_order.logsumexp(0) - math.log(self.orders.shape[0])

    def component_log_prob(self, value: Tensor) -> Tensor:
        """Each order's exact :math:`\\log p(x \\mid o^{(k)})`, shape
        ``(K,) + value.shape[:-1]``: the mixture of the first ``k`` orders is their
        log-mean-exp over the leading ``k`` rows, so nested ensembles cost one pass."""
        x = self.model._check_x(value, "value")
        flat = x.reshape(-1, self.model.dim)
        k, n = self.orders.shape[0], flat.shape[0]
        repeated = flat.repeat(k, 1)  # order-major: rows j*n .. (j+1)*n - 1 use order j
        orders = self.orders.repeat_interleave(n, 0)
        logits = self.model.ordered_logits(repeated, orders)
        lp = -F.binary_cross_entropy_with_logits(logits, repeated, reduction="none").sum(-1)
        return lp.reshape((k,) + x.shape[:-1])

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        n, dim = math.prod(shape[:-1]), self.model.dim
        which = torch.randint(0, self.orders.shape[0], (n,), device=self.orders.device)
        x = self.model.output_bias.new_zeros(n, dim)
        start = torch.zeros(n, dtype=torch.long, device=x.device)
        return self.model.sample_in_order(x, self.orders[which], start).reshape(shape)

    def expand(self, batch_shape, _instance=None):
        return ExpandedDistribution(self, batch_shape)


class DeepNADEConditional(TorchDistribution):
    """:math:`p(x_{\\bar S} \\mid x_S)` of a :class:`DeepNADE` in the order :math:`o'` that
    lists the observed :math:`S` first: exact for that order's joint.

    The event is the whole vector ``(D,)``: ``sample`` returns ``x``'s observed entries with
    the unobserved ones drawn; ``log_prob(value)`` scores ``value``'s unobserved entries given
    ``x``'s observed ones (``value``'s observed entries are not read), so with nothing
    observed it is the joint's ``log_prob`` and with everything observed 0.

    :param DeepNADE model: the network.
    :param Tensor x: ``(*batch, D)`` binary.
    :param Tensor observed_mask: broadcastable to ``x``, bool or {0, 1}.
    :param Tensor order: ``(D,)`` permutation whose relative order each group keeps.
    """

    arg_constraints = {}
    support = constraints.independent(constraints.boolean, 1)

    def __init__(self, model: DeepNADE, x: Tensor, observed_mask: Tensor, order: Tensor,
                 validate_args=None):
        x = model._check_x(x)
        if not isinstance(observed_mask, Tensor):
            raise ValueError(f"observed_mask must be a tensor, got "
                             f"{type(observed_mask).__name__}")
        if observed_mask.dtype != torch.bool:
            if observed_mask.is_floating_point() and torch.isnan(observed_mask).any():
                raise ValueError("observed_mask contains NaN")
            if ((observed_mask != 0) & (observed_mask != 1)).any():
                raise ValueError("observed_mask must hold 0/1 or booleans")
        try:
            mask = observed_mask.to(torch.bool).expand(x.shape)
        except RuntimeError as e:
            raise ValueError(f"observed_mask of shape {tuple(observed_mask.shape)} does not "
                             f"broadcast to x's shape {tuple(x.shape)}") from e
        self.model, self.x, self.observed_mask, self.order = model, x, mask, order
        super().__init__(x.shape[:-1], torch.Size([model.dim]), validate_args=validate_args)

    def _flat_orders(self, mask: Tensor) -> tuple[Tensor, Tensor]:
        """``(N, D)`` observed-first orders and ``(N,)`` counts of observed variables."""
        return observed_first(self.order, mask), mask.sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        """:math:`\\sum_{k \\ge |S|} \\log p(x_{o'_k} \\mid x_{o'_{<k}})`, nats, shape
        ``broadcast(value.shape[:-1], batch_shape)``."""
        value = self.model._check_x(value, "value")
        shape = torch.broadcast_shapes(value.shape, self.x.shape)
        mask = self.observed_mask.expand(shape).reshape(-1, self.model.dim)
        full = torch.where(self.observed_mask, self.x, value).expand(shape)
        full = full.reshape(-1, self.model.dim)
        orders, _ = self._flat_orders(mask)
        logits = self.model.ordered_logits(full, orders)
        nll = F.binary_cross_entropy_with_logits(logits, full, reduction="none")
        return -(nll * ~mask).sum(-1).reshape(shape[:-1])

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        x = self.x.expand(shape).reshape(-1, self.model.dim)
        mask = self.observed_mask.expand(shape).reshape(-1, self.model.dim)
        orders, start = self._flat_orders(mask)
        return self.model.sample_in_order(x, orders, start).reshape(shape)

    def expand(self, batch_shape, _instance=None):
        return ExpandedDistribution(self, batch_shape)
