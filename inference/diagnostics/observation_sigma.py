r"""Choose a generator's Gaussian observation noise :math:`\sigma` on validation data.

A generator :math:`G` scored with the observation model
:math:`p_\sigma(x \mid z) = \mathcal{N}(x;\, G(z),\, \sigma^2 I)` has a likelihood that
depends on :math:`\sigma`: too small and an image the generator cannot reproduce exactly
has vanishing density, too large and every image is blurred into every other. Wu et al. [1]
treat :math:`\sigma` as a hyperparameter of the stated model and pick it on validation data;
here, from a grid, the :math:`\sigma` whose forward-AIS estimate of the mean
:math:`\log p_\sigma(x)` over the validation images is largest,

.. math:: \hat\sigma = \arg\max_{\sigma \in \Sigma}
          \frac1{N_\mathrm{valid}} \sum_i \log \hat p_\sigma(x_i).

The test images are then scored at :math:`\hat\sigma` only, so the choice does not see them.

References

1. Wu, Burda, Salakhutdinov, Grosse (2017). On the quantitative analysis of decoder-based
   generative models. ICLR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn
from torch.distributions import Distribution

from inference.diagnostics.annealed_importance_sampling import annealed_importance_sampling
from ppl_models.observation import GaussianObservation, ObservedGenerator

__all__ = ["SigmaSelection", "select_observation_sigma"]


@dataclass(frozen=True)
class SigmaSelection:
    r"""The chosen :math:`\sigma` and the validation score of every candidate.

    :param float sigma: the candidate with the largest mean validation log-likelihood.
    :param tuple sigmas: the candidates, in the order given.
    :param tuple log_likelihoods: mean forward-AIS :math:`\log \hat p_\sigma(x)` over the
        validation images, nats per image, one per candidate.
    """

    sigma: float
    sigmas: tuple[float, ...]
    log_likelihoods: tuple[float, ...]

    def summary(self) -> dict[str, Any]:
        """Plain numbers (JSON-serialisable)."""
        return {"sigma": self.sigma, "sigmas": list(self.sigmas),
                "valid_log_likelihoods": list(self.log_likelihoods)}


def select_observation_sigma(generator: nn.Module, prior: Distribution, valid: Tensor,
                             sigmas: Sequence[float], **ais: Any) -> SigmaSelection:
    r"""Score every candidate :math:`\sigma` by AIS on ``valid`` and keep the best.

    :param generator: ``(M, L)`` codes to ``(M, *image_shape)`` images, in eval mode.
    :param prior: :math:`p(z)`, batch shape ``()``, event shape ``(L,)``.
    :param Tensor valid: validation images ``(N, *image_shape)``.
    :param sigmas: the candidates, positive and finite.
    :param ais: keyword arguments of
        :func:`~inference.diagnostics.annealed_importance_sampling` (``num_chains`` and
        ``num_steps`` at least; the same ``seed`` for every candidate if given).
    """
    if isinstance(sigmas, (str, bytes)) or not isinstance(sigmas, Sequence) or not sigmas \
            or not all(_positive(s) for s in sigmas):
        raise ValueError(f"sigmas must be a non-empty sequence of positive finite numbers, "
                         f"got {sigmas!r}")
    scores = []
    for sigma in sigmas:
        decoder = ObservedGenerator(generator, GaussianObservation(float(sigma)))
        scores.append(annealed_importance_sampling(decoder, prior, valid, **ais).mean)
    best = max(range(len(scores)), key=scores.__getitem__)
    return SigmaSelection(sigma=float(sigmas[best]), sigmas=tuple(map(float, sigmas)),
                          log_likelihoods=tuple(scores))


def _positive(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)
