"""A fitted model's representation of data, for linear probes and clustering.

Every model that offers a representation does so through one method, ``features(x)``, defined
in its own file: a NADE's hidden state at the last position, a VAE's posterior mean, an AAE's
code (the mean of its encoder). :func:`model_features` calls that method the same way for
every model, so a new kind (InfoGAN's Q features, say) needs only its own ``features``; nothing
here looks at the kind.
"""

from __future__ import annotations

__all__ = ["has_features", "model_features"]

import torch
from torch import Tensor, nn

from inference.metrics.anomaly import as_model_input
from ppl_models.abilities import Representation


def has_features(model: nn.Module) -> bool:
    """Whether ``model`` offers a representation: its kind declares
    :class:`~ppl_models.abilities.Representation`."""
    return isinstance(model, Representation)


def model_features(model: nn.Module, x: Tensor, *, batch_size: int = 1000) -> Tensor:
    """``model.features(x)`` in eval mode without gradients, ``batch_size`` rows at a time.

    :param model: a fitted model with a ``features(x)`` method.
    :param Tensor x: ``(N, ...)`` data as the model takes it; flattened to ``(N, D)`` for a
        model built from ``dim`` (as :func:`~inference.metrics.anomaly_scores` does).
    :param int batch_size: rows per call.
    :return: ``(N, F)`` features.
    :raises ValueError: for a model without ``features``, bad ``x`` or ``batch_size``, or a
        ``features`` that does not return one row per example.
    """
    if not has_features(model):
        raise ValueError(f"{type(model).__name__} has no features(x) method: it offers no "
                         "representation to probe")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(x, Tensor) or x.dim() < 2 or len(x) == 0:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x must be a non-empty tensor of shape (N, ...), got {got}")
    x = as_model_input(model, x)
    was_training = model.training
    model.eval()  # a representation must not depend on dropout or batch statistics
    try:
        with torch.no_grad():
            f = torch.cat([model.features(b) for b in x.split(batch_size)])
    finally:
        model.train(was_training)
    if f.dim() != 2 or len(f) != len(x):
        raise ValueError(f"features must give shape ({len(x)}, F), got {tuple(f.shape)}")
    return f
