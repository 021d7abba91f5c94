"""How good a fitted model is: likelihood in nats and bits/dim."""

from inference.metrics.likelihood import bits_per_dim, evaluate_nll, nll_nats

__all__ = ["bits_per_dim", "evaluate_nll", "nll_nats"]
