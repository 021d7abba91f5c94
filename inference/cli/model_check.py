"""Reading the model file a run left, as ``evaluate`` and ``sample`` need it."""

from __future__ import annotations

__all__ = ["load_checked_model"]

import os
from typing import Any

from torch import nn

from inference.persistence import load_model
from inference.training.divergence import first_non_finite

# What evaluate and sample read from the run's metadata.
_NEEDED = ("model", "dataset", "image_shape")


def load_checked_model(path: str | os.PathLike) -> tuple[nn.Module, dict[str, Any]]:
    """:func:`~inference.persistence.load_model`, then check the run's metadata is there.

    :return: ``(model, run config)``.
    :raises ValueError: if the file is not a model file, lacks the run's configuration, or
        holds a NaN or infinite parameter (nothing it computes could be trusted).
    """
    model, config = load_model(path)
    bad = first_non_finite(model.state_dict())
    if bad is not None:
        raise ValueError(f"{str(path)!r}: the model's {bad} holds NaN or infinite values; it "
                         "cannot be scored or sampled (retrain it)")
    missing = [k for k in _NEEDED if k not in config]
    if missing:
        raise ValueError(f"{str(path)!r} lacks the run configuration {missing} that "
                         "'ppl-models train' stores; save_model(..., metadata=...) it")
    return model, config
