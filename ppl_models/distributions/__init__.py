"""Explicit, exactly normalised densities: each model is a module whose call returns a Pyro
``TorchDistribution`` (:class:`LazyDistribution`).

``ChainRuleBernoulli`` (and its named structures), ``FVSBN``, ``NADE``, ``DeepNADE``,
``PixelRNN`` and ``RNADE`` (real values) are all called the same way: ``m()`` (or
``m(context)``) is the distribution, with exact ``log_prob`` in nats and ancestral ``sample``.
``EqualNormalMixture`` is a plain distribution (the VAE's VampPrior density).
"""

from ppl_models.distributions.autoregressive import (
    AutoregressiveBernoulli,
    AutoregressiveModel,
    check_order,
)
from ppl_models.distributions.binary_input import check_binary
from ppl_models.distributions.deep_nade import DeepNADE
from ppl_models.distributions.factorized import (
    BayesNetBernoulli,
    ChainRuleBernoulli,
    FullJointBernoulli,
    IndependentBernoulli,
    MarkovBernoulli,
    full_parents,
    independent_parents,
    markov_parents,
)
from ppl_models.distributions.fvsbn import FVSBN
from ppl_models.distributions.lazy import (
    ContextDistribution,
    LazyDistribution,
    TrainingLoss,
    Unconditional,
)
from ppl_models.distributions.nade import NADE
from ppl_models.distributions.normal_mixture import EqualNormalMixture
from ppl_models.distributions.pixelrnn import PixelRNN
from ppl_models.distributions.rnade import RNADE

__all__ = [
    "AutoregressiveBernoulli",
    "AutoregressiveModel",
    "BayesNetBernoulli",
    "ChainRuleBernoulli",
    "ContextDistribution",
    "DeepNADE",
    "EqualNormalMixture",
    "FVSBN",
    "FullJointBernoulli",
    "IndependentBernoulli",
    "LazyDistribution",
    "MarkovBernoulli",
    "NADE",
    "PixelRNN",
    "RNADE",
    "TrainingLoss",
    "Unconditional",
    "check_binary",
    "check_order",
    "full_parents",
    "independent_parents",
    "markov_parents",
]
