"""The interface between the training loop and whatever is being fitted.

The :class:`~inference.training.trainer.Trainer` never sees a model, a loss or a log-density:
it hands batches to a *step* object and records the numbers it gets back. Maximum likelihood
(:class:`~inference.training.mle_step.MLEStep`), stochastic variational inference and
adversarial games differ only in their step.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from torch import Tensor

__all__ = ["Batch", "Step"]

#: A minibatch as the trainer slices it from the data: a tensor, or a tuple of tensors that
#: share their first (example) dimension, e.g. ``(x, context)``.
Batch = Tensor | tuple[Tensor, ...]


@runtime_checkable
class Step(Protocol):
    """One optimisation update and one evaluation, on one minibatch.

    The step owns the optimiser(s); models never do. Every returned dict has the key
    ``"loss"``: the *mean per example* over the batch, so the trainer can weight batches of
    unequal size. Other keys (e.g. ELBO terms) are optional and are averaged the same way.

    A step that can train on several processes also has ``distribute()`` (wrap its loss in
    ``DistributedDataParallel``; see :mod:`inference.training.distributed`) and accepts
    ``train_step(batch, shard=Shard(...))``, ``batch`` then being this rank's share of the
    global batch; the :class:`~inference.training.trainer.Trainer` refuses a step without
    ``distribute`` under ``torch.distributed``. A step that keeps state of its own on each
    rank (an adversarial game's replay buffer holds that rank's fakes) also has
    ``local_state_dict()`` / ``load_local_state_dict(state)``: the Trainer saves every
    rank's and gives each rank its own back on resume. All are optional, so the protocol's
    ``isinstance`` check does not ask for them.
    """

    def train_step(self, batch: Batch) -> dict[str, float]:
        """Take one optimiser update on ``batch``.

        :param batch: a minibatch of training data.
        :return: ``{"loss": mean loss per example, ...}`` measured before the update.
        """
        ...

    def eval_step(self, batch: Batch) -> dict[str, float]:
        """Evaluate on ``batch`` without gradients or parameter changes.

        :param batch: a minibatch of validation data.
        :return: ``{"loss": mean loss per example, ...}``.
        """
        ...

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue training exactly: model(s) *and* optimiser(s).

        Must hold only tensors, containers and primitives (loadable with
        ``torch.load(..., weights_only=True)``).
        """
        ...

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        :param state_dict: a dict produced by :meth:`state_dict` of an equivalent step.
        """
        ...
