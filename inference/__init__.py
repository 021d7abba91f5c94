"""How models from :mod:`ppl_models` are fitted and judged: objectives, training, metrics."""
