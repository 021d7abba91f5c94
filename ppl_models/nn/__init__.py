"""Conditioners and networks: the parameterised parts of density models."""

# The networks subclass the distribution base classes, and ppl_models.distributions
# re-exports the networks: load the base package first so either import order works.
import ppl_models.distributions  # noqa: F401  isort: skip
from ppl_models.nn.conv import ConvDecoder, ConvEncoder
from ppl_models.nn.fvsbn import FVSBN
from ppl_models.nn.mlp import MLP
from ppl_models.nn.nade import NADE

__all__ = ["ConvDecoder", "ConvEncoder", "FVSBN", "MLP", "NADE"]
