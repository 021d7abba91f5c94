r"""Likelihood in nats per example and bits per dimension.

For a density :math:`p` and :math:`N` examples of :math:`D` dimensions,

.. math::

    \mathrm{NLL} = -\frac{1}{N}\sum_{i=1}^{N} \log p(x_i) \;\text{nats}, \qquad
    \text{bits/dim} = \frac{\mathrm{NLL}}{D \ln 2}.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["bits_per_dim", "evaluate_nll", "nll_nats"]


def nll_nats(log_prob: Tensor) -> float:
    """Mean negative log-likelihood per example.

    :param Tensor log_prob: per-example log-densities in nats, shape ``(N,)``.
    """
    if not isinstance(log_prob, Tensor) or log_prob.dim() != 1 or log_prob.numel() == 0:
        raise ValueError("log_prob must be a non-empty 1-D tensor of per-example log-densities")
    return -log_prob.double().mean().item()


def bits_per_dim(nll_nats: float, dim: int) -> float:
    """Convert a per-example NLL in nats to bits per dimension.

    :param float nll_nats: mean negative log-likelihood per example, in nats.
    :param int dim: number of dimensions of one example (e.g. 784 for MNIST).
    """
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim must be a positive int, got {dim!r}")
    return nll_nats / (dim * math.log(2))


def evaluate_nll(model: nn.Module, data: Tensor, *, batch_size: int = 1000) -> dict[str, float]:
    """Exact test NLL of a density module, batched and without gradients.

    Calls ``model().log_prob(batch)`` in eval mode (the module's mode is restored after).

    :param nn.Module model: density module; ``model()`` returns a distribution whose
        ``log_prob`` has shape ``(batch,)``.
    :param Tensor data: ``(N, D)`` vectors, or ``(N, C, H, W)`` images (``D = C*H*W``).
    :param int batch_size: examples per ``log_prob`` call.
    :return: ``{"nll_nats", "bits_per_dim", "stderr_nats", "n"}``; ``stderr_nats`` is the
        standard error of the mean NLL (sample std with ``N - 1``; NaN when ``N = 1``).
    """
    if not isinstance(data, Tensor) or data.dim() < 2 or len(data) == 0:
        raise ValueError("data must be a non-empty tensor of shape (N, D) or (N, C, H, W)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            log_prob = torch.cat([_batch_log_prob(model, b) for b in data.split(batch_size)])
    finally:
        model.train(was_training)
    n = len(data)
    nll = nll_nats(log_prob)
    stderr = log_prob.double().std().item() / math.sqrt(n) if n > 1 else math.nan
    return {
        "nll_nats": nll,
        "bits_per_dim": bits_per_dim(nll, math.prod(data.shape[1:])),
        "stderr_nats": stderr,
        "n": n,
    }


def _batch_log_prob(model: nn.Module, batch: Tensor) -> Tensor:
    log_prob = model().log_prob(batch)
    if log_prob.shape != batch.shape[:1]:
        raise ValueError(
            f"model's log_prob must have shape (batch,) = {tuple(batch.shape[:1])}, got "
            f"{tuple(log_prob.shape)}; does its distribution need .to_event()?"
        )
    return log_prob
