r"""The conditional game (Mirza & Osindero 2014, eq. 2): both players told the label.

.. math:: \min_G \max_D \mathbb{E}_{x, y \sim p_\text{data}}[\log D(x, y)]
          + \mathbb{E}_{z, y}[\log(1 - D(G(z, y), y))],

with the game's choice of loss in place of the log terms. A batch is ``(inputs, labels)``
(labels, or word codes of captions); the round's fakes are drawn with the batch's own
conditions (``model.generate(n, condition)``), so both players see the data's condition
frequencies, and the discriminator scores pairs ``(x, y)``.

References

1. Mirza & Osindero, "Conditional Generative Adversarial Nets", arXiv:1411.1784, 2014.
2. Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018.
"""

from __future__ import annotations

__all__ = ["ConditionalGame", "conditioned_batch"]

from torch import Tensor

from inference.games.game import Round
from inference.games.registry import register_game
from inference.games.standard import StandardGame


def conditioned_batch(batch) -> tuple[Tensor, Tensor]:
    """``(inputs, conditions)`` of a conditional batch.

    :raises ValueError: for a batch that is not such a pair (e.g. images without labels).
    """
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("a conditional game trains on (inputs, conditions) batches, e.g. "
                         "(images, labels); got a batch without conditions")
    return batch[0], batch[1]


@register_game("conditional")
class ConditionalGame(StandardGame):
    """Real ``(x, y)``; fake ``(G(z, y), y)`` with the batch's ``y``. See
    :class:`~inference.games.game.Game` for the options; R1 and WGAN-GP take their gradients
    in the images, the conditions held at the batch's (real and fake share them)."""

    batch_form = "labelled"

    def draw(self, batch) -> Round:
        x, y = conditioned_batch(batch)
        return Round(batch, (x, y), (self.model.generate(len(x), y), y))

    def penalty_view(self, real, fake):
        (x, y), (fake_x, _) = real, fake
        return (lambda images: self.discriminate((images, y))), x, fake_x
