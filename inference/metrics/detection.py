r"""How well a score separates in-distribution from out-of-distribution data.

The out-of-distribution (OOD) examples are the *positive* class and a higher score means
"more anomalous", as in Hendrycks & Gimpel [1] and Nalisnick et al. [2]:

- **AUROC**: the probability that a random OOD example scores above a random in-distribution
  one (ties count one half); 1 separates perfectly, 0.5 is chance, below 0.5 means the score
  ranks the OOD set as *more* typical (the failure of raw likelihood in [2]).
- **AUPRC**: the average precision with OOD as positives (depends on the class balance).
- **FPR at 95 % TPR**: the fraction of in-distribution examples flagged when the threshold
  catches 95 % of the OOD ones.

All three are computed by :mod:`sklearn.metrics` (``roc_auc_score``,
``average_precision_score``, ``roc_curve``), never re-derived here.

References

1. Hendrycks & Gimpel (2017). A Baseline for Detecting Misclassified and Out-of-Distribution
   Examples in Neural Networks. ICLR.
2. Nalisnick, Matsukawa, Teh, Gorur, Lakshminarayanan (2019). Do Deep Generative Models Know
   What They Don't Know? ICLR.
"""

from __future__ import annotations

__all__ = ["detection_metrics", "roc_points"]

import numpy as np
import torch
from sklearn import metrics as skm

# The true-positive rate at which the false-positive rate is read off.
TPR_LEVEL = 0.95


def _as_scores(scores, name: str) -> np.ndarray:
    if isinstance(scores, torch.Tensor):
        scores = scores.detach().cpu().double().numpy()
    try:
        array = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} must be a 1-D array of numbers, got "
                         f"{type(scores).__name__}") from e
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of scores, got shape "
                         f"{array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds {int((~np.isfinite(array)).sum())} non-finite scores")
    return array


def _labels_and_scores(scores_in, scores_out) -> tuple[np.ndarray, np.ndarray]:
    s_in, s_out = _as_scores(scores_in, "scores_in"), _as_scores(scores_out, "scores_out")
    y = np.concatenate([np.zeros(len(s_in)), np.ones(len(s_out))])
    return y, np.concatenate([s_in, s_out])


def detection_metrics(scores_in, scores_out) -> dict[str, float]:
    """AUROC, AUPRC and FPR at 95 % TPR of an anomaly score (higher = more anomalous).

    :param scores_in: ``(N,)`` scores of in-distribution examples (tensor or array).
    :param scores_out: ``(M,)`` scores of out-of-distribution examples (the positives).
    :return: ``{"auroc", "auprc", "fpr_at_95_tpr", "n_in", "n_out"}``.
    :raises ValueError: if either set is empty, not 1-D or holds a non-finite score.
    """
    y, s = _labels_and_scores(scores_in, scores_out)
    fpr, tpr, _ = skm.roc_curve(y, s)
    # roc_curve's tpr is non-decreasing: the first point reaching the level is the
    # threshold that flags fewest in-distribution examples.
    at = int(np.searchsorted(tpr, TPR_LEVEL, side="left"))
    return {
        "auroc": float(skm.roc_auc_score(y, s)),
        "auprc": float(skm.average_precision_score(y, s)),
        "fpr_at_95_tpr": float(fpr[at]),
        "n_in": int((y == 0).sum()),
        "n_out": int((y == 1).sum()),
    }


def roc_points(scores_in, scores_out) -> tuple[np.ndarray, np.ndarray]:
    """The ROC curve as ``(fpr, tpr)`` arrays from :func:`sklearn.metrics.roc_curve`
    (OOD positive, higher score = more anomalous), for plotting."""
    y, s = _labels_and_scores(scores_in, scores_out)
    fpr, tpr, _ = skm.roc_curve(y, s)
    return fpr, tpr
