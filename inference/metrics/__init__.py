"""How good a fitted model is, and what it is good for: likelihood in nats and bits/dim;
anomaly scores and their detection metrics (AUROC, AUPRC, FPR at 95 % TPR); the
typicality test; a model's representation (``model_features``), its linear probe and
k-means clustering accuracy;
sample metrics for samplers: mode coverage on toy mixtures, FID and KID (torchmetrics),
precision / recall / density / coverage and class histograms on the features of a locally
trained :class:`~inference.metrics.feature_classifier.FeatureClassifier` (no downloads);
translation metrics (label kept, cycle L1, attribute accuracy, target sensitivity).
"""

from inference.metrics.anomaly import (
    DEFAULT_METHODS,
    METHODS,
    anomaly_scores,
    exact_log_likelihood,
    likelihood_ratio_scores,
)
from inference.metrics.class_histogram import class_histogram
from inference.metrics.clustering import cluster_accuracy, kmeans_accuracy
from inference.metrics.detection import detection_metrics, roc_points
from inference.metrics.feature_classifier import FeatureClassifier, feature_classifier
from inference.metrics.frechet import frechet_distance, kernel_distance
from inference.metrics.likelihood import bits_per_dim, evaluate_nll, nll_nats
from inference.metrics.linear_probe import ProbeResult, linear_probe
from inference.metrics.mode_coverage import ModeCoverage, mode_coverage
from inference.metrics.parts_to_whole import mask_iou, patch_l1
from inference.metrics.precision_recall import precision_recall
from inference.metrics.representation import has_features, model_features
from inference.metrics.translation import (
    attribute_accuracy,
    cycle_l1,
    label_kept,
    target_sensitivity,
)
from inference.metrics.typicality import TypicalityTest, typicality_test

__all__ = [
    "DEFAULT_METHODS",
    "METHODS",
    "FeatureClassifier",
    "ModeCoverage",
    "ProbeResult",
    "TypicalityTest",
    "anomaly_scores",
    "attribute_accuracy",
    "bits_per_dim",
    "class_histogram",
    "cluster_accuracy",
    "cycle_l1",
    "detection_metrics",
    "evaluate_nll",
    "label_kept",
    "mask_iou",
    "target_sensitivity",
    "exact_log_likelihood",
    "feature_classifier",
    "frechet_distance",
    "has_features",
    "kernel_distance",
    "kmeans_accuracy",
    "likelihood_ratio_scores",
    "linear_probe",
    "mode_coverage",
    "model_features",
    "nll_nats",
    "patch_l1",
    "precision_recall",
    "roc_points",
    "typicality_test",
]
