"""The Bayesian chain-rule Bernoulli model: a Beta prior on every CPT entry.

:class:`~ppl_models.distributions.ChainRuleBernoulli` fixes one probability per conditional
probability table (CPT) entry. Here each entry is a random variable with its own Beta prior,

.. math::

   \\theta_{i,j} \\sim \\mathrm{Beta}(a, b), \\qquad
   x_{n,i} \\mid x_{n,\\mathrm{pa}(i)} = j \\;\\sim\\; \\mathrm{Bernoulli}(\\theta_{i,j}),

with :math:`j` the little-endian index of the parents' configuration. The entries of all
tables are flattened into one vector of :math:`K = \\sum_i 2^{|\\mathrm{pa}(i)|}` entries, so
the Pyro model is two plates: one over the ``K`` entries, one over the data.

Each entry sees only the data with its parent configuration, and the Beta prior is conjugate
to the Bernoulli likelihood, so the posterior factorises over entries in closed form,

.. math:: \\theta_{i,j} \\mid x \\sim \\mathrm{Beta}(a + n^{1}_{i,j},\\; b + n^{0}_{i,j}),

where :math:`n^{1}_{i,j}` (:math:`n^{0}_{i,j}`) counts the data with parent configuration
:math:`j` and :math:`x_i = 1` (:math:`x_i = 0`). Its mean is the pseudo-count estimate of
:meth:`ChainRuleBernoulli.fit(x, a, b) <ppl_models.distributions.ChainRuleBernoulli.fit>`.
The closed form makes this a test bed for MCMC: NUTS run on :meth:`~BetaBernoulliChainRule.model`
must reproduce :meth:`~BetaBernoulliChainRule.posterior`.

References:

1. Heckerman, Geiger & Chickering, "Learning Bayesian networks: the combination of knowledge
   and statistical data", Machine Learning 20, 1995 (Beta/Dirichlet priors on CPTs,
   parameter independence).
2. Koller & Friedman, "Probabilistic Graphical Models", MIT Press 2009, ch. 17.3
   (Bayesian parameter estimation in Bayesian networks).
3. Gelman et al., "Bayesian Data Analysis", 3rd ed., CRC 2013, ch. 2.4 (Beta-Bernoulli
   conjugacy).
"""

from collections.abc import Sequence

import pyro
import pyro.distributions as dist
import torch
from torch.distributions.utils import clamp_probs

from ppl_models.distributions.autoregressive import check_order
from ppl_models.distributions.binary_input import check_binary
from ppl_models.distributions.factorized import (
    BayesNetBernoulli,
    ChainRuleBernoulli,
    config_index,
    independent_parents,
    markov_parents,
)

__all__ = ["BetaBernoulliChainRule"]


class BetaBernoulliChainRule:
    """A Bernoulli Bayes net whose CPT entries carry independent Beta(a, b) priors.

    Entry ``k`` of the flat parameter vector ``theta`` is entry ``j`` of variable ``i``'s
    table, ``k = offsets[i] + j``; ``j`` indexes parent configurations little-endian as in
    :class:`~ppl_models.distributions.ChainRuleBernoulli`.

    :param parents: ``n`` tuples; ``parents[i]`` lists variables that precede ``i`` in ``order``.
    :param float a: Beta prior's first parameter (pseudo-count of ones), > 0.
    :param float b: Beta prior's second parameter (pseudo-count of zeros), > 0.
    :param order: permutation of ``range(n)``; raster if None.
    :raises ValueError: on non-positive prior parameters or an invalid structure.
    """

    def __init__(self, parents: Sequence[Sequence[int]], a: float = 1.0, b: float = 1.0,
                 order=None):
        if not (a > 0 and b > 0):
            raise ValueError(f"Beta prior parameters must be > 0, got a={a}, b={b}")
        # Borrow ChainRuleBernoulli's structure checks (parents precede children in order).
        self._structure = ChainRuleBernoulli(parents, order=order)
        self.parents = self._structure.parents
        self.order = self._structure.order
        self.a, self.b = float(a), float(b)
        sizes = torch.tensor([2 ** len(pa) for pa in self.parents])
        self.offsets = torch.cumsum(sizes, 0) - sizes
        self.num_entries = int(sizes.sum())

    @classmethod
    def markov(cls, n: int, a: float = 1.0, b: float = 1.0, order=None):
        """First-order Markov chain along ``order``: ``2n - 1`` entries."""
        return cls(markov_parents(check_order(order, n).tolist()), a, b, order)

    @classmethod
    def independent(cls, n: int, a: float = 1.0, b: float = 1.0, order=None):
        """Independent variables: ``n`` entries."""
        return cls(independent_parents(n), a, b, order)

    @property
    def num_variables(self) -> int:
        return len(self.parents)

    # --- data -> CPT entries ----------------------------------------------------------
    def entry_index(self, x: torch.Tensor) -> torch.Tensor:
        """Flat CPT entry used by each datum and variable, ``(N, n)`` long."""
        self._check_data(x)
        columns = [self.offsets[i] + config_index(x, pa)
                   for i, pa in enumerate(self.parents)]
        return torch.stack(columns, dim=-1)

    def counts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(n1, n0)``, each ``(K,)``: data with x_i = 1 (x_i = 0) per CPT entry."""
        entry = self.entry_index(x).reshape(-1)
        ones = torch.bincount(entry, weights=x.reshape(-1).double(), minlength=self.num_entries)
        total = torch.bincount(entry, minlength=self.num_entries).double()
        return ones.to(x.dtype), (total - ones).to(x.dtype)

    def posterior(self, x: torch.Tensor) -> dist.Beta:
        """The exact posterior: independent ``Beta(a + n1, b + n0)``, batch shape ``(K,)``."""
        ones, zeros = self.counts(x)
        return dist.Beta(self.a + ones, self.b + zeros)

    # --- the probabilistic program ----------------------------------------------------
    def model(self, x: torch.Tensor, entry: torch.Tensor | None = None) -> torch.Tensor:
        """Pyro model: ``theta ~ Beta(a, b)`` over a plate of CPT entries, then every datum.

        Vectorised over data and variables: each datum's row is one ``Bernoulli`` event of
        ``n`` variables whose probabilities are gathered from ``theta`` by :meth:`entry_index`.

        :param x: ``(N, n)`` binary observations.
        :param entry: ``entry_index(x)``, precomputed so that MCMC, which re-runs the model
            for every gradient, does not recount parent configurations; computed if None.
        :returns: ``theta``, shape ``(K,)``.
        """
        if entry is None:
            entry = self.entry_index(x)
        prior = dist.Beta(x.new_tensor(self.a), x.new_tensor(self.b))
        with pyro.plate("cpt", self.num_entries):
            theta = pyro.sample("theta", prior)
        # Bernoulli(probs=theta[entry]) written on the logit scale: the same clamping and
        # logit, done once per CPT entry instead of once per datum and variable.
        logits = torch.logit(clamp_probs(theta))
        with pyro.plate("data", x.shape[0]):
            pyro.sample("x", dist.Bernoulli(logits=logits[entry]).to_event(1), obs=x)
        return theta

    # --- helpers ----------------------------------------------------------------------
    def to_distribution(self, theta: torch.Tensor) -> BayesNetBernoulli:
        """The distribution of the Bayes net with CPT entries ``theta`` (``(K,)``)."""
        if theta.shape != (self.num_entries,):
            raise ValueError(f"theta must have shape ({self.num_entries},), "
                             f"got {tuple(theta.shape)}")
        sizes = [2 ** len(pa) for pa in self.parents]
        return ChainRuleBernoulli(self.parents, list(theta.split(sizes)), self.order)()

    def entry_labels(self) -> list[str]:
        """Readable names, ``"x3"`` for a parentless entry, ``"x3|x2=1"`` with parents."""
        labels = []
        for i, pa in enumerate(self.parents):
            for j in range(2 ** len(pa)):
                given = ",".join(f"x{p}={(j >> m) & 1}" for m, p in enumerate(pa))
                labels.append(f"x{i}|{given}" if pa else f"x{i}")
        return labels

    def _check_data(self, x: torch.Tensor) -> None:
        check_binary(x, self.num_variables, "x")
        if x.dim() != 2:
            raise ValueError(f"x must have shape (N, {self.num_variables}), got {tuple(x.shape)}")
