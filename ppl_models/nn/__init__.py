"""Network blocks that map tensors to tensors: the parameterised parts of models.

Nothing here returns a distribution (those live in :mod:`ppl_models.distributions`), so this
package imports nothing from the rest of the library.
"""

from ppl_models.nn.conv import ConvDecoder, ConvEncoder
from ppl_models.nn.mlp import MLP

__all__ = ["ConvDecoder", "ConvEncoder", "MLP"]
