"""Explicit, exactly normalised densities, each a Pyro ``TorchDistribution``.

``ChainRuleBernoulli`` is a distribution; ``FVSBN`` and ``NADE`` are modules that return
an ``AutoregressiveBernoulli`` when called (their parameters live in ``ppl_models.nn``).
"""

from ppl_models.distributions.autoregressive import (
    AutoregressiveBernoulli,
    AutoregressiveModel,
    check_order,
)
from ppl_models.distributions.binary_input import check_binary
from ppl_models.distributions.factorized import (
    ChainRuleBernoulli,
    full_parents,
    independent_parents,
    markov_parents,
)
from ppl_models.nn.fvsbn import FVSBN  # noqa: E402  (modules build on the base above)
from ppl_models.nn.nade import NADE  # noqa: E402

__all__ = [
    "AutoregressiveBernoulli",
    "AutoregressiveModel",
    "ChainRuleBernoulli",
    "FVSBN",
    "NADE",
    "check_binary",
    "check_order",
    "full_parents",
    "independent_parents",
    "markov_parents",
]
