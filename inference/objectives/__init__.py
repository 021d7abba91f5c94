r"""Objectives: pure functions and handlers that turn model traces into losses.

- :mod:`~inference.objectives.elbo_terms`: rate, distortion and ELBO of one draw, read off a
  guide trace and its replayed model trace (Alemi et al. 2018); the one reader that both the
  training step and the diagnostics use.
- :mod:`~inference.objectives.kl_warmup`: the latent-site scaling handler and the linear
  :math:`\beta` schedule of KL warm-up (Bowman et al. 2016; Sønderby et al. 2016).
- :mod:`~inference.objectives.pyro_compat`: the workarounds that touch Pyro internals
  (pinned to pyro-ppl 1.9.2), in one place.

Adversarial losses (plain functions of logits, composable with the ELBO in one optimiser
step) will live beside these, one concept per file. Nothing here imports
:mod:`inference.training`: the steps import their objectives, not the other way round.

References

1. Alemi, Poole, Fischer, Dillon, Saurous & Murphy, "Fixing a Broken ELBO", ICML 2018.
2. Bowman, Vilnis, Vinyals, Dai, Jozefowicz & Bengio, "Generating Sentences from a
   Continuous Space", CoNLL 2016.
3. Sønderby, Raiko, Maaløe, Sønderby & Winther, "Ladder Variational Autoencoders",
   NeurIPS 2016.
"""

from inference.objectives.elbo_terms import ELBOTerms, Reduce, elbo_terms, sum_all
from inference.objectives.kl_warmup import LatentScale, kl_warmup_beta

__all__ = ["ELBOTerms", "LatentScale", "Reduce", "elbo_terms", "kl_warmup_beta", "sum_all"]
