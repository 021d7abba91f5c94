"""Exact NLL of any density model from :mod:`ppl_models.density_models`."""

from __future__ import annotations

__all__ = ["evaluate_density"]

import torch
from torch import nn

from inference.metrics import evaluate_nll
from ppl_models.density_models import density_of


class _FixedDensity(nn.Module):
    """A module whose call returns a fixed distribution, so a fitted table model is scored by
    the same :func:`~inference.metrics.evaluate_nll` as the networks."""

    def __init__(self, distribution):
        super().__init__()
        self.distribution = distribution

    def forward(self):
        return self.distribution


def evaluate_density(model, x: torch.Tensor, *, batch_size: int = 1000) -> dict[str, float]:
    """Exact mean NLL of ``x`` under ``model``, in nats per example and bits/dim.

    :param model: a table model (:class:`~ppl_models.distributions.ChainRuleBernoulli`) or a
        density module (FVSBN, NADE).
    :param x: ``(N, D)`` binary data.
    :param int batch_size: examples per ``log_prob`` call.
    :return: ``{"nll_nats", "bits_per_dim", "stderr_nats", "n"}`` as from
        :func:`~inference.metrics.evaluate_nll`.
    """
    module = model if isinstance(model, nn.Module) else _FixedDensity(density_of(model))
    return evaluate_nll(module, x, batch_size=batch_size)
