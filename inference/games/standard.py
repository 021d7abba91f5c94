r"""The standard game: an unconditional generator against one discriminator.

The round's fakes are ``model.generate(n)`` (differentiable), ``n`` the batch's size, and the
losses are the game's choice of :data:`~inference.objectives.adversarial.LOSSES` with R1 or
WGAN-GP if asked (Goodfellow et al. 2014, eq. 1; Mescheder et al. 2018; Gulrajani et al.
2017). It adds no term of its own; ``gan``, ``dcgan`` (and, with its clock,
``progressive_gan``: :mod:`inference.games.growing`) play it.

References

1. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
2. Mescheder, Geiger & Nowozin, "Which Training Methods for GANs do actually Converge?",
   ICML 2018 (R1).
3. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017 (WGAN-GP).
"""

from __future__ import annotations

__all__ = ["StandardGame"]

from inference.games.game import Game, Round, images_of
from inference.games.registry import register_game


@register_game("standard")
class StandardGame(Game):
    """Real: the batch's inputs (its first item for a labelled batch); fake:
    ``model.generate(len(real))``. See :class:`~inference.games.game.Game` for the
    options."""

    def draw(self, batch) -> Round:
        real = images_of(batch)
        return Round(batch, real, self.model.generate(len(real)))
