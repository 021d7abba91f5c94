"""Conditioners and networks: the parameterised parts of density models."""

from ppl_models.nn.fvsbn import FVSBN
from ppl_models.nn.nade import NADE

__all__ = ["FVSBN", "NADE"]
