"""How good a fitted model is, and what it is good for: likelihood in nats and bits/dim;
anomaly scores and their detection metrics (AUROC, AUPRC, FPR at 95 % TPR); the
typicality test; the linear probe and k-means clustering accuracy of a representation."""

from inference.metrics.anomaly import (
    DEFAULT_METHODS,
    METHODS,
    anomaly_scores,
    exact_log_likelihood,
    likelihood_ratio_scores,
)
from inference.metrics.clustering import cluster_accuracy, kmeans_accuracy
from inference.metrics.detection import detection_metrics, roc_points
from inference.metrics.likelihood import bits_per_dim, evaluate_nll, nll_nats
from inference.metrics.linear_probe import ProbeResult, linear_probe
from inference.metrics.typicality import TypicalityTest, typicality_test

__all__ = [
    "DEFAULT_METHODS",
    "METHODS",
    "ProbeResult",
    "TypicalityTest",
    "anomaly_scores",
    "bits_per_dim",
    "cluster_accuracy",
    "detection_metrics",
    "evaluate_nll",
    "exact_log_likelihood",
    "kmeans_accuracy",
    "likelihood_ratio_scores",
    "linear_probe",
    "nll_nats",
    "roc_points",
    "typicality_test",
]
