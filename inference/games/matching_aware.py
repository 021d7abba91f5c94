r"""The matching-aware text-to-image game: GAN-CLS and GAN-INT (Reed et al. 2016).

The conditional game (:mod:`inference.games.conditional`) on ``(images, word codes)``, plus

- *GAN-CLS* (Sec. 4.2, Alg. 1): the discriminator must also reject real images paired with
  a wrong caption (a shuffle of the batch's; pairs whose shuffled caption is identical are
  left out), with the fake half of the game's discriminator loss
  (:func:`~inference.objectives.adversarial.discriminator_fake_loss`), weighted
  ``mismatch_weight``;
- *GAN-INT* (Sec. 4.3): the generator must also fool the discriminator at interpolated
  caption embeddings :math:`\beta e_1 + (1 - \beta) e_2` (``e_2`` a shuffle of ``e_1``), with
  the game's generator loss, weighted ``interpolation_weight``. No caption exists there, so
  :math:`D` is shown the first caption's (an approximation of the paper's term).

References

1. Reed, Akata, Yan, Logeswaran, Schiele & Lee, "Generative Adversarial Text to Image
   Synthesis", ICML 2016.
"""

from __future__ import annotations

__all__ = ["MatchingAwareGame"]

import torch

from inference.games.conditional import ConditionalGame
from inference.games.game import Round, Terms, check_weight
from inference.games.registry import register_game


@register_game("matching_aware")
class MatchingAwareGame(ConditionalGame):
    """Conditional game plus GAN-CLS and GAN-INT.

    :param float beta: GAN-INT's interpolation weight (Reed et al.: 0.5).
    :param float mismatch_weight: weight of GAN-CLS's wrong-caption term (0 drops it).
    :param float interpolation_weight: weight of GAN-INT's term (0 drops it).
    :param kwargs: the :class:`~inference.games.game.Game` options.
    """

    batch_form = "captioned"

    def __init__(self, model, *, beta: float = 0.5, mismatch_weight: float = 1.0,
                 interpolation_weight: float = 1.0, **kwargs) -> None:
        super().__init__(model, **kwargs)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 0 <= beta <= 1:
            raise ValueError(f"beta must lie in [0, 1], got {beta!r}")
        self.beta = float(beta)
        self.mismatch_weight = check_weight(mismatch_weight, "mismatch_weight")
        self.interpolation_weight = check_weight(interpolation_weight, "interpolation_weight")

    def discriminator_terms(self, round: Round) -> list[Terms]:
        x, codes = round.real
        wrong = codes[torch.randperm(len(codes), device=codes.device)]
        differs = (wrong != codes).any(1)
        if self.mismatch_weight == 0 or not differs.any():
            return []
        # D on every pair, then the mismatched ones kept: D's batch statistics are those of
        # the whole batch, as for the other terms.
        logits = self.discriminate((x, wrong))[differs.to(x.device)]
        loss = self.fake_loss(logits)
        return [Terms(self.mismatch_weight * loss, {"mismatch": loss.item()})]

    def generator_terms(self, round: Round) -> list[Terms]:
        if self.interpolation_weight == 0:
            return []
        _, codes = round.real
        e1 = self.model.embed_text(codes)
        e2 = e1[torch.randperm(len(e1), device=e1.device)]
        mixed = self.beta * e1 + (1 - self.beta) * e2
        z = torch.randn(len(e1), self.model.latent_dim, device=e1.device)
        logits = self.discriminate((self.model.generate_from_embedding(z, mixed), codes))
        loss = self.g_loss_fn(logits)
        return [Terms(self.interpolation_weight * loss, {"interpolation": loss.item()})]
