"""The per-epoch records of a training history, whatever form it is handed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["history_epochs"]


def history_epochs(history: Any) -> list[Mapping[str, Any]]:
    """The list of per-epoch dicts in ``history``.

    :param history: a :class:`~inference.training.History`, its ``to_dict()``, or a list of
        per-epoch dicts.
    :raises ValueError: if there is no non-empty list of dicts to be found.
    """
    epochs = getattr(history, "epochs", None)
    if epochs is None and isinstance(history, Mapping):
        epochs = history.get("epochs")
    if epochs is None:
        epochs = history
    if (isinstance(epochs, str | bytes) or not isinstance(epochs, Sequence) or not epochs
            or not all(isinstance(e, Mapping) for e in epochs)):
        raise ValueError("history must be a History, its to_dict(), or a non-empty list of "
                         "per-epoch dicts")
    return list(epochs)
