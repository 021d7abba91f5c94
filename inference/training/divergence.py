"""Stopping a run that has diverged, before it writes anything non-finite.

A NaN or infinite loss, gradient or parameter never recovers under the optimisers used here:
Adam's moments turn NaN too, so every later update is NaN. Training on would overwrite the
last good checkpoint with NaN weights epoch after epoch, so the loop stops at the first sign
and says where.

A run can also diverge without a single non-finite number: NADE trained with a learning
rate of 1e9 scores 7.5e9 nats on validation data, finite, where the untrained model scored
44. A validation loss :data:`DIVERGENCE_FACTOR` times the untrained model's magnitude above
it (:func:`far_worse_than_untrained`) stops the run the same way.
"""

from __future__ import annotations

__all__ = ["DIVERGENCE_FACTOR", "TrainingDiverged", "check_finite_gradients",
           "far_worse_than_untrained", "first_non_finite"]

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from inference.training import distributed

#: How far above the untrained model's validation loss, in units of its magnitude (at least
#: 1), a validation loss shows divergence. Training that merely goes badly (overfitting, a
#: high learning rate that still learns) stays within a few units; a diverged run is off by
#: many orders of magnitude, so the margin is wide.
DIVERGENCE_FACTOR = 100.0


class TrainingDiverged(ValueError):
    """A loss, gradient or parameter became NaN or infinite, or the validation loss became
    far worse than the untrained model's; nothing from the diverged epoch was saved."""


def far_worse_than_untrained(loss: float, untrained: float) -> bool:
    """Whether a validation ``loss`` is so far above the ``untrained`` model's that training
    has diverged: more than ``DIVERGENCE_FACTOR * max(|untrained|, 1)`` above it. Non-finite
    values are the finite checks' business and give ``False`` here."""
    if not (math.isfinite(loss) and math.isfinite(untrained)):
        return False
    return loss - untrained > DIVERGENCE_FACTOR * max(abs(untrained), 1.0)


def check_finite_gradients(parameters: Sequence[nn.Parameter], norm: torch.Tensor | None = None
                           ) -> None:
    """Raise :class:`TrainingDiverged` if any gradient holds a NaN or an infinity.

    One reduction over all gradients (their total norm, which is NaN or infinite exactly when
    some entry is, unless the finite entries overflow it) and one host sync per update.

    :param parameters: the parameters about to be updated.
    :param norm: their total gradient norm if already computed (e.g. by clipping).
    """
    if norm is None:
        grads = [p.grad for p in parameters if p.grad is not None]
        norm = torch.stack(torch._foreach_norm(grads)).norm() if grads else None
    value = 0.0 if norm is None else norm.item()
    # Under torch.distributed every rank decides on every rank's flag: DDP leaves the same
    # averaged gradient everywhere, but a gradient it does not synchronise could turn
    # non-finite on one rank alone, which would then stop while the others wait for it.
    bad = distributed.failed_ranks(not math.isfinite(value))
    if bad:
        group = distributed.current()
        if group is None:
            raise TrainingDiverged(f"non-finite gradient (total norm {value})")
        raise TrainingDiverged(f"non-finite gradient on rank {', '.join(map(str, bad))} "
                               f"(total norm {value} on rank {group.rank})")


def first_non_finite(state: Any, prefix: str = "") -> str | None:
    """The key path of the first floating tensor in ``state`` holding a NaN or infinity.

    :param state: tensors nested in dicts, lists and tuples (e.g. a ``state_dict``).
    :return: e.g. ``"model.W"``, or ``None`` when every tensor is finite.
    """
    if isinstance(state, torch.Tensor):
        if state.is_floating_point() and not torch.isfinite(state).all():
            return prefix or "<tensor>"
        return None
    if isinstance(state, Mapping):
        items: Iterable = state.items()
    elif isinstance(state, list | tuple):
        items = enumerate(state)
    else:
        return None
    for key, value in items:
        found = first_non_finite(value, f"{prefix}.{key}" if prefix else str(key))
        if found is not None:
            return found
    return None
