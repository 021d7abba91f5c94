"""How good a fitted model is: likelihood in nats and bits/dim; sample metrics for samplers.

Sample metrics: mode coverage on toy mixtures; FID and KID (torchmetrics), precision /
recall / density / coverage and class histograms on the features of a locally trained
:class:`~inference.metrics.feature_classifier.FeatureClassifier` (no downloads).
"""

from inference.metrics.class_histogram import class_histogram
from inference.metrics.feature_classifier import FeatureClassifier, feature_classifier
from inference.metrics.frechet import frechet_distance, kernel_distance
from inference.metrics.likelihood import bits_per_dim, evaluate_nll, nll_nats
from inference.metrics.mode_coverage import ModeCoverage, mode_coverage
from inference.metrics.precision_recall import precision_recall

__all__ = ["FeatureClassifier", "ModeCoverage", "bits_per_dim", "class_histogram",
           "evaluate_nll", "feature_classifier", "frechet_distance", "kernel_distance",
           "mode_coverage", "nll_nats", "precision_recall"]
