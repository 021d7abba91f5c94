r"""The standard game with a growth schedule's clock (progressive growing, Karras et al. 2018).

The model's resolution and fade-in :math:`\alpha` are a function of the rounds it has
played (``model.schedule()``, Sec. 2); the clock is the model's ``progress`` buffer, saved
with its weights so that a saved model samples at the resolution it reached. The game
advances it by one at every training round (:meth:`GrowingGame.discriminator_loss`) and
nowhere else: drawing samples or evaluating never moves it.

References

1. Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
   Stability, and Variation", ICLR 2018.
"""

from __future__ import annotations

__all__ = ["GrowingGame"]

from inference.games.game import Terms
from inference.games.registry import register_game
from inference.games.standard import StandardGame


@register_game("growing")
class GrowingGame(StandardGame):
    """:class:`~inference.games.standard.StandardGame` whose every training round first
    advances the model's growth clock (``model.advance()``)."""

    def discriminator_loss(self, batch) -> Terms:
        self.model.advance()
        return super().discriminator_loss(batch)
