r"""Unsupervised accuracy of a representation: k-means clusters matched to classes.

k-means (:class:`sklearn.cluster.KMeans`) groups the features into as many clusters as there
are classes; the one-to-one assignment of clusters to classes that maximises agreement is
found by the Hungarian algorithm (:func:`scipy.optimize.linear_sum_assignment` on the
contingency table), and the accuracy is the fraction of rows whose cluster maps to their
label, the clustering accuracy of Xie et al. (2016).

References

1. Xie, Girshick, Farhadi (2016). Unsupervised Deep Embedding for Clustering Analysis. ICML.
"""

from __future__ import annotations

__all__ = ["cluster_accuracy", "kmeans_accuracy"]

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

from inference.metrics.linear_probe import check_features_labels


def cluster_accuracy(clusters, labels) -> float:
    """Accuracy of ``clusters`` under the best one-to-one map to ``labels`` (Hungarian).

    :param clusters: ``(N,)`` integer cluster ids.
    :param labels: ``(N,)`` integer class labels.
    """
    c, y = check_features_labels(np.asarray(clusters).reshape(-1, 1), labels,
                                 "clusters", "labels")
    c = c[:, 0].astype(np.int64)
    _, ci = np.unique(c, return_inverse=True)
    _, yi = np.unique(y, return_inverse=True)
    table = np.zeros((ci.max() + 1, yi.max() + 1), dtype=np.int64)
    np.add.at(table, (ci, yi), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / len(y))


def kmeans_accuracy(features, labels, *, n_clusters: int | None = None, seed: int = 0,
                    n_init: int = 10) -> float:
    """Cluster ``features`` with k-means and score the clusters against ``labels``.

    :param features: ``(N, F)`` features.
    :param labels: ``(N,)`` integer labels (used only for scoring).
    :param n_clusters: default the number of distinct labels.
    :param int seed: k-means initialisation seed.
    :param int n_init: k-means restarts.
    :raises ValueError: for mismatched lengths or a single class.
    """
    f, y = check_features_labels(features, labels)
    k = len(np.unique(y)) if n_clusters is None else n_clusters
    if len(np.unique(y)) < 2:
        raise ValueError("labels must hold at least two classes")
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= len(f):
        raise ValueError(f"n_clusters must be an int in [2, {len(f)}], got {k!r}")
    clusters = KMeans(k, n_init=n_init, random_state=seed).fit_predict(f)
    return cluster_accuracy(clusters, y)
