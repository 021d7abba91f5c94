r"""StarGAN's game (Choi et al. 2018): one generator told the target domain, a critic with a
domain classifier.

A batch is ``(x, c')``: images and their ``K`` binary attributes. The round draws targets
:math:`c` by shuffling the batch's own attributes (the reference code's
``label_org[randperm]``, so targets follow the data's attribute frequencies) and the fakes
:math:`G(x, c)`; the targets travel in the round, not on the model. With the game's
adversarial loss (the paper's: Wasserstein with gradient penalty 10, eq. 8; the critic scores
an image by the mean of its patch scores, see :mod:`ppl_models.gan.stargan`):

.. math::
    \mathcal{L}_D = \mathcal{L}_\text{adv}^D + \lambda_\text{cls}\,
        \mathrm{BCE}(D_\text{cls}(x), c'),\qquad
    \mathcal{L}_G = \mathcal{L}_\text{adv}^G + \lambda_\text{cls}\,
        \mathrm{BCE}(D_\text{cls}(G(x, c)), c) + \lambda_\text{rec}\|x - G(G(x, c), c')\|_1
        \;[+ \lambda_\text{id}\|G(x, c') - x\|_1],

(eqs. 2-7; :math:`\lambda_\text{cls} = 1`, :math:`\lambda_\text{rec} = 10`). The identity term
is optional and not the paper's (``identity_weight``, default 0): measured on MNIST it keeps
the input's content early in training (see :mod:`ppl_models.gan.stargan`).

References

1. Choi, Choi, Kim, Ha, Kim & Choo, "StarGAN: Unified Generative Adversarial Networks for
   Multi-Domain Image-to-Image Translation", CVPR 2018; code ``yunjey/stargan``.
2. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
"""

from __future__ import annotations

__all__ = ["StarGame"]

import torch
from torch import Tensor

from inference.games.game import Game, Round, Terms, check_weight
from inference.games.registry import register_game
from inference.objectives.translation import (
    attribute_classification_loss,
    cycle_consistency_loss,
    identity_loss,
)


def attributed_batch(batch) -> tuple[Tensor, Tensor]:
    """``(images, attributes)`` of a StarGAN batch.

    :raises ValueError: for a batch that is not such a pair.
    """
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError("a StarGAN batch must be a pair (images, attributes)")
    return batch[0], batch[1]


@register_game("star")
class StarGame(Game):
    """Translation to shuffled targets, domain classification, reconstruction.

    :param float cls_weight: :math:`\\lambda_\\text{cls}` (1 in the paper).
    :param float rec_weight: :math:`\\lambda_\\text{rec}` (10 in the paper).
    :param float identity_weight: :math:`\\lambda_\\text{id}` (0: the paper's losses).
    :param kwargs: the :class:`~inference.games.game.Game` options; defaults are the
        paper's ``loss="wasserstein"`` and, with it, ``gp=10`` (0 with another loss).
    """

    batch_form = "attributed"

    def __init__(self, model, *, cls_weight: float = 1.0, rec_weight: float = 10.0,
                 identity_weight: float = 0.0, loss: str = "wasserstein",
                 gp: float | None = None, **kwargs) -> None:
        gp = (10.0 if loss == "wasserstein" else 0.0) if gp is None else gp
        super().__init__(model, loss=loss, gp=gp, **kwargs)
        self.cls_weight = check_weight(cls_weight, "cls_weight")
        self.rec_weight = check_weight(rec_weight, "rec_weight")
        self.identity_weight = check_weight(identity_weight, "identity_weight")

    def draw(self, batch) -> Round:
        x, labels = attributed_batch(batch)
        self.model.check_target(labels, len(x), "batch[1]")
        target = labels[torch.randperm(len(labels), device=labels.device)]
        return Round(batch, x, self.model(x, target), target)

    def discriminator_terms(self, round: Round) -> list[Terms]:
        x, labels = attributed_batch(round.batch)
        loss = attribute_classification_loss(self.model.classify(x), labels)
        return [Terms(self.cls_weight * loss, {"classification": loss.item()})]

    def generator_terms(self, round: Round) -> list[Terms]:
        x, labels = attributed_batch(round.batch)
        cls = attribute_classification_loss(self.model.classify(round.fake), round.latent)
        rec = cycle_consistency_loss(x, self.model(round.fake, labels))
        total = self.cls_weight * cls + self.rec_weight * rec
        parts = {"fake_classification": cls.item(), "reconstruction": rec.item()}
        if self.identity_weight > 0:
            identity = identity_loss(x, self.model(x, labels))
            total = total + self.identity_weight * identity
            parts["identity"] = identity.item()
        return [Terms(total, parts)]
