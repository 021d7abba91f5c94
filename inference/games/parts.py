r"""Puzzle-GAN's game (Lee et al. 2018): a whole image from a few of its key patches.

The round crops ``K`` random patches of each real image (``model.crop``: the boxes are kept
in the round, not on the model), completes the image and predicts its mask from them
(``model(patches)``), and the generator minimises, beside the game's adversarial loss,

.. math:: \lambda_M \|\hat M - M\|_1 + \lambda_A \|\hat y \odot \hat M - y \odot M\|_1

(:mod:`inference.objectives.parts`; :math:`M` the real image's mask,
``object_mask(y, model.mask_threshold)``). The discriminator also rejects real images whose
patch regions come from the next image of the batch (Sec. 3.2; ``model.swapped_reals``),
with the fake half of the game's loss
(:func:`~inference.objectives.adversarial.discriminator_fake_loss`), weighted
``swap_weight``: locally real, globally inconsistent compositions are penalised.

References

1. Lee, Kim, Cho, Hwang & Yang, "Unsupervised Holistic Image Generation from Key Local
   Patches", ECCV 2018; code ``hellbell/KeyPatchGan``.
"""

from __future__ import annotations

__all__ = ["PartsGame"]

from inference.games.game import Game, Round, Terms, check_weight, images_of
from inference.games.registry import register_game
from inference.objectives.parts import appearance_loss, mask_loss
from ppl_models.gan.puzzle_gan import object_mask


@register_game("parts")
class PartsGame(Game):
    """Completion from key patches with mask and appearance terms and swapped-part reals.

    :param float mask_weight: :math:`\\lambda_M`.
    :param float appearance_weight: :math:`\\lambda_A`.
    :param float swap_weight: weight of the swapped-part reals' term (0 drops it).
    :param kwargs: the :class:`~inference.games.game.Game` options.
    """

    batch_form = "images_to_complete"

    def __init__(self, model, *, mask_weight: float = 10.0, appearance_weight: float = 10.0,
                 swap_weight: float = 1.0, **kwargs) -> None:
        super().__init__(model, **kwargs)
        self.mask_weight = check_weight(mask_weight, "mask_weight")
        self.appearance_weight = check_weight(appearance_weight, "appearance_weight")
        self.swap_weight = check_weight(swap_weight, "swap_weight")

    def draw(self, batch) -> Round:
        x = images_of(batch)
        patches, boxes = self.model.crop(x)
        fake, mask = self.model(patches)
        return Round(batch, x, fake, (boxes, mask))

    def discriminator_terms(self, round: Round) -> list[Terms]:
        x, (boxes, _) = round.real, round.latent
        if self.swap_weight == 0 or len(x) < 2:
            return []  # one image has no other to take parts from
        loss = self.fake_loss(self.discriminate(self.model.swapped_reals(x, boxes)))
        return [Terms(self.swap_weight * loss, {"swap": loss.item()})]

    def generator_terms(self, round: Round) -> list[Terms]:
        x, (_, mask) = round.real, round.latent
        target = object_mask(x, self.model.mask_threshold)
        shape = mask_loss(mask, target)
        appearance = appearance_loss(round.fake, mask, x, target)
        return [Terms(self.mask_weight * shape + self.appearance_weight * appearance,
                      {"mask": shape.item(), "appearance": appearance.item()})]
