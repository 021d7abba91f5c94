r"""InfoGAN's game (Chen et al. 2016, eq. 6): the standard game plus a variational bound on
the information the fakes carry about their codes.

.. math:: \min_{G, Q} \max_D V(D, G) - \lambda L_I(G, Q), \qquad
          L_I = \mathbb{E}_{c, z}[\log Q(c \mid G(z, c))] + H(c) \le I(c; G(z, c)),

with :math:`L_I` from :func:`~inference.objectives.mutual_information.mutual_information`
(eq. 5). The round draws noise and codes from their priors (``model.sample_codes``) and the
fakes :math:`G(z, c)` (``model.generate_from``), so the term needs no second generator pass.
:math:`-\lambda (L_I - H(c))` is added to the generator player's loss and, at the detached
fakes, to the discriminator player's, which holds :math:`Q`'s head and the body it shares
with :math:`D` (as Chen et al.'s code does). :math:`D`'s real/fake head gets no gradient from
it: :math:`Q`'s path does not pass through it. :math:`Q`'s categorical output is logits (a
softmax before the bound would normalise twice, PyTorch-GAN's bug).

References

1. Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN", NeurIPS 2016 (eq. 5, 6).
"""

from __future__ import annotations

__all__ = ["InformationGame"]

from inference.games.game import Round, Terms, check_weight, images_of
from inference.games.registry import register_game
from inference.games.standard import StandardGame
from inference.objectives.mutual_information import InformationBound, mutual_information


@register_game("information")
class InformationGame(StandardGame):
    """The standard game plus :math:`-\\lambda (L_I - H(c))` for both players.

    :param float info_weight: :math:`\\lambda` (Chen et al.: 1).
    :param kwargs: the :class:`~inference.games.game.Game` options.
    """

    integer_condition = "categorical code"

    def __init__(self, model, *, info_weight: float = 1.0, **kwargs) -> None:
        super().__init__(model, **kwargs)
        self.info_weight = check_weight(info_weight, "info_weight")

    def draw(self, batch) -> Round:
        real = images_of(batch)
        z, codes = self.model.sample_codes(len(real))
        return Round(batch, real, self.model.generate_from(z, codes), codes)

    def information(self, fake, codes) -> tuple[object, InformationBound]:
        r""":math:`-\lambda (L_I - H(c))` at ``fake`` drawn with ``codes``, and the bound."""
        logits, loc = self.model.q(fake)
        inputs = {"categorical_logits": logits, "categorical_code": codes.categorical}
        if codes.continuous.shape[1]:
            low, high = self.model.continuous_support
            inputs.update(continuous_loc=loc, continuous_code=codes.continuous,
                          continuous_low=low, continuous_high=high)
        bound = mutual_information(**inputs)
        return -self.info_weight * (bound.bound - bound.entropy), bound

    def scores(self, images, labels) -> dict[str, float]:
        """Q's categorical code read as a classifier of real ``images``: its accuracy on
        ``labels`` under the best one-to-one map of codes to labels (Hungarian; Chen et al.
        2016, Sec. 7.1 report about 5 % error on MNIST) and how many codes it uses."""
        from inference.metrics.clustering import cluster_accuracy

        codes = self.model.predict_code(images)
        return {"code_accuracy": cluster_accuracy(codes, labels),
                "codes_used": int(codes.unique().numel())}

    def discriminator_terms(self, round: Round) -> list[Terms]:
        loss, bound = self.information(round.fake.detach(), round.latent)
        return [Terms(loss, {"q_information": bound.bound.item()})]

    def generator_terms(self, round: Round) -> list[Terms]:
        loss, bound = self.information(round.fake, round.latent)
        return [Terms(loss, {"information": bound.bound.item()})]
