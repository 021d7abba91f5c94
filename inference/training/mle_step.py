r"""Maximum-likelihood training step for explicit density models.

A density model is an ``nn.Module`` whose ``forward(context=None)`` returns a Pyro
distribution with exact ``log_prob``. Maximum likelihood minimises the mean negative
log-likelihood per example,

.. math:: \mathcal{L}(\theta) = -\frac{1}{B} \sum_{i=1}^{B} \log p_\theta(x_i \mid c_i).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from inference.training.distributed import Shard, data_parallel
from inference.training.optimizer_update import OptimizerUpdate
from inference.training.step import Batch

__all__ = ["MLEStep"]


def _default_split(batch: Batch) -> tuple[Tensor, Tensor | None]:
    if isinstance(batch, Tensor):
        return batch, None
    if len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(f"batch must be a tensor or an (x, context) pair, got {len(batch)} items")


class MLEStep:
    """Fit a density model by minimising ``-model(context).log_prob(x).mean()``.

    :param nn.Module model: density module; ``model()`` (or ``model(context)``) returns a
        distribution whose ``log_prob(x)`` has shape ``(batch,)``.
    :param optimizer: optimiser over ``model``'s parameters; default ``Adam(lr=lr)``.
    :type optimizer: torch.optim.Optimizer or None
    :param float lr: learning rate of the default optimiser (ignored if ``optimizer`` given).
    :param grad_clip: if set, clip the global gradient norm to this value before each update.
    :type grad_clip: float or None
    :param context_fn: splits a batch into ``(x, context)``; ``context=None`` calls
        ``model()``. Default: a tensor batch is ``x``; a pair is ``(x, context)``. A custom
        function may also transform ``x``, e.g. binarise it stochastically.
    :type context_fn: callable or None
    :param scheduler: learning-rate scheduler stepped after every update (so a schedule is
        written in updates, not epochs); its state is checkpointed with the optimiser's.
    :type scheduler: torch.optim.lr_scheduler.LRScheduler or None
    :param ema_decay: keep an exponential moving average of the parameters and validate
        with it (see :class:`~inference.training.optimizer_update.OptimizerUpdate`); call
        ``step.update.load_average()`` after training to keep it.
    :type ema_decay: float or None
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer | None = None,
        *,
        lr: float = 1e-3,
        grad_clip: float | None = None,
        context_fn: Callable[[Batch], tuple[Tensor, Tensor | None]] | None = None,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
        ema_decay: float | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.update = OptimizerUpdate(model.parameters(), optimizer, lr=lr,
                                      grad_clip=grad_clip, scheduler=scheduler,
                                      ema_decay=ema_decay)
        self.context_fn = context_fn or _default_split
        self._ddp = None

    def distribute(self) -> None:
        """Synchronise gradients over the initialised process group from now on.

        The loss (:meth:`loss`), not the model, is what DDP wraps
        (:func:`~inference.training.distributed.data_parallel`): the model's ``forward`` only
        returns a distribution, and the gradient flows from its ``log_prob`` (for NADE,
        through the custom ``autograd.Function`` ``_NADELogits``, whose backward writes
        ordinary parameter gradients that DDP's hooks see). Called by the
        :class:`~inference.training.trainer.Trainer` under ``torch.distributed``.
        """
        if self._ddp is None:
            self._ddp = data_parallel(self.model, self.loss)

    @property
    def optimizer(self) -> torch.optim.Optimizer:
        return self.update.optimizer

    @property
    def scheduler(self):
        return self.update.scheduler

    def loss(self, batch: Batch) -> Tensor:
        """The training objective, as a differentiable scalar: here :meth:`nll`.

        :param batch: a minibatch (see ``context_fn``).
        """
        return self.nll(batch)

    def nll(self, batch: Batch) -> Tensor:
        """Mean negative log-likelihood per example, in nats, as a differentiable scalar:
        what :meth:`eval_step` reports, whatever the training objective.

        :param batch: a minibatch (see ``context_fn``).
        """
        x, context = self.context_fn(batch)
        dist = self.model() if context is None else self.model(context)
        log_prob = dist.log_prob(x)
        # A missing .to_event() gives per-dimension log-probs whose mean is off by a factor
        # of the dimension and still trains, so refuse it rather than report wrong nats.
        if log_prob.shape != x.shape[:1]:
            raise ValueError(
                f"model's log_prob must have shape (batch,) = {tuple(x.shape[:1])}, got "
                f"{tuple(log_prob.shape)}; does its distribution need .to_event()?"
            )
        return -log_prob.mean()

    def train_step(self, batch: Batch, shard: Shard | None = None) -> dict[str, float]:
        """One optimiser update; see :meth:`Step.train_step`.

        :param batch: a minibatch of training data (this rank's part of it, under
            ``torch.distributed``).
        :param shard: under ``torch.distributed``, which share of the global batch ``batch``
            is; the mean loss is weighted by
            :meth:`~inference.training.distributed.Shard.mean_weight` so that the
            synchronised gradient is the global batch's mean.
        """
        if not self.model.training:  # a recursive train() on every step costs ~0.2 ms
            self.model.train()
        if shard is not None and self._ddp is None:
            raise ValueError("train_step got a shard but the step is not distributed; call "
                             "distribute() first")
        loss = self.loss(batch) if self._ddp is None else self._ddp(batch)
        self.update.zero_grad()
        (loss if shard is None else loss * shard.mean_weight()).backward()
        self.update.step()
        return {"loss": loss.item()}

    def eval_step(self, batch: Batch) -> dict[str, float]:
        """Mean NLL per example in eval mode, without gradients.

        :param batch: a minibatch of validation data.
        """
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad(), self.update.averaged():
                return {"loss": self.nll(batch).item()}
        finally:
            self.model.train(was_training)

    def state_dict(self) -> dict[str, Any]:
        """Model, optimiser and (if any) scheduler state."""
        return {"model": self.model.state_dict(), **self.update.state_dict()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore model and optimiser state.

        :param dict state_dict: as returned by :meth:`state_dict`.
        """
        if not isinstance(state_dict, dict) or not {"model", "optimizer"} <= state_dict.keys():
            raise ValueError("state_dict must be a dict with keys 'model' and 'optimizer'")
        self.model.load_state_dict(state_dict["model"])
        self.update.load_state_dict(state_dict)
