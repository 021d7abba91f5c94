r"""Importance-sampled log-likelihood of each datum, with Pareto-k̂ reliability.

With :math:`K` draws :math:`z_k \sim q(z \mid x)` from the guide,

.. math::

    \log \hat{p}(x) = \log \frac{1}{K} \sum_{k=1}^{K} w_k, \qquad
    \log w_k = \log p(x, z_k) - \log q(z_k \mid x),

the IWAE bound of Burda et al. [1]: :math:`\mathbb{E}[\log \hat p_K(x)] \le \log p(x)`, it
increases with :math:`K` (``K = 1`` is the ELBO) and tends to :math:`\log p(x)`. It is exact
for every :math:`K` when the guide is the true posterior (every :math:`w_k = p(x)`).

Whether :math:`K` draws suffice is read from the weights: the effective sample size
:math:`\mathrm{ESS} = (\sum_k w_k)^2 / \sum_k w_k^2` [2], the delta-method standard error
:math:`\mathrm{SE}(\log \hat p) \approx \sqrt{(K/\mathrm{ESS} - 1)/(K - 1)}` (the relative
standard error of the mean weight), and the shape :math:`\hat k` of a generalized Pareto
distribution fitted to the largest weights by :func:`arviz.psislw` [3]: with
:math:`\hat k < 0.7` the estimate is reliable at practical :math:`K`; above it the weights'
variance is (near) infinite and the SE means nothing.

References

1. Burda, Grosse, Salakhutdinov (2016). Importance Weighted Autoencoders. ICLR.
2. Kong (1992). A note on importance sampling using standardized weights. Technical report
   348, Department of Statistics, University of Chicago.
3. Vehtari, Simpson, Gelman, Yao, Gabry (2024). Pareto Smoothed Importance Sampling. JMLR
   25(72).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import arviz as az
import numpy as np
import pyro
import torch
from torch import Tensor

from inference.diagnostics.paired_trace import (
    check_count,
    check_data,
    find_site_roles,
    trace_pair,
)
from inference.diagnostics.seeded import check_seed, seeded

__all__ = ["ImportanceLL", "importance_log_likelihood", "pareto_k"]

# Vehtari et al. (2024): above 0.7 the importance sampling estimate is not to be trusted.
PARETO_K_THRESHOLD = 0.7


@dataclass(frozen=True)
class ImportanceLL:
    r"""Per-datum importance-sampled log-likelihood in nats.

    :param Tensor log_likelihood: :math:`\log \hat p(x_i)`, shape ``(N,)``.
    :param Tensor ess: effective sample size of each datum's weights, ``(N,)``, in
        ``[1, K]``.
    :param Tensor stderr: delta-method standard error of :math:`\log \hat p(x_i)`, ``(N,)``;
        meaningful only where ``reliable``.
    :param pareto_k: :math:`\hat k` per datum, ``(N,)``, or ``None`` if not computed.
        ``inf`` where :math:`K` is too small for a tail fit (ArviZ needs 5 tail draws, so
        ``K >= 21``); ``-inf`` where all weights of a datum are equal (an exact guide: no
        tail at all).
    :param log_weights: ``(N, K)`` log-weights if requested, else ``None``.
    :param int num_samples: :math:`K`.
    """

    log_likelihood: Tensor
    ess: Tensor
    stderr: Tensor
    pareto_k: Tensor | None
    log_weights: Tensor | None
    num_samples: int

    @property
    def reliable(self) -> Tensor:
        r"""``(N,)`` mask of :math:`\hat k < 0.7` (all ``True`` without :math:`\hat k`)."""
        if self.pareto_k is None:
            return torch.ones_like(self.log_likelihood, dtype=torch.bool)
        return self.pareto_k < PARETO_K_THRESHOLD

    @property
    def mean(self) -> float:
        """Average log-likelihood over the data, nats per datum."""
        return self.log_likelihood.double().mean().item()

    def summary(self) -> dict[str, Any]:
        """Averages as plain numbers (JSON-serialisable)."""
        k = self.pareto_k
        return {
            "log_likelihood": self.mean,
            "nll": -self.mean,
            "num_samples": self.num_samples,
            "mean_ess": self.ess.double().mean().item(),
            "max_pareto_k": None if k is None else k.max().item(),
            "fraction_reliable": self.reliable.double().mean().item(),
        }


def importance_log_likelihood(model: Callable, guide: Callable, x: Tensor,
                              num_samples: int = 5000, chunk_size: int = 500, *,
                              seed: int | None = None, return_log_weights: bool = False,
                              compute_pareto_k: bool = True,
                              observed_site: str | None = None,
                              batch_size: int | None = None,
                              fast_likelihood: bool = True,
                              autocast: torch.dtype | None = None) -> ImportanceLL:
    r"""Estimate :math:`\log p(x_i)` for every datum by importance sampling from the guide.

    The draws are taken ``chunk_size`` at a time, each chunk in one pass of the guide and
    the replayed model under ``pyro.plate("particles", chunk_size)`` left of the model's
    plates, so the sites must broadcast over a leading particle dimension; the observed
    site's ``log_prob`` is then ``(chunk_size, N)``. Chunks are combined by a running
    log-sum-exp, so memory holds one chunk's ``(chunk_size, N, D)`` at a time plus, for
    :math:`\hat k` or ``return_log_weights``, the ``(N, K)`` log-weights. The same seed and
    ``chunk_size`` reproduce the estimate exactly; another ``chunk_size`` may or may not
    reuse the same stream of draws (that is torch's sampler's business, and differs between
    CPUs), but always gives an estimate within its standard error. No gradients are kept.

    :param callable model: ``model(x)`` with one observed site in a plate over the data.
    :param callable guide: ``guide(x)`` sampling the model's latent sites.
    :param Tensor x: the data, ``(N, ...)``.
    :param int num_samples: draws :math:`K` per datum.
    :param int chunk_size: draws per vectorised pass.
    :param seed: seeds the draws (the caller's RNG is left as it was); ``None`` draws from
        the global RNG.
    :param bool return_log_weights: keep the ``(N, K)`` log-weights in the result.
    :param bool compute_pareto_k: fit :math:`\hat k` per datum with :func:`arviz.psislw`.
    :param observed_site: the observed site's name, needed only if there are several.
    :param batch_size: take the data ``batch_size`` rows at a time, so a chunk holds
        ``(chunk_size, batch_size, D)`` (a full test set of MNIST at once would not fit), all
        batches drawing from the one stream ``seed`` starts; ``None`` takes all of ``x`` at
        once. Like ``chunk_size``, it changes how the stream is consumed, not the estimate.
        The fastest setting on a CPU is usually ``batch_size=1`` with ``chunk_size`` equal to
        ``num_samples`` (up to memory: ``(chunk_size, batch_size, D)`` floats): every draw
        for a datum in one vectorised pass, so the decoder's matrix products are large and
        the program is traced once per datum.
    :param bool fast_likelihood: score an observed site of independent Bernoulli pixels
        given by logits as :math:`x \cdot \ell - \sum \operatorname{softplus}(\ell)`
        (:func:`~inference.diagnostics.paired_trace.bernoulli_logits_log_prob`), the same
        value as ``log_prob`` up to float round-off; False scores every site with its
        distribution's ``log_prob``. Other likelihoods are unaffected.
    :param autocast: e.g. ``torch.bfloat16``: the chunk passes run the networks' matrix
        products in that type under ``torch.autocast`` (the log-densities stay in float32;
        see :func:`~inference.diagnostics.paired_trace.trace_pair`). About twice as fast on a
        CPU with native bf16 (AVX-512 BF16 or AMX), but an approximation: check the estimate
        against ``None`` on a subset (``benchmarks/iwae_speed.py`` does, for a trained VAE).
        The roles pass runs in full precision. ``None`` (default): no autocast.
    """
    check_data(x)
    check_count(num_samples, "num_samples")
    check_count(chunk_size, "chunk_size")
    check_seed(seed)
    if autocast is not None and not (isinstance(autocast, torch.dtype)
                                     and autocast.is_floating_point):
        raise ValueError(f"autocast must be a floating torch.dtype or None, got {autocast!r}")
    for name, flag in (("return_log_weights", return_log_weights),
                       ("compute_pareto_k", compute_pareto_k),
                       ("fast_likelihood", fast_likelihood)):
        if not isinstance(flag, bool):
            raise ValueError(f"{name} must be a bool, got {flag!r}")
    if batch_size is not None:
        check_count(batch_size, "batch_size")
        if batch_size < len(x):
            with seeded(seed):
                parts = [importance_log_likelihood(
                    model, guide, rows, num_samples, chunk_size,
                    return_log_weights=return_log_weights, compute_pareto_k=compute_pareto_k,
                    observed_site=observed_site, fast_likelihood=fast_likelihood,
                    autocast=autocast)
                    for rows in x.split(batch_size)]
            return _concatenate(parts)
    roles = find_site_roles(model, guide, x, observed_site=observed_site)
    keep = return_log_weights or compute_pareto_k
    total = total_sq = None
    kept = []
    # Pyro's validation (site shapes, distribution arguments, supports) ran in the roles
    # pass above, on this very data; the chunks repeat the same program on more draws, so
    # they skip it, as SVIStep's later updates do. On a (5000, 784) chunk it is ~5% of the
    # evaluation (a NaN scan of every logit); a NaN still shows in the estimate.
    with seeded(seed), pyro.validation_enabled(False):
        for start in range(0, num_samples, chunk_size):
            size = min(chunk_size, num_samples - start)
            pair = trace_pair(model, guide, x, roles, num_particles=size,
                              fast_likelihood=fast_likelihood, autocast=autocast)
            log_w = pair.log_weight().double()
            # Running log-sum-exp of w and w^2 over chunks: log p-hat and ESS without
            # ever holding all K weights.
            total = _logaddexp(total, log_w.logsumexp(0))
            total_sq = _logaddexp(total_sq, (2 * log_w).logsumexp(0))
            if keep:
                kept.append(log_w.T.cpu())
    log_weights = torch.cat(kept, dim=1) if keep else None
    ess = (2 * total - total_sq).exp()
    return ImportanceLL(
        log_likelihood=total - math.log(num_samples), ess=ess,
        stderr=_stderr(ess, num_samples),
        pareto_k=pareto_k(log_weights) if compute_pareto_k else None,
        log_weights=log_weights if return_log_weights else None, num_samples=num_samples)


def pareto_k(log_weights: Tensor) -> Tensor:
    r"""Generalized-Pareto shape :math:`\hat k` of each row's importance weights.

    ArviZ's :func:`~arviz.psislw` treats the *last* axis of a numpy array as the draws and
    every other axis as observations, so ``(N, K)`` gives one :math:`\hat k` per datum.
    ``reff=1`` because the draws are independent (no MCMC autocorrelation).

    :param Tensor log_weights: ``(N, K)``, unnormalised log importance weights.
    :return: ``(N,)`` float64; ``inf`` when ``K`` is too small for a tail fit (``K <= 20``);
        ``-inf`` for rows whose ``K >= 2`` weights are all equal up to round-off (a spread
        of at most 64 ulps of their magnitude in ``log_weights``' dtype), where ArviZ would
        report a meaningless or infinite ``k`` although the estimate is exact.
    """
    if not isinstance(log_weights, Tensor) or log_weights.dim() != 2:
        raise ValueError("log_weights must be an (N, K) tensor")
    lw = log_weights.detach().double().cpu()
    if lw.shape[1] < 2:
        # One draw has no tail to fit (and ArviZ would index past it).
        return torch.full((len(lw),), math.inf, dtype=torch.float64)
    # Weights equal up to round-off (an exact guide) tie in the tail, and ArviZ's Pareto fit
    # divides 0 by 0; it drops those grid points (at worst falling back on its prior for k,
    # a small value), so only numpy's warning is noise.
    with np.errstate(invalid="ignore", divide="ignore"):
        _, k = az.psislw(lw.numpy().copy(), reff=1.0)
    k = torch.from_numpy(np.asarray(k, dtype=np.float64)).reshape(len(lw))
    # An exact guide gives weights p(x) that differ only by round-off (1e-14 in float64);
    # their "tail" is noise, not heaviness.
    eps = torch.finfo(log_weights.dtype).eps if log_weights.is_floating_point() else 0.0
    tolerance = 64 * eps * lw.abs().amax(1).clamp_min(1.0)
    constant = (lw.amax(1) - lw.amin(1)) <= tolerance
    return torch.where(constant, torch.tensor(-math.inf, dtype=k.dtype), k)


def _concatenate(parts: list[ImportanceLL]) -> ImportanceLL:
    """One estimate from those of consecutive batches of the data."""
    def cat(name):
        values = [getattr(p, name) for p in parts]
        return None if values[0] is None else torch.cat(values)

    return ImportanceLL(log_likelihood=cat("log_likelihood"), ess=cat("ess"),
                        stderr=cat("stderr"), pareto_k=cat("pareto_k"),
                        log_weights=cat("log_weights"), num_samples=parts[0].num_samples)


def _logaddexp(running: Tensor | None, new: Tensor) -> Tensor:
    return new if running is None else torch.logaddexp(running, new)


def _stderr(ess: Tensor, num_samples: int) -> Tensor:
    if num_samples == 1:
        return torch.full_like(ess, math.nan)
    # Var(mean w) / (mean w)^2 with the sample variance, written through the ESS.
    return ((num_samples / ess - 1).clamp(min=0) / (num_samples - 1)).sqrt()
