r"""CycleGAN's game (Zhu et al. 2017): two adversarial games held together by cycle
consistency and an identity term.

A batch is a pair ``(a, b)`` of unpaired images of domains A and B. The round's fakes are
``(F(b), G(a))``, each in the domain it imitates, and the model's ``discriminate`` scores a
pair with :math:`D_A` and :math:`D_B`, their patch logits concatenated. The discriminators
see each domain's fakes through a :class:`~inference.games.replay_buffer.ReplayBuffer` of
``buffer_size`` past ones (Sec. 4), kept in :meth:`CycleGame.state_dict`. The generators also
minimise

.. math:: \tfrac14\big(\lambda\,\mathcal{L}_\text{cyc}
          + \rho\lambda\,\mathcal{L}_\text{id}\big),\quad
          \mathcal{L}_\text{cyc} = \|F(G(a)) - a\|_1 + \|G(F(b)) - b\|_1,\quad
          \mathcal{L}_\text{id} = \|G(b) - b\|_1 + \|F(a) - a\|_1,

:math:`\lambda` = ``cycle_weight`` (10), :math:`\rho` = ``identity_ratio`` (0.5; their eq. 3
and the reference code's ``lambda_identity``). The :math:`\frac14`: with the least-squares
loss (the paper's; Mao et al. 2017) the game's adversarial terms average over both domains'
patches and carry the loss's :math:`\frac12`, i.e. :math:`\frac14` of the reference code's
sum of two ``MSELoss`` terms, so the same factor keeps the paper's ratio of the cycle and
identity terms to the adversarial ones.

References

1. Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
   Adversarial Networks", ICCV 2017; code ``junyanz/pytorch-CycleGAN-and-pix2pix``.
2. Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017.
"""

from __future__ import annotations

__all__ = ["CycleGame"]

from typing import Any

from torch import Tensor

from inference.games.game import Game, Round, Terms, check_weight
from inference.games.registry import register_game
from inference.games.replay_buffer import ReplayBuffer
from inference.objectives.translation import cycle_consistency_loss, identity_loss

# The game's adversarial terms are 1/4 of the reference code's summed MSE terms.
_ADVERSARIAL_SCALE = 0.25


def domain_pair(batch) -> tuple[Tensor, Tensor]:
    """``(a, b)`` of a translation batch.

    :raises ValueError: for a batch that is not a pair of image batches.
    """
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError("a CycleGAN batch must be a pair (a, b) of image batches, one per "
                         "domain")
    return batch[0], batch[1]


@register_game("cycle")
class CycleGame(Game):
    """Both domains' games, cycle consistency, identity, replay buffers.

    :param float cycle_weight: :math:`\\lambda` (10 in the paper).
    :param float identity_ratio: :math:`\\rho`, the identity weight as a fraction of
        :math:`\\lambda` (0.5 in the paper; 0 drops the term).
    :param int buffer_size: past fakes kept per domain (50 in the paper; 0: none).
    :param kwargs: the :class:`~inference.games.game.Game` options (the paper's loss is
        ``"least_squares"``, this game's default).
    """

    batch_form = "unpaired_domains"
    # Patch logits of two domains, concatenated: no one logit per input to penalise.
    penalties = False

    def __init__(self, model, *, cycle_weight: float = 10.0, identity_ratio: float = 0.5,
                 buffer_size: int = 50, loss: str = "least_squares", **kwargs) -> None:
        super().__init__(model, loss=loss, **kwargs)
        self.cycle_weight = check_weight(cycle_weight, "cycle_weight")
        self.identity_ratio = check_weight(identity_ratio, "identity_ratio")
        self.buffers = {"a": ReplayBuffer(buffer_size), "b": ReplayBuffer(buffer_size)}

    def draw(self, batch) -> Round:
        a, b = domain_pair(batch)
        return Round(batch, (a, b), (self.model(b, "b_to_a"), self.model(a, "a_to_b")))

    def shown_fake(self, fake):
        return self.buffers["a"].query(fake[0]), self.buffers["b"].query(fake[1])

    def generator_terms(self, round: Round) -> list[Terms]:
        (a, b), (fake_a, fake_b) = round.real, round.fake
        cycle = (cycle_consistency_loss(a, self.model(fake_b, "b_to_a"))
                 + cycle_consistency_loss(b, self.model(fake_a, "a_to_b")))
        total, parts = self.cycle_weight * cycle, {"cycle": cycle.item()}
        if self.identity_ratio > 0:
            identity = (identity_loss(b, self.model(b, "a_to_b"))
                        + identity_loss(a, self.model(a, "b_to_a")))
            total = total + self.identity_ratio * self.cycle_weight * identity
            parts["identity"] = identity.item()
        return [Terms(_ADVERSARIAL_SCALE * total, parts)]

    def state_dict(self) -> dict[str, Any]:
        """Both replay buffers' stored images."""
        return {d: buffer.state_dict() for d, buffer in self.buffers.items()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        if set(state_dict) != set(self.buffers):
            raise ValueError(f"a CycleGAN game's state must hold the buffers "
                             f"{sorted(self.buffers)}, got {sorted(state_dict)}")
        for d, buffer in self.buffers.items():
            buffer.load_state_dict(state_dict[d])
