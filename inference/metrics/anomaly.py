r"""Per-example anomaly scores of a fitted generative model (higher = more anomalous).

The score is chosen by the model's **family** (:mod:`ppl_models.registry`), never its kind:

======================  ==============================================  ======
``method``              score of :math:`x`                              family
======================  ==============================================  ======
``"nll"``               :math:`-\log p(x)`, nats                        exact
``"bits_per_dim"``      :math:`-\log_2 p(x) / D`                        exact
``"likelihood_ratio"``  :math:`-[\log p(x) - \log p_{\mathrm{bg}}(x)]`  exact
``"typicality"``        :math:`\hat\epsilon` of each batch of ``M``     exact
``"neg_elbo"``          :math:`-\mathrm{ELBO}(x)`                       latent
``"neg_iwae"``          :math:`-\log \hat p_K(x)` (IWAE-K)              latent
======================  ==============================================  ======

Raw likelihood is a weak detector: deep likelihood models can give *higher* likelihood to
out-of-distribution inputs than to their training data [1]. Ren et al. [2] divide out the
population-level statistics (e.g. how many pixels are on) with a background model trained
on perturbed inputs; the ratio's score is :math:`-\mathrm{LLR}(x)`, so adding the same
constant to both log-likelihoods leaves it unchanged. The typicality test [3] scores
batches (:mod:`inference.metrics.typicality`).

References

1. Nalisnick, Matsukawa, Teh, Gorur, Lakshminarayanan (2019). Do Deep Generative Models Know
   What They Don't Know? ICLR.
2. Ren, Liu, Fertig, Snoek, Poplin, DePristo, Dillon, Lakshminarayanan (2019). Likelihood
   Ratios for Out-of-Distribution Detection. NeurIPS.
3. Nalisnick, Matsukawa, Teh, Lakshminarayanan (2019). Detecting Out-of-Distribution Inputs
   to Deep Generative Models Using Typicality. arXiv:1906.02994.
4. Burda, Grosse, Salakhutdinov (2016). Importance Weighted Autoencoders. ICLR.
"""

from __future__ import annotations

__all__ = ["DEFAULT_METHODS", "METHODS", "anomaly_scores", "exact_log_likelihood",
           "likelihood_ratio_scores"]

import math

import torch
from torch import Tensor, nn

from inference.diagnostics import elbo_decomposition, importance_log_likelihood
from inference.metrics.typicality import TypicalityTest, typicality_test
from ppl_models import registry

METHODS = {
    "exact": ("nll", "bits_per_dim", "likelihood_ratio", "typicality"),
    "latent": ("neg_elbo", "neg_iwae"),
}
# One per-example score per family, for tables that score every fitted model alike.
DEFAULT_METHODS = {"exact": "nll", "latent": "neg_iwae"}


def as_model_input(model: nn.Module, x: Tensor) -> Tensor:
    """``x`` as ``model`` takes it: rows flattened to ``(N, D)`` for a kind built from
    ``dim``, kept as given for one built from ``input_shape`` (read from the registry)."""
    try:
        keyword = registry.shape_keyword(registry.kind_of(model))
    except ValueError:  # an unregistered module: vectors, as the exact models take them
        keyword = "dim"
    return x.reshape(len(x), -1) if keyword == "dim" else x


def exact_log_likelihood(model: nn.Module, x: Tensor, *, batch_size: int = 1000) -> Tensor:
    """``model().log_prob(x)`` in eval mode without gradients, ``batch_size`` rows at a time.

    :param model: an exact density module.
    :param Tensor x: ``(N, D)`` vectors or ``(N, C, H, W)`` images, flattened to ``D`` for a
        model built from ``dim`` (kept as images for one built from ``input_shape``).
    :return: ``(N,)`` log-likelihoods in nats.
    """
    x = as_model_input(model, _check_x(x))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            parts = [model().log_prob(b) for b in x.split(batch_size)]
    finally:
        model.train(was_training)
    ll = torch.cat(parts)
    if ll.shape != x.shape[:1]:
        raise ValueError(f"model's log_prob must give shape ({len(x)},), got {tuple(ll.shape)}")
    return ll


def likelihood_ratio_scores(log_likelihood: Tensor, background_log_likelihood: Tensor) -> Tensor:
    r"""Ren et al.'s (2019) score :math:`-[\log p(x) - \log p_{\mathrm{bg}}(x)]`, ``(N,)``.

    :param Tensor log_likelihood: ``(N,)`` under the model.
    :param Tensor background_log_likelihood: ``(N,)`` under the background model.
    """
    for name, t in (("log_likelihood", log_likelihood),
                    ("background_log_likelihood", background_log_likelihood)):
        if not isinstance(t, Tensor) or t.dim() != 1:
            raise ValueError(f"{name} must be a 1-D tensor")
    if log_likelihood.shape != background_log_likelihood.shape:
        raise ValueError(f"log_likelihood {tuple(log_likelihood.shape)} and "
                         f"background_log_likelihood {tuple(background_log_likelihood.shape)} "
                         "must have the same shape")
    return background_log_likelihood - log_likelihood


def anomaly_scores(model: nn.Module, x: Tensor, method: str | None = None, *,
                   background: nn.Module | None = None,
                   reference: Tensor | TypicalityTest | None = None,
                   typicality_batch_size: int = 10, num_samples: int | None = None,
                   batch_size: int = 1000, seed: int | None = 0,
                   family: str | None = None) -> Tensor:
    r"""Anomaly scores of ``x`` under a fitted ``model``; higher means more anomalous.

    :param model: a registered model (its family is looked up) or, with ``family``, any
        module that behaves like that family's models.
    :param Tensor x: ``(N, ...)`` data as the model takes it; an exact model's rows are
        flattened to ``(N, D)``.
    :param method: one of :data:`METHODS` for the family; default
        :data:`DEFAULT_METHODS`'s.
    :param background: for ``"likelihood_ratio"``: an exact model of the same data fitted
        to perturbed inputs (e.g. the independent model, or a small NADE).
    :param reference: for ``"typicality"``: ``(N',)`` in-distribution data to estimate the
        entropy and the threshold from, or a fitted :class:`TypicalityTest`.
    :param int typicality_batch_size: :math:`M` for ``"typicality"``.
    :param num_samples: draws per datum: ``K`` for ``"neg_iwae"`` (default 100) and the
        number of ELBO draws averaged for ``"neg_elbo"`` (default 1).
    :param int batch_size: rows per evaluation.
    :param seed: seeds a latent model's draws (``None``: the global RNG).
    :param family: override the registry's family (for unregistered models).
    :return: ``(N,)`` scores in nats (``"bits_per_dim"``: bits/dim), or ``(N // M,)``
        per-batch statistics for ``"typicality"``.
    :raises ValueError: for a method the family has no meaning for, a missing
        ``background`` / ``reference``, or bad ``x``.
    """
    if family is None:
        family = registry.family_of(registry.kind_of(model))
    if family not in METHODS:
        raise ValueError(f"family {family!r} has no anomaly score; scored families: "
                         f"{tuple(METHODS)}")
    method = DEFAULT_METHODS[family] if method is None else method
    if method not in METHODS[family]:
        raise ValueError(f"method must be one of {METHODS[family]} for a {family} model, "
                         f"got {method!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    x = _check_x(x)
    if family == "latent":
        return _latent_scores(model, x, method, num_samples, batch_size, seed)
    if method == "likelihood_ratio" and background is None:
        raise ValueError("background must be given for method='likelihood_ratio' (an exact "
                         "model fitted to perturbed data)")
    if method == "typicality" and reference is None:
        raise ValueError("reference must be given for method='typicality' (in-distribution "
                         "data or a fitted TypicalityTest)")
    ll = exact_log_likelihood(model, x, batch_size=batch_size)
    if method == "nll":
        return -ll
    if method == "bits_per_dim":
        return -ll / (ll.new_tensor(x[0].numel()) * math.log(2))
    if method == "likelihood_ratio":
        return likelihood_ratio_scores(ll, exact_log_likelihood(background, x,
                                                                batch_size=batch_size))
    test = reference
    if not isinstance(test, TypicalityTest):
        ref_ll = exact_log_likelihood(model, _check_x(reference, "reference"),
                                      batch_size=batch_size)
        test = typicality_test(ref_ll, typicality_batch_size)
    usable = len(ll) - len(ll) % test.batch_size
    if usable == 0:
        raise ValueError(f"x holds {len(ll)} examples, fewer than one batch of "
                         f"{test.batch_size}")
    return test.statistic(ll[:usable]).to(ll.dtype)


def _latent_scores(model, x, method, num_samples, batch_size, seed) -> Tensor:
    if num_samples is not None and (isinstance(num_samples, bool)
                                    or not isinstance(num_samples, int) or num_samples < 1):
        raise ValueError(f"num_samples must be a positive int, got {num_samples!r}")
    with torch.no_grad():
        if method == "neg_elbo":
            d = elbo_decomposition(model.model, model.guide, x, num_samples or 1, seed=seed,
                                   batch_size=batch_size)
            return -d.elbo
        k = num_samples or 100
        iw = importance_log_likelihood(model.model, model.guide, x, num_samples=k,
                                       chunk_size=min(k, 100), seed=seed,
                                       compute_pareto_k=False,
                                       batch_size=max(1, batch_size // min(k, 100)))
        return -iw.log_likelihood


def _check_x(x, name: str = "x") -> Tensor:
    if not isinstance(x, Tensor) or x.dim() < 2 or len(x) == 0:
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a non-empty tensor of shape (N, ...), got {got}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating tensor, got dtype {x.dtype}")
    return x
