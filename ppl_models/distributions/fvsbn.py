"""FVSBN: the fully visible sigmoid belief network.

The simplest parametric chain rule: each conditional is a logistic regression on the
variables before it (Frey 1998; Larochelle & Murray 2011, eq. 2), in ordered coordinates

.. math:: p(x_k = 1 \\mid x_{<k}) = \\mathrm{sigm}\\big(b_k + \\sum_{j<k} A_{kj} x_j\\big),

with ``D (D + 1) / 2`` parameters. The strictly lower-triangular ``A`` is kept as a
dense matrix times a mask buffer, so every conditional comes out of one matmul.

References:

1. Frey, "Graphical Models for Machine Learning and Digital Communication", MIT Press 1998.
2. Larochelle & Murray, "The Neural Autoregressive Distribution Estimator", AISTATS 2011.
"""

import torch
from torch import nn

from ppl_models.distributions.autoregressive import AutoregressiveModel, order_config
from ppl_models.registry import register

__all__ = ["FVSBN"]


@register("fvsbn", "exact")
class FVSBN(AutoregressiveModel):
    """Fully visible sigmoid belief network over ``dim`` binary variables.

    :param int dim: number of binary variables ``D``.
    :param order: variable order (permutation of ``range(dim)``), raster if None.
    :param int context_dim: size of an optional conditioning vector; 0 for none.
    """

    def __init__(self, dim: int, order=None, context_dim: int = 0):
        super().__init__(dim, order, context_dim)
        self.A = nn.Parameter(torch.zeros(dim, dim))
        self.b = nn.Parameter(torch.zeros(dim))
        self.register_buffer("mask", torch.ones(dim, dim).tril(-1), persistent=False)
        self.context_net = nn.Linear(context_dim, dim) if context_dim else None

    @property
    def config(self) -> dict:
        return {"dim": self.dim, "order": order_config(self.order),
                "context_dim": self.context_dim}

    @property
    def num_parameters(self) -> int:
        """Free parameters of the unconditional model, ``D (D + 1) / 2``."""
        return self.dim * (self.dim + 1) // 2

    def _bias(self, context):
        return self.b if context is None else self.b + self.context_net(context)

    def ordered_logits(self, x, context):
        return x @ (self.A * self.mask).T + self._bias(context)

    def ordered_sample(self, n, context):
        b = self._bias(context).expand(n, self.dim)
        x = self.A.new_zeros(n, self.dim)
        for k in range(self.dim):
            logit = b[:, k] + x[:, :k] @ self.A[k, :k]
            x[:, k] = torch.bernoulli(torch.sigmoid(logit))
        return x
