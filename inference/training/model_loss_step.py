r"""Training step for exact models that declare a training loss of their own.

Some exact models score exactly in one form but train on another objective: an
order-agnostic DeepNADE (Uria et al. [1]) minimises an unbiased estimate of the negative
log-likelihood averaged over variable orders,

.. math:: \mathcal{L}(\theta) = \frac{1}{B} \sum_{i=1}^{B} \ell_\theta(x_i), \qquad
   \ell_\theta = \texttt{model.training\_loss},

while validation, early stopping and the reported figures keep the exact
:math:`-\log p_\theta(x)` of ``model()``. A model says so by inheriting
:class:`~ppl_models.distributions.lazy.TrainingLoss`; this step accepts no other.

References:

1. Uria, Murray & Larochelle, "A Deep and Tractable Density Estimator", ICML 2014.
"""

from __future__ import annotations

from torch import Tensor

from inference.training.mle_step import MLEStep
from inference.training.step import Batch
from ppl_models.distributions.lazy import TrainingLoss

__all__ = ["ModelLossStep"]


class ModelLossStep(MLEStep):
    """Minimise ``model.training_loss(x).mean()``; evaluate by the exact mean NLL of
    ``model()`` (:meth:`MLEStep.nll`). Takes :class:`MLEStep`'s arguments.

    :param model: a :class:`~ppl_models.distributions.lazy.TrainingLoss` exact model
        without a context.
    """

    def __init__(self, model, *args, **kwargs) -> None:
        if not isinstance(model, TrainingLoss):
            raise ValueError(f"{type(model).__name__} declares no training loss of its own "
                             "(ppl_models.distributions.TrainingLoss); fit it with MLEStep")
        super().__init__(model, *args, **kwargs)

    def loss(self, batch: Batch) -> Tensor:
        """Mean of the model's own per-example training loss, nats.

        :param batch: a minibatch (see ``context_fn``); a context is refused.
        """
        x, context = self.context_fn(batch)
        if context is not None:
            raise ValueError(f"{type(self.model).__name__}'s training loss takes no context")
        loss = self.model.training_loss(x)
        if loss.shape != x.shape[:1]:
            raise ValueError(f"training_loss must have shape (batch,) = {tuple(x.shape[:1])}, "
                             f"got {tuple(loss.shape)}")
        return loss.mean()
