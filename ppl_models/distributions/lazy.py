r"""Modules that return distributions: parameters in the module, the density in the
distribution.

An exact model here is an ``nn.Module`` whose call gives a Pyro ``TorchDistribution``,

.. math:: c \mapsto p_\theta(x \mid c),

so an optimiser sees ``module.parameters()``, a checkpoint ``module.state_dict()``, and Pyro
sees a distribution: ``pyro.sample("x", module(context), obs=x)``. This is zuko's
``LazyDistribution`` / ``UnconditionalDistribution`` pattern.

References:

1. Rozet et al., zuko (``zuko/lazy.py``), https://github.com/probabilists/zuko.
"""

from __future__ import annotations

__all__ = ["ContextDistribution", "LazyDistribution", "TrainingLoss", "Unconditional"]

from collections.abc import Callable

import torch
from pyro.distributions import TorchDistribution
from torch import Tensor, nn


class LazyDistribution(nn.Module):
    """Base of every exact model: ``forward(context=None)`` returns the distribution.

    Subclasses implement :meth:`forward`; a model without a context refuses one.
    """

    def forward(self, context: Tensor | None = None) -> TorchDistribution:
        """The distribution :math:`p(x \\mid context)`.

        :param context: ``(*batch, context_dim)`` or None.
        """
        raise NotImplementedError


class TrainingLoss:
    r"""Declares that an exact model is fitted by a loss of its own rather than by
    :math:`-\log p(x)` of its one distribution ``m()``.

    An order-agnostic model (:class:`~ppl_models.distributions.DeepNADE`) scores exactly in
    any one order but trains on an estimate averaged over orders. A kind inherits this to
    say so; training code asks ``isinstance(model, TrainingLoss)`` and never probes for the
    method. Validation and reported figures stay the exact :math:`-\log p(x)` of ``m()``.
    """

    #: One line naming the loss, for reports (e.g. how a model was fitted).
    loss_name: str = "the model's own training loss"

    def training_loss(self, x: Tensor) -> Tensor:
        """Per-example loss in nats, ``(N,)``, whose mean the trainer minimises.

        :param x: ``(N, D)`` data.
        """
        raise NotImplementedError


class Unconditional(LazyDistribution):
    """A fixed distribution family as a module: ``Unconditional(factory, *tensors)()`` is
    ``factory(*tensors)``, the tensors held as parameters (trainable) or buffers.

    ``Unconditional(dist.Normal, torch.zeros(3), torch.ones(3), buffer=True)`` is a standard
    normal that moves with ``.to(device)`` and is saved in ``state_dict``.

    :param callable factory: tensors to a distribution, e.g. a distribution class.
    :param tensors: its arguments, in order.
    :param bool buffer: hold them as buffers (fixed) instead of parameters (trainable).
    """

    def __init__(self, factory: Callable[..., TorchDistribution], *tensors: Tensor,
                 buffer: bool = False) -> None:
        super().__init__()
        if not callable(factory):
            raise ValueError(f"factory must be callable, got {type(factory).__name__}")
        if not all(isinstance(t, Tensor) for t in tensors):
            raise ValueError("tensors must be torch.Tensors")
        self.factory = factory
        self._names = []
        for i, t in enumerate(tensors):
            name = f"arg{i}"
            if buffer:
                self.register_buffer(name, t.clone())
            else:
                self.register_parameter(name, nn.Parameter(t.clone()))
            self._names.append(name)

    def forward(self, context: Tensor | None = None) -> TorchDistribution:
        if context is not None:
            raise ValueError("Unconditional takes no context")
        return self.factory(*(getattr(self, n) for n in self._names))


class ContextDistribution(TorchDistribution):
    """A distribution that scores and samples through the module that defines it, given a
    context: the batch shape is the context's leading shape, the event ``(model.dim,)``.

    The base of the autoregressive distributions: it holds ``model`` and the checked
    ``context`` (``model._check_context``) and expands the context, never the parameters.

    :param model: the module (``dim``, ``_check_context``).
    :param context: ``(*batch, context_dim)`` or None.
    """

    arg_constraints = {}

    def __init__(self, model: nn.Module, context: Tensor | None = None, validate_args=None):
        self.model = model
        self.context = model._check_context(context)
        batch_shape = () if self.context is None else self.context.shape[:-1]
        super().__init__(torch.Size(batch_shape), torch.Size([model.dim]),
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(type(self), _instance)
        batch_shape = torch.Size(batch_shape)
        new.model = self.model
        new.context = None
        if self.context is not None:
            new.context = self.context.expand(batch_shape + self.context.shape[-1:])
        super(ContextDistribution, new).__init__(batch_shape, self.event_shape,
                                                 validate_args=False)
        new._validate_args = self._validate_args
        return new
