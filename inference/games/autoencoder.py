r"""The adversarial autoencoder's game (Makhzani et al. 2016): the encoder's aggregated
posterior matched to the prior by a discriminator on codes.

The round's real inputs are draws of the prior :math:`p(z)` and its fakes reparameterised
draws of :math:`q(z \mid x)` for the batch's images (differentiable in the encoder); the
discriminator tells codes apart. The generator player (encoder and decoder) also minimises the
reconstruction term :math:`-\frac1N\sum_i \log p_\theta(x_i \mid z_i)` at those codes, in
nats per image, in the same update (their Sec. 2: the reconstruction and regularisation
phases), so its loss is :math:`\mathcal{L}_\text{rec} + \lambda\,\ell_G(D(z))` with
:math:`\lambda` the game's ``adversarial_weight``.

References

1. Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial Autoencoders", ICLR 2016.
"""

from __future__ import annotations

__all__ = ["AutoencoderGame"]

from inference.games.game import Game, Round, Terms, images_of
from inference.games.registry import register_game


@register_game("autoencoder")
class AutoencoderGame(Game):
    """Prior draws against encoded codes, plus the reconstruction term. See
    :class:`~inference.games.game.Game` for the options."""

    def draw(self, batch) -> Round:
        x = images_of(batch)
        fake = self.model.encode_sample(x)
        return Round(batch, self.model.prior_distribution().sample((len(x),)), fake)

    def generator_terms(self, round: Round) -> list[Terms]:
        nll = self.model.reconstruction_nll(images_of(round.batch), round.fake)
        return [Terms(nll, {"reconstruction": nll.item()})]
