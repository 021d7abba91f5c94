r"""The typicality test for out-of-distribution *batches* of Nalisnick et al. [1].

A model's typical set holds the inputs whose log-likelihood is close to minus its entropy,
not the most likely ones: in 784 dimensions the mode itself is atypical. For a batch of
:math:`M` inputs the statistic is

.. math::

    \hat\epsilon = \Bigl|\, -\frac{1}{M}\sum_{m=1}^{M} \log p(x_m) - \hat H \Bigr|,
    \qquad \hat H = -\frac{1}{N}\sum_{n=1}^{N} \log p(x^{\mathrm{ref}}_n),

with :math:`\hat H` estimated on in-distribution (training) data. The threshold
:math:`\epsilon^M_\alpha` is the :math:`1-\alpha` quantile of :math:`\hat\epsilon` over
bootstrap batches of size :math:`M` resampled from in-distribution (validation) data, so the
test falsely rejects an in-distribution batch with probability about :math:`\alpha`. It
flags batches that are too *likely* as readily as those too unlikely: a batch of the mode
repeated is rejected.

References

1. Nalisnick, Matsukawa, Teh, Lakshminarayanan (2019). Detecting Out-of-Distribution Inputs
   to Deep Generative Models Using Typicality. arXiv:1906.02994.
"""

from __future__ import annotations

__all__ = ["TypicalityTest", "typicality_test"]

from dataclasses import dataclass

import torch
from torch import Tensor


def _check_log_likelihood(ll, name: str) -> Tensor:
    if not isinstance(ll, Tensor) or ll.dim() != 1 or ll.numel() == 0:
        got = tuple(ll.shape) if isinstance(ll, Tensor) else type(ll).__name__
        raise ValueError(f"{name} must be a non-empty 1-D tensor of log-likelihoods, got {got}")
    if not torch.isfinite(ll).all():
        raise ValueError(f"{name} holds non-finite log-likelihoods")
    return ll.detach().double().cpu()


@dataclass(frozen=True)
class TypicalityTest:
    r"""A fitted typicality test; see :func:`typicality_test`.

    :param float entropy: :math:`\hat H`, nats per example.
    :param float threshold: :math:`\epsilon^M_\alpha`, nats.
    :param int batch_size: :math:`M`, the batch size the threshold was set for.
    :param float alpha: the intended false-rejection rate.
    """

    entropy: float
    threshold: float
    batch_size: int
    alpha: float

    def statistic(self, log_likelihood: Tensor) -> Tensor:
        r""":math:`\hat\epsilon` of consecutive batches of ``batch_size`` examples.

        :param Tensor log_likelihood: ``(B * M,)`` per-example log-likelihoods (nats); a
            remainder that does not fill a batch is an error, not silently dropped.
        :return: ``(B,)`` statistics in nats.
        """
        ll = _check_log_likelihood(log_likelihood, "log_likelihood")
        if len(ll) % self.batch_size:
            raise ValueError(f"log_likelihood has {len(ll)} entries, not a multiple of "
                             f"batch_size={self.batch_size}")
        return (-ll.reshape(-1, self.batch_size).mean(1) - self.entropy).abs()

    def rejects(self, log_likelihood: Tensor) -> Tensor:
        """``(B,)`` booleans: whether each batch is declared out of distribution."""
        return self.statistic(log_likelihood) > self.threshold


def typicality_test(reference_log_likelihood: Tensor, batch_size: int, *,
                    bootstrap_log_likelihood: Tensor | None = None, alpha: float = 0.01,
                    num_bootstrap: int = 1000, seed: int = 0) -> TypicalityTest:
    r"""Fit the typicality test of Nalisnick et al. (2019) for batches of ``batch_size``.

    :param Tensor reference_log_likelihood: ``(N,)`` log-likelihoods of in-distribution
        (training) data; their mean gives :math:`\hat H`.
    :param int batch_size: :math:`M`, examples per tested batch.
    :param bootstrap_log_likelihood: ``(N',)`` held-out in-distribution log-likelihoods to
        resample for the threshold (the paper's validation set); default the reference.
    :param float alpha: false-rejection rate in ``(0, 1)``.
    :param int num_bootstrap: bootstrap batches.
    :param int seed: seeds the resampling (a private generator).
    """
    ref = _check_log_likelihood(reference_log_likelihood, "reference_log_likelihood")
    boot = (ref if bootstrap_log_likelihood is None
            else _check_log_likelihood(bootstrap_log_likelihood, "bootstrap_log_likelihood"))
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if isinstance(num_bootstrap, bool) or not isinstance(num_bootstrap, int) or num_bootstrap < 2:
        raise ValueError(f"num_bootstrap must be an int >= 2, got {num_bootstrap!r}")
    entropy = -ref.mean().item()
    gen = torch.Generator().manual_seed(int(seed))
    index = torch.randint(len(boot), (num_bootstrap, batch_size), generator=gen)
    eps = (-boot[index].mean(1) - entropy).abs()
    threshold = torch.quantile(eps, 1 - alpha).item()
    return TypicalityTest(entropy, threshold, batch_size, float(alpha))
