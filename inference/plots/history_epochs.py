"""A training history, whatever form it is handed in, as one :class:`History`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from inference.training import History

__all__ = ["as_history"]


def as_history(history: Any) -> History:
    """``history`` as a fresh :class:`~inference.training.History` whose every epoch record
    has an ``epoch`` key.

    A plain list carries no best epoch, so its ``best_epoch`` and ``best_valid_loss`` are
    ``None``; a record without ``epoch`` is numbered by its 1-based position.

    :param history: a :class:`~inference.training.History`, its ``to_dict()``, or a list of
        per-epoch dicts.
    :raises ValueError: if there is no non-empty list of dicts to be found.
    """
    best_epoch = best_valid_loss = None
    if isinstance(history, History):
        epochs, best_epoch, best_valid_loss = (history.epochs, history.best_epoch,
                                               history.best_valid_loss)
    elif isinstance(history, Mapping):
        epochs = history.get("epochs")
        best_epoch, best_valid_loss = history.get("best_epoch"), history.get("best_valid_loss")
    else:
        epochs = history
    if (isinstance(epochs, str | bytes) or not isinstance(epochs, Sequence) or not epochs
            or not all(isinstance(e, Mapping) for e in epochs)):
        raise ValueError("history must be a History, its to_dict(), or a non-empty list of "
                         "per-epoch dicts")
    # Copies, so a caller's records are never changed by the numbering.
    return History(epochs=[{"epoch": i + 1} | dict(e) for i, e in enumerate(epochs)],
                   best_epoch=best_epoch, best_valid_loss=best_valid_loss)
