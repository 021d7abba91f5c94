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

__all__ = ["LazyDistribution", "Unconditional"]

from collections.abc import Callable

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
