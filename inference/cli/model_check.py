"""Reading the model file a run left, as ``evaluate`` and ``sample`` need it."""

from __future__ import annotations

__all__ = ["check_fits_data", "load_checked_model"]

import math
import os
from typing import Any

from torch import nn

from inference.persistence import load_model
from inference.training.divergence import first_non_finite
from ppl_models import registry

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
    # Metadata edited or copied from another run would send the model data of another shape,
    # which fails deep inside a metric or a plot; the model's own config says what it takes.
    check_fits_data(model, config["image_shape"],
                    f"the data its metadata names (--dataset {config['dataset']}, shape "
                    f"{tuple(config['image_shape'])}); the metadata of {str(path)!r} belongs "
                    "to another model")
    return model, config


def check_fits_data(model: nn.Module, image_shape, data: str) -> None:
    """Refuse data of ``image_shape`` that ``model`` was not built for: the same shape for a
    kind built from ``input_shape``, the same number of variables for one built from ``dim``.

    :param str data: the data, as the message names it.
    :raises ValueError: naming the model's kind and shape, and ``data``.
    """
    kind = registry.kind_of(model)
    keyword = registry.shape_keyword(kind)
    expected = model.config.get(keyword)
    shape = tuple(image_shape)
    fits = (expected == math.prod(shape)) if keyword == "dim" else \
        (expected is not None and tuple(expected) == shape)
    if not fits:
        held = expected if keyword == "dim" else tuple(expected or ())
        raise ValueError(f"the file's model (--model {kind}, {keyword} {held}) does not fit "
                         f"{data}")
