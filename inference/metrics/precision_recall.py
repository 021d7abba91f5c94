r"""Precision, recall, density and coverage of samples, by k-nearest-neighbour balls in a
feature space.

With :math:`r_k(a)` the distance from a point to its k-th nearest neighbour in its own set
and :math:`B(a, r)` the closed ball,

- **precision** (Kynkäänniemi et al. 2019): the fraction of fake points inside at least one
  real ball :math:`B(x_i, r_k(x_i))` -- how much of the samples looks real;
- **recall**: the fraction of real points inside at least one fake ball -- how much of the
  data the samples cover;
- **density** (Naeem et al. 2020): :math:`\frac{1}{kM}\sum_j \sum_i 1[y_j \in B(x_i, r_k(x_i))]`,
  about 1 for matching distributions and robust to real outliers;
- **coverage**: the fraction of real balls that hold at least one fake point.

Two samples of one distribution give precision and recall near 1 (a little below at finite
``k``), density near 1 and coverage near :math:`1 - 2^{-k}` for equal sample sizes.

References

1. Kynkäänniemi, Karras, Laine, Lehtinen & Aila, "Improved Precision and Recall Metric for
   Assessing Generative Models", NeurIPS 2019.
2. Naeem, Oh, Uh, Choi & Yoo, "Reliable Fidelity and Diversity Metrics for Generative
   Models", ICML 2020.
"""

from __future__ import annotations

__all__ = ["precision_recall"]

import torch
from torch import Tensor


def _features(f: Tensor, name: str) -> Tensor:
    if not isinstance(f, Tensor) or f.dim() != 2 or len(f) < 2:
        raise ValueError(f"{name} must be features (N, F) with N >= 2, got "
                         f"{tuple(f.shape) if isinstance(f, Tensor) else type(f).__name__}")
    if not torch.isfinite(f).all():
        raise ValueError(f"{name} must be finite")
    return f.detach().double()


def _kth_radius(f: Tensor, k: int) -> Tensor:
    d = torch.cdist(f, f)
    # The 0th nearest neighbour is the point itself, so the k-th is at index k.
    return d.kthvalue(k + 1, dim=1).values


def precision_recall(real_features: Tensor, fake_features: Tensor, k: int = 5
                     ) -> dict[str, float]:
    """Precision, recall, density and coverage (see the module).

    :param Tensor real_features: ``(N, F)``.
    :param Tensor fake_features: ``(M, F)``.
    :param int k: the neighbour defining each ball's radius (Naeem et al. use 5).
    :return: ``{"precision", "recall", "density", "coverage", "k"}``.
    """
    real = _features(real_features, "real_features")
    fake = _features(fake_features, "fake_features")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"real_features and fake_features must share F, got "
                         f"{real.shape[1]} and {fake.shape[1]}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k < min(len(real), len(fake)):
        raise ValueError(f"k must be an int in [1, min(N, M) - 1], got {k!r}")
    r_real = _kth_radius(real, k)
    r_fake = _kth_radius(fake, k)
    cross = torch.cdist(real, fake)  # (N, M)
    in_real_ball = cross <= r_real[:, None]  # fake j inside real ball i
    in_fake_ball = cross <= r_fake[None, :]  # real i inside fake ball j
    return {
        "precision": float(in_real_ball.any(0).double().mean()),
        "recall": float(in_fake_ball.any(1).double().mean()),
        "density": float(in_real_ball.double().sum() / (k * len(fake))),
        "coverage": float(in_real_ball.any(1).double().mean()),
        "k": k,
    }
