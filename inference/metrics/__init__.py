"""How good a fitted model is: likelihood in nats and bits/dim; sample metrics for samplers
(mode coverage on toy mixtures)."""

from inference.metrics.likelihood import bits_per_dim, evaluate_nll, nll_nats
from inference.metrics.mode_coverage import ModeCoverage, mode_coverage

__all__ = ["ModeCoverage", "bits_per_dim", "evaluate_nll", "mode_coverage", "nll_nats"]
