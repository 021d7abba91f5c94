"""Bernoulli Bayes nets in a fixed order: the cost of a joint over binary variables.

By the chain rule any distribution over :math:`\\{0,1\\}^n` is, in an order :math:`\\sigma`,

.. math:: p(x) = \\prod_{k} p(x_{\\sigma_k} \\mid x_{\\mathrm{pa}(\\sigma_k)}),
   \\qquad \\mathrm{pa}(\\sigma_k) \\subseteq \\{\\sigma_1, \\dots, \\sigma_{k-1}\\},

with one conditional probability table (CPT) entry per parent configuration. The choice
of parent sets *is* the conditional-independence assumption, and it fixes the cost:

=====================  =========================  ======================
structure              parents of the k-th var    free parameters
=====================  =========================  ======================
full joint             all earlier variables      :math:`2^n - 1`
fully independent      none                       :math:`n`
Markov chain           the previous variable      :math:`2n - 1`
=====================  =========================  ======================

Fitting is closed form: each CPT entry is the empirical frequency of :math:`x_i = 1`
among the data with that parent configuration (plus optional Beta pseudo-counts).

:class:`ChainRuleBernoulli` is the module that holds the tables (as buffers: they are fitted
from counts, not by gradients); calling it returns the :class:`BayesNetBernoulli`
distribution that scores and samples, as every exact model here does. The three named
structures are the registered kinds ``"full"``, ``"independent"`` and ``"markov"``.

References:

1. Koller & Friedman, "Probabilistic Graphical Models", MIT Press 2009, ch. 3 and 17.
"""

import copy
import math
from collections.abc import Sequence

import torch
from pyro.distributions import TorchDistribution
from pyro.distributions.torch_distribution import ExpandedDistribution
from torch.distributions import constraints

from ppl_models.abilities import ClosedForm
from ppl_models.distributions.autoregressive import check_order, order_config
from ppl_models.distributions.binary_input import check_binary
from ppl_models.distributions.lazy import LazyDistribution
from ppl_models.registry import ModelTooLarge, register

__all__ = [
    "BayesNetBernoulli",
    "ChainRuleBernoulli",
    "FullJointBernoulli",
    "config_index",
    "IndependentBernoulli",
    "MarkovBernoulli",
    "full_parents",
    "independent_parents",
    "markov_parents",
]

DEFAULT_MAX_TABLE_ENTRIES = 2**25  # 128 MiB of float32: beyond this a table is refused


def full_parents(order: Sequence[int]) -> list[tuple[int, ...]]:
    """Parent sets of the full joint: every variable depends on all earlier ones."""
    parents = [()] * len(order)
    for k, i in enumerate(order):
        parents[i] = tuple(order[:k])
    return parents


def independent_parents(n: int) -> list[tuple[int, ...]]:
    """Parent sets of the fully independent model: no parents."""
    return [()] * n


def markov_parents(order: Sequence[int]) -> list[tuple[int, ...]]:
    """Parent sets of a first-order Markov chain along ``order``."""
    parents = [()] * len(order)
    for k in range(1, len(order)):
        parents[order[k]] = (order[k - 1],)
    return parents


def _approx(count: int) -> str:
    """A big integer in scientific notation without overflowing float."""
    if count < 10**6:
        return str(count)
    exponent = int(math.log10(count))
    return f"{count / 10**exponent:.2f}e{exponent}" if exponent < 300 else f"~1e{exponent}"


class BayesNetBernoulli(TorchDistribution):
    """A Bernoulli Bayes net with fixed tables (see :class:`ChainRuleBernoulli`).

    :param parents: ``n`` tuples of parent variables.
    :param probs: ``n`` tensors, ``probs[i]`` of shape ``(2 ** len(parents[i]),)``.
    :param Tensor order: the sampling order, a permutation of ``range(n)``.
    """

    arg_constraints = {}
    support = constraints.independent(constraints.boolean, 1)

    def __init__(self, parents, probs, order, validate_args=None):
        self.parents, self.probs, self.order = parents, probs, order
        super().__init__(torch.Size(), torch.Size([len(parents)]), validate_args=validate_args)

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """Exact :math:`\\log p(x)` in nats, shape ``value.shape[:-1]``."""
        check_binary(value, self.event_shape[0], "value")
        # Binary values are exact in every float type: score them in the tables' own type,
        # as NADE and FVSBN do (the tables cast to float16 were 0.13 nats off, bfloat16 1.1).
        value = value.to(self.probs[0].dtype)
        lp = value.new_zeros(value.shape[:-1])
        for i, pa in enumerate(self.parents):
            p = self.probs[i][config_index(value, pa)]
            lp = lp + torch.where(value[..., i] == 1, torch.log(p), torch.log1p(-p))
        return lp

    def sample(self, sample_shape=()) -> torch.Tensor:
        shape = self._extended_shape(sample_shape)
        x = self.probs[0].new_zeros(shape)
        for i in self.order.tolist():
            p = self.probs[i][config_index(x, self.parents[i])]
            x[..., i] = torch.bernoulli(p)
        return x

    def expand(self, batch_shape, _instance=None):
        return ExpandedDistribution(self, batch_shape)


@register("chain_rule", "exact")
class ChainRuleBernoulli(LazyDistribution, ClosedForm):
    """A Bernoulli Bayes net: each variable given a chosen set of earlier variables.

    ``ChainRuleBernoulli(parents)()`` is a :class:`BayesNetBernoulli` with exact
    ``log_prob`` and ancestral ``sample``. Parent configurations are indexed little-endian:
    entry ``j`` of ``probs[i]`` is :math:`p(x_i = 1 \\mid x_{pa(i)})` where bit ``m`` of ``j``
    is the value of the ``m``-th parent in ``parents[i]``. The tables are one buffer, so
    ``state_dict`` saves them and ``.to(device)`` moves them.

    :param parents: ``n`` tuples; ``parents[i]`` lists variables that precede ``i`` in
        ``order``.
    :param probs: ``n`` tensors, ``probs[i]`` of shape ``(2 ** len(parents[i]),)`` in
        [0, 1]; all 0.5 if None.
    :param order: permutation of ``range(n)``; raster if None.
    :param int max_table_entries: refuse structures whose tables would exceed this.
    :raises ValueError: on a parent that does not precede its child, bad table shapes or
        values, or tables too large to allocate (:class:`~ppl_models.registry.ModelTooLarge`).
    """

    def __init__(self, parents, probs=None, order=None, *,
                 max_table_entries: int = DEFAULT_MAX_TABLE_ENTRIES):
        super().__init__()
        n = len(parents)
        if n < 1:
            raise ValueError("parents must describe at least one variable, got none")
        self.max_table_entries = int(max_table_entries)
        self.register_buffer("order", check_order(order, n))
        self.parents = [tuple(int(p) for p in pa) for pa in parents]
        self._check_parents()
        _refuse_if_too_large(self.count_parameters(self.parents), n, self.max_table_entries)
        self.sizes = [2 ** len(pa) for pa in self.parents]
        self.register_buffer("table", torch.cat(self._check_probs(probs)))

    # --- structures -------------------------------------------------------------------
    @classmethod
    def full(cls, n: int, probs=None, order=None, **kwargs) -> "FullJointBernoulli":
        """The full joint (``2^n - 1`` parameters); refused when the tables are too large."""
        return FullJointBernoulli(n, order, probs=probs, **kwargs)

    @classmethod
    def independent(cls, n: int, probs=None, order=None, **kwargs) -> "IndependentBernoulli":
        """Fully independent variables (``n`` parameters)."""
        return IndependentBernoulli(n, order, probs=probs, **kwargs)

    @classmethod
    def markov(cls, n: int, probs=None, order=None, **kwargs) -> "MarkovBernoulli":
        """A first-order Markov chain along ``order`` (``2n - 1`` parameters)."""
        return MarkovBernoulli(n, order, probs=probs, **kwargs)

    @staticmethod
    def count_parameters(parents) -> int:
        """Free parameters of a structure, without allocating it: :math:`\\sum_i 2^{|pa(i)|}`."""
        return sum(2 ** len(pa) for pa in parents)

    @property
    def num_parameters(self) -> int:
        """Free parameters: one per CPT entry."""
        return self.table.numel()

    @property
    def probs(self) -> list[torch.Tensor]:
        """``probs[i]``: the table of variable ``i``, a view into the one buffer."""
        return list(self.table.split(self.sizes))

    @property
    def config(self) -> dict:
        return {"parents": [list(pa) for pa in self.parents], "order": order_config(self.order),
                "max_table_entries": self.max_table_entries}

    def forward(self, context=None) -> BayesNetBernoulli:
        """The distribution over :math:`\\{0,1\\}^n` these tables define (no context)."""
        if context is not None:
            raise ValueError(f"{type(self).__name__} takes no context (a table model is "
                             "unconditional)")
        return BayesNetBernoulli(self.parents, self.probs, self.order)

    # --- fitting ----------------------------------------------------------------------
    def fit(self, x: torch.Tensor, alpha: float = 0.0, beta: float = 0.0) -> "ChainRuleBernoulli":
        """Closed-form fit of every CPT entry from counts; returns a new fitted module.

        Entry :math:`p = (n_1 + \\alpha) / (n + \\alpha + \\beta)`, with :math:`n` the data
        having that parent configuration and :math:`n_1` those among them with
        :math:`x_i = 1`. With ``alpha = beta = 0`` this is the maximum-likelihood estimate,
        the empirical frequency; configurations never seen (``n + alpha + beta = 0``) get
        0.5, as any value maximises the likelihood there.

        :param x: ``(N, n)`` binary data.
        :param float alpha: pseudo-count of ones (Beta prior's first parameter).
        :param float beta: pseudo-count of zeros.
        """
        n = len(self.parents)
        check_binary(x, n, "x")
        if x.dim() != 2:
            raise ValueError(f"x must have shape (N, {n}), got {tuple(x.shape)}")
        if not (alpha >= 0 and beta >= 0):  # also refuses NaN
            raise ValueError(f"pseudo-counts must be >= 0, got alpha={alpha}, beta={beta}")
        probs = []
        for i, pa in enumerate(self.parents):
            idx = config_index(x, pa)
            size = 2 ** len(pa)
            total = torch.bincount(idx, minlength=size).to(x.dtype)
            ones = torch.bincount(idx, weights=x[:, i], minlength=size).to(x.dtype)
            denom = total + alpha + beta
            p = torch.where(denom > 0, (ones + alpha) / denom.clamp_min(1e-30),
                            torch.full_like(denom, 0.5))
            probs.append(p)
        fitted = copy.deepcopy(self)
        fitted.table = torch.cat(probs).to(self.table)
        return fitted

    # --- checks -----------------------------------------------------------------------
    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # The constructor checks the tables it is given; a file is checked too, before its
        # values are copied in: a 1.5 would otherwise reach torch.bernoulli in sample().
        # NaN and infinities are left to the callers' finite checks (evaluate and sample
        # name the parameter that holds them).
        table = state_dict.get(prefix + "table")
        if isinstance(table, torch.Tensor) and table.is_floating_point():
            finite = table[torch.isfinite(table)]
            bad = finite[(finite < 0) | (finite > 1)]
            if len(bad):
                raise ValueError(f"{prefix}table must hold probabilities in [0, 1]; found "
                                 f"{bad[0].item()!r} ({len(bad)} entries outside)")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _check_parents(self):
        position = torch.empty_like(self.order)
        position[self.order] = torch.arange(len(self.order))
        for i, pa in enumerate(self.parents):
            for p in pa:
                if not 0 <= p < len(self.parents) or position[p] >= position[i]:
                    raise ValueError(f"parents[{i}] contains {p}, which does not precede "
                                     f"variable {i} in the order")
            if len(set(pa)) != len(pa):
                raise ValueError(f"parents[{i}] repeats a variable: {pa}")

    def _check_probs(self, probs):
        if probs is None:
            return [torch.full((size,), 0.5) for size in self.sizes]
        if len(probs) != len(self.parents):
            raise ValueError(f"probs must hold {len(self.parents)} tables, got {len(probs)}")
        checked = []
        for i, (p, size) in enumerate(zip(probs, self.sizes, strict=True)):
            p = torch.as_tensor(p, dtype=torch.get_default_dtype())
            if p.shape != (size,):
                raise ValueError(f"probs[{i}] must have shape ({size},), got {tuple(p.shape)}")
            if torch.isnan(p).any() or (p < 0).any() or (p > 1).any():
                raise ValueError(f"probs[{i}] must lie in [0, 1]")
            checked.append(p)
        return checked


class _NamedStructure(ChainRuleBernoulli):
    """A structure named by its parent sets' rule, configured by ``dim`` and ``order``."""

    def __init__(self, parents, dim, order, probs, max_table_entries):
        super().__init__(parents, probs, order, max_table_entries=max_table_entries)
        self.dim = dim

    @property
    def config(self) -> dict:
        return {"dim": self.dim, "order": order_config(self.order),
                "max_table_entries": self.max_table_entries}


@register("independent", "exact")
class IndependentBernoulli(_NamedStructure):
    """Fully independent binary variables: ``n`` parameters.

    :param int dim: number of variables ``n``.
    :param order: sampling order (any order gives the same distribution).
    :param probs: the ``n`` one-entry tables, all 0.5 if None.
    :param int max_table_entries: see :class:`ChainRuleBernoulli`.
    """

    def __init__(self, dim: int, order=None, *, probs=None,
                 max_table_entries: int = DEFAULT_MAX_TABLE_ENTRIES):
        super().__init__(independent_parents(_check_dim(dim)), dim, order, probs,
                         max_table_entries)


@register("markov", "exact")
class MarkovBernoulli(_NamedStructure):
    """A first-order Markov chain along ``order``: ``2n - 1`` parameters.

    :param int dim: number of variables ``n``.
    :param order: the chain's order, raster if None.
    :param probs: the tables, all 0.5 if None.
    :param int max_table_entries: see :class:`ChainRuleBernoulli`.
    """

    def __init__(self, dim: int, order=None, *, probs=None,
                 max_table_entries: int = DEFAULT_MAX_TABLE_ENTRIES):
        order = check_order(order, _check_dim(dim))
        super().__init__(markov_parents(order.tolist()), dim, order, probs, max_table_entries)


@register("full", "exact")
class FullJointBernoulli(_NamedStructure):
    """The full joint table: ``2^n - 1`` parameters, refused (before anything is allocated)
    when they exceed ``max_table_entries``.

    :param int dim: number of variables ``n``.
    :param order: the chain-rule order, raster if None.
    :param probs: the tables, all 0.5 if None.
    :param int max_table_entries: see :class:`ChainRuleBernoulli`.
    """

    def __init__(self, dim: int, order=None, *, probs=None,
                 max_table_entries: int = DEFAULT_MAX_TABLE_ENTRIES):
        # 2^n - 1 is known without the O(n^2) parent lists: refuse a huge n at once.
        _refuse_if_too_large(2 ** _check_dim(dim) - 1, dim, max_table_entries)
        order = check_order(order, dim)
        super().__init__(full_parents(order.tolist()), dim, order, probs, max_table_entries)


def _check_dim(dim) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim must be a positive int, got {dim!r}")
    return dim


def _refuse_if_too_large(entries: int, n: int, max_table_entries: int) -> None:
    if entries > max_table_entries:
        formula = f"2^{n} - 1" if entries == 2**n - 1 else "sum of 2^|pa(i)|"
        raise ModelTooLarge(
            f"ChainRuleBernoulli over n={n} variables needs {_approx(entries)} table "
            f"entries ({_approx(entries * 4)} bytes as float32); max_table_entries="
            f"{max_table_entries}. Use fewer parents (e.g. .markov or .independent).",
            num_parameters=entries, formula=formula)


def config_index(x: torch.Tensor, pa: tuple[int, ...]) -> torch.Tensor:
    """Little-endian index of each datum's parent configuration, shape ``x.shape[:-1]``."""
    if not pa:
        return torch.zeros(x.shape[:-1], dtype=torch.long, device=x.device)
    bits = x[..., list(pa)].long()
    weights = 2 ** torch.arange(len(pa), device=x.device)
    return (bits * weights).sum(-1)
