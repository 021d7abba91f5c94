r"""Objectives: pure functions and handlers that turn model traces into losses.

- :mod:`~inference.objectives.elbo_terms`: rate, distortion and ELBO of one draw, read off a
  guide trace and its replayed model trace (Alemi et al. 2018); the one reader that both the
  training step and the diagnostics use.
- :mod:`~inference.objectives.kl_warmup`: the latent-site scaling handler and the linear
  :math:`\beta` schedule of KL warm-up (Bowman et al. 2016; Sønderby et al. 2016).
- :mod:`~inference.objectives.pyro_compat`: the workarounds that touch Pyro internals
  (pinned to pyro-ppl 1.9.2), in one place.

- :mod:`~inference.objectives.adversarial`: the GAN game's losses as plain functions of
  logits (minimax, non-saturating, least-squares, Wasserstein, hinge), the optimal
  discriminator and the game's value on explicit densities, R1 and WGAN-GP penalties
  (Goodfellow et al. 2014); composable with the ELBO in one optimiser step.
- :mod:`~inference.objectives.mutual_information`: InfoGAN's variational lower bound on
  :math:`I(c; G(z, c))` for categorical and factored-Gaussian continuous codes (Chen et al.
  2016, eq. 5), in nats, with its parts.

Nothing here imports :mod:`inference.training`: the steps import their objectives, not the
other way round.

References

1. Alemi, Poole, Fischer, Dillon, Saurous & Murphy, "Fixing a Broken ELBO", ICML 2018.
2. Bowman, Vilnis, Vinyals, Dai, Jozefowicz & Bengio, "Generating Sentences from a
   Continuous Space", CoNLL 2016.
3. Sønderby, Raiko, Maaløe, Sønderby & Winther, "Ladder Variational Autoencoders",
   NeurIPS 2016.
"""

from inference.objectives.adversarial import (
                                              LOSSES,
                                              discriminator_loss,
                                              game_value,
                                              generator_loss,
                                              gradient_penalty,
                                              optimal_discriminator,
                                              r1_penalty,
)
from inference.objectives.elbo_terms import ELBOTerms, Reduce, elbo_terms, sum_all
from inference.objectives.kl_warmup import LatentScale, kl_warmup_beta
from inference.objectives.mutual_information import InformationBound, mutual_information

__all__ = ["ELBOTerms", "InformationBound", "LOSSES", "LatentScale", "Reduce",
           "discriminator_loss", "elbo_terms", "game_value", "generator_loss",
           "gradient_penalty", "kl_warmup_beta", "mutual_information", "optimal_discriminator",
           "r1_penalty", "sum_all"]
