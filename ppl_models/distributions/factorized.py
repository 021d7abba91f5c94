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

References:

1. Koller & Friedman, "Probabilistic Graphical Models", MIT Press 2009, ch. 3 and 17.
"""

import math
from collections.abc import Sequence

import torch
from pyro.distributions import TorchDistribution
from pyro.distributions.torch_distribution import ExpandedDistribution
from torch.distributions import constraints

from ppl_models.distributions.autoregressive import check_order
from ppl_models.distributions.binary_input import check_binary

__all__ = [
    "ChainRuleBernoulli",
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


class ChainRuleBernoulli(TorchDistribution):
    """A Bernoulli Bayes net: each variable given a chosen set of earlier variables.

    Parent configurations are indexed little-endian: entry ``j`` of ``probs[i]`` is
    :math:`p(x_i = 1 \\mid x_{pa(i)})` where bit ``m`` of ``j`` is the value of the
    ``m``-th parent in ``parents[i]``.

    :param parents: ``n`` tuples; ``parents[i]`` lists variables that precede ``i`` in
        ``order``.
    :param probs: ``n`` tensors, ``probs[i]`` of shape ``(2 ** len(parents[i]),)`` in
        [0, 1]; all 0.5 if None.
    :param order: permutation of ``range(n)``; raster if None.
    :param int max_table_entries: refuse structures whose tables would exceed this.
    :raises ValueError: on a parent that does not precede its child, bad table shapes or
        values, or tables too large to allocate.
    """

    arg_constraints = {}
    support = constraints.independent(constraints.boolean, 1)

    def __init__(self, parents, probs=None, order=None, *,
                 max_table_entries: int = DEFAULT_MAX_TABLE_ENTRIES, validate_args=None):
        n = len(parents)
        self.order = check_order(order, n)
        self.parents = [tuple(int(p) for p in pa) for pa in parents]
        self._check_parents()
        entries = self.count_parameters(self.parents)
        if entries > max_table_entries:
            raise ValueError(
                f"ChainRuleBernoulli over n={n} variables needs {_approx(entries)} table "
                f"entries ({_approx(entries * 4)} bytes as float32); max_table_entries="
                f"{max_table_entries}. Use fewer parents (e.g. .markov or .independent).")
        self.probs = self._check_probs(probs)
        super().__init__(torch.Size(), torch.Size([n]), validate_args=validate_args)

    # --- structures -------------------------------------------------------------------
    @classmethod
    def full(cls, n: int, probs=None, order=None, **kwargs) -> "ChainRuleBernoulli":
        """The full joint (``2^n - 1`` parameters); refused when the tables are too large."""
        return cls(full_parents(check_order(order, n).tolist()), probs, order, **kwargs)

    @classmethod
    def independent(cls, n: int, probs=None, order=None, **kwargs) -> "ChainRuleBernoulli":
        """Fully independent variables (``n`` parameters)."""
        return cls(independent_parents(n), probs, order, **kwargs)

    @classmethod
    def markov(cls, n: int, probs=None, order=None, **kwargs) -> "ChainRuleBernoulli":
        """A first-order Markov chain along ``order`` (``2n - 1`` parameters)."""
        return cls(markov_parents(check_order(order, n).tolist()), probs, order, **kwargs)

    @staticmethod
    def count_parameters(parents) -> int:
        """Free parameters of a structure, without allocating it: :math:`\\sum_i 2^{|pa(i)|}`."""
        return sum(2 ** len(pa) for pa in parents)

    @property
    def num_parameters(self) -> int:
        """Free parameters: one per CPT entry."""
        return self.count_parameters(self.parents)

    # --- fitting ----------------------------------------------------------------------
    def fit(self, x: torch.Tensor, alpha: float = 0.0, beta: float = 0.0) -> "ChainRuleBernoulli":
        """Closed-form fit of every CPT entry from counts; returns a new distribution.

        Entry :math:`p = (n_1 + \\alpha) / (n + \\alpha + \\beta)`, with :math:`n` the data
        having that parent configuration and :math:`n_1` those among them with
        :math:`x_i = 1`. With ``alpha = beta = 0`` this is the maximum-likelihood estimate,
        the empirical frequency; configurations never seen (``n + alpha + beta = 0``) get
        0.5, as any value maximises the likelihood there.

        :param x: ``(N, n)`` binary data.
        :param float alpha: pseudo-count of ones (Beta prior's first parameter).
        :param float beta: pseudo-count of zeros.
        """
        check_binary(x, self.event_shape[0], "x")
        if x.dim() != 2:
            raise ValueError(f"x must have shape (N, {self.event_shape[0]}), got {tuple(x.shape)}")
        if alpha < 0 or beta < 0:
            raise ValueError(f"pseudo-counts must be >= 0, got alpha={alpha}, beta={beta}")
        probs = []
        for i, pa in enumerate(self.parents):
            idx = self._config_index(x, pa)
            size = 2 ** len(pa)
            total = torch.bincount(idx, minlength=size).to(x.dtype)
            ones = torch.bincount(idx, weights=x[:, i], minlength=size).to(x.dtype)
            denom = total + alpha + beta
            p = torch.where(denom > 0, (ones + alpha) / denom.clamp_min(1e-30),
                            torch.full_like(denom, 0.5))
            probs.append(p)
        return type(self)(self.parents, probs, self.order)

    # --- density and sampling ---------------------------------------------------------
    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        """Exact :math:`\\log p(x)` in nats, shape ``value.shape[:-1]``."""
        check_binary(value, self.event_shape[0], "value")
        lp = value.new_zeros(value.shape[:-1])
        for i, pa in enumerate(self.parents):
            p = self.probs[i].to(value)[self._config_index(value, pa)]
            lp = lp + torch.where(value[..., i] == 1, torch.log(p), torch.log1p(-p))
        return lp

    def sample(self, sample_shape=()) -> torch.Tensor:
        shape = self._extended_shape(sample_shape)
        x = torch.zeros(shape)
        for i in self.order.tolist():
            p = self.probs[i][self._config_index(x, self.parents[i])]
            x[..., i] = torch.bernoulli(p)
        return x

    def expand(self, batch_shape, _instance=None):
        return ExpandedDistribution(self, batch_shape)

    # --- helpers ----------------------------------------------------------------------
    @staticmethod
    def _config_index(x: torch.Tensor, pa: tuple[int, ...]) -> torch.Tensor:
        """Little-endian index of each datum's parent configuration, shape ``x.shape[:-1]``."""
        if not pa:
            return torch.zeros(x.shape[:-1], dtype=torch.long, device=x.device)
        bits = x[..., list(pa)].long()
        weights = 2 ** torch.arange(len(pa), device=x.device)
        return (bits * weights).sum(-1)

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
            return [torch.full((2 ** len(pa),), 0.5) for pa in self.parents]
        if len(probs) != len(self.parents):
            raise ValueError(f"probs must hold {len(self.parents)} tables, got {len(probs)}")
        checked = []
        for i, (p, pa) in enumerate(zip(probs, self.parents, strict=True)):
            p = torch.as_tensor(p, dtype=torch.get_default_dtype())
            if p.shape != (2 ** len(pa),):
                raise ValueError(f"probs[{i}] must have shape ({2 ** len(pa)},), "
                                 f"got {tuple(p.shape)}")
            if torch.isnan(p).any() or (p < 0).any() or (p > 1).any():
                raise ValueError(f"probs[{i}] must lie in [0, 1]")
            checked.append(p)
        return checked
