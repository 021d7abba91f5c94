r"""The contract every adversarial objective meets: a declared :class:`Game`.

A game is the objective both players follow, kept apart from the networks
(``ppl_models/gan/<kind>.py``) and from the driver
(:class:`~inference.training.AdversarialStep`, which alternates the players' updates).
Each round of play draws the fakes of one batch (:meth:`Game.draw`), then

- :meth:`Game.discriminator_loss` is the discriminator player's loss on that round: the
  game's adversarial loss of the real and (detached) fake logits, R1 or WGAN-GP if asked,
  and the terms the game adds for that player (:meth:`Game.discriminator_terms`);
- :meth:`Game.generator_loss` is the generator player's: :math:`\lambda` times the game's
  generator loss of the fake logits, plus the game's terms (:meth:`Game.generator_terms`).
  It reuses the fakes of the round :meth:`Game.discriminator_loss` drew on the same batch
  (one generator pass per round, as Radford et al.'s code does), against the discriminator
  as it is after its own update; without such a round it draws one.

Both return :class:`Terms`: the total to minimise and its named parts (plain floats, for the
progress bar and the history). The adversarial loss is one of
:data:`~inference.objectives.adversarial.LOSSES`, chosen per game instance; every term a game
adds against the discriminator is built on the same choice (never a fixed BCE).

What a game keeps *between* rounds (CycleGAN's replay buffer, a growth schedule's clock) is
in its :meth:`Game.state_dict`, which the step checkpoints, so a resume continues exactly.
The round in flight is not: it lives from one ``discriminator_loss`` to the next
``generator_loss`` inside one :meth:`~inference.training.AdversarialStep.train_step`.

A game reads the networks through their documented calls only (``generate``,
``discriminate``, ...); it never asks a model what it can do (no ``hasattr``). Which game a
kind plays is declared where the kind is registered (``register(..., game="standard")``)
and looked up by :func:`inference.games.game_for`.

References

1. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014 (eq. 1).
2. Karras et al., stylegan2-ada-pytorch ``training/loss.py`` (a loss object owning its
   state, one typed method per phase) and Kang et al., StudioGAN (paired ``d_*``/``g_*``
   losses): the shape this contract follows.
"""

from __future__ import annotations

__all__ = ["BATCH_FORMS", "Game", "Round", "Terms", "check_weight", "images_of"]

from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from inference.objectives.adversarial import (
    LOSSES,
    discriminator_fake_loss,
    gradient_penalty,
    r1_penalty,
)
from ppl_models.gan.networks import Networks

#: What a game's batches hold, declared by each game (:attr:`Game.batch_form`), so that a
#: tool can give every kind the data it trains on:
#:
#: - ``"inputs"``: inputs ``(N, ...)`` (or ``(inputs, labels)``, the labels unused);
#: - ``"labelled"``: ``(inputs, labels)``, int64 labels ``(N,)``;
#: - ``"captioned"``: ``(images, word codes)``, codes ``(N, L)``
#:   (:func:`ppl_models.data.encode_captions`);
#: - ``"unpaired_domains"``: ``(a, b)``, images of two domains, not paired;
#: - ``"attributed"``: ``(images, attributes)``, float 0/1 attributes ``(N, K)``;
#: - ``"images_to_complete"``: images ``(N, C, H, W)`` (or ``(images, labels)``) whose
#:   parts the game cuts; a sample completes the parts of the images it is given.
BATCH_FORMS = ("inputs", "labelled", "captioned", "unpaired_domains", "attributed",
               "images_to_complete")


class Terms(NamedTuple):
    """A player's loss: ``total`` (a scalar tensor to minimise) and its named ``parts``
    (floats, measured before the update)."""

    total: Tensor
    parts: dict[str, float]


class Round(NamedTuple):
    """One round of play on one batch.

    :ivar batch: the batch the round was drawn for.
    :ivar real: what the discriminator is shown as real (a tensor, or a tuple the model's
        ``discriminate`` reads, e.g. ``(images, labels)``).
    :ivar fake: the fakes, differentiable in the generator's parameters, in the same form.
    :ivar latent: what the fakes were drawn from that a game's terms need (InfoGAN's codes,
        StarGAN's targets, Puzzle-GAN's boxes and mask); ``None`` when nothing.
    """

    batch: Any
    real: Any
    fake: Any
    latent: Any = None


def images_of(batch) -> Tensor:
    """The inputs of a batch: the batch itself, or its first item when it is a tuple
    ``(inputs, labels, ...)``."""
    return batch[0] if isinstance(batch, (tuple, list)) else batch


def _detach(inputs):
    if isinstance(inputs, Tensor):
        return inputs.detach()
    return tuple(t.detach() if isinstance(t, Tensor) else t for t in inputs)


def check_weight(value, name: str) -> float:
    """``value`` as a float if it is a finite number >= 0 (a game's term weight), else a
    ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
            or value == float("inf"):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


class Game:
    """An adversarial objective over a model's two players.

    :param nn.Module model: the networks (see :class:`ppl_models.gan.networks.Networks`).
    :param str loss: a key of :data:`~inference.objectives.adversarial.LOSSES`
        (``"non_saturating"`` by default; ``"minimax"`` is eq. 1 as written).
    :param float r1: weight :math:`\\gamma / 2` of the R1 penalty on real data (0: none).
    :param float gp: weight :math:`\\lambda` of the WGAN-GP penalty (0: none).
    :param float adversarial_weight: :math:`\\lambda`, the weight of the adversarial term in
        the generator's loss.
    :raises ValueError: for a model that is not two players' networks, an unknown loss, a
        negative weight, or a Wasserstein critic with neither penalty (it would be
        unconstrained, and its loss unbounded).
    """

    #: The name kinds declare in ``register(..., game=name)``; set by
    #: :func:`inference.games.register_game`.
    name: str = ""
    #: What the game's batches hold: one of :data:`BATCH_FORMS`.
    batch_form: str = "inputs"
    #: Whether R1 and WGAN-GP are defined for the game's inputs (a penalty needs one input
    #: per logit to take the gradient in).
    penalties: bool = True
    #: For a game on plain inputs whose sampler still takes integer conditions (InfoGAN's
    #: categorical code): what they are, for ``sample --condition``; ``None``: none.
    integer_condition: str | None = None

    def __init__(self, model: nn.Module, *, loss: str = "non_saturating", r1: float = 0.0,
                 gp: float = 0.0, adversarial_weight: float = 1.0) -> None:
        if not isinstance(model, nn.Module) or not isinstance(model, Networks):
            raise ValueError(f"model must be an implicit model's networks (an nn.Module with "
                             f"generator, discriminator and sample), got "
                             f"{type(model).__name__}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}")
        self.r1, self.gp = check_weight(r1, "r1"), check_weight(gp, "gp")
        self.adversarial_weight = check_weight(adversarial_weight, "adversarial_weight")
        if (self.r1 > 0 or self.gp > 0) and not self.penalties:
            raise ValueError(f"the {self.name or type(self).__name__} game has no R1 or "
                             f"WGAN-GP penalty (its logits are not one per input image): give "
                             f"r1 = gp = 0 and a loss other than 'wasserstein'")
        if loss == "wasserstein" and self.r1 == 0 and self.gp == 0:
            raise ValueError("loss='wasserstein' needs a Lipschitz constraint on the critic: "
                             "give gp > 0 (WGAN-GP, Gulrajani et al. use 10) or r1 > 0")
        self.model = model
        self.loss = loss
        self.d_loss_fn, self.g_loss_fn = LOSSES[loss]
        self._round: Round | None = None

    # -- the players ----------------------------------------------------------------------

    def generator_parameters(self) -> list[nn.Parameter]:
        """The generator player's parameters (``model.generator``'s)."""
        return list(self.model.generator.parameters())

    def discriminator_parameters(self) -> list[nn.Parameter]:
        """The discriminator player's parameters (``model.discriminator``'s)."""
        return list(self.model.discriminator.parameters())

    # -- what a game defines ----------------------------------------------------------------

    def draw(self, batch) -> Round:
        """The round's real inputs and fakes for ``batch``; see
        :class:`~inference.games.game.Round`."""
        raise NotImplementedError

    def discriminate(self, inputs) -> Tensor:
        """Logits (or critic scores) of real or fake inputs; the model's ``discriminate``."""
        return self.model.discriminate(inputs)

    def penalty_view(self, real, fake):
        """``(critic, real, fake)`` with ``real`` and ``fake`` tensors and ``critic`` their
        logits: what R1 and WGAN-GP take gradients in. Here the inputs themselves."""
        if not isinstance(real, Tensor):
            raise ValueError(f"r1 and gp need the game's real and fake inputs to be tensors, "
                             f"not {type(real).__name__}")
        return self.discriminate, real, fake

    def shown_fake(self, fake):
        """What the discriminator is shown in place of the round's (detached) fakes: the
        fakes themselves, unless the game keeps a history of them."""
        return fake

    def discriminator_terms(self, round: Round) -> list[Terms]:
        """The game's own terms of the discriminator player's loss (none here)."""
        return []

    def generator_terms(self, round: Round) -> list[Terms]:
        """The game's own terms of the generator player's loss (none here)."""
        return []

    # -- the two losses -------------------------------------------------------------------

    def discriminator_loss(self, batch) -> Terms:
        """The discriminator player's loss on a new round drawn for ``batch``."""
        round_ = self._round = self.draw(batch)
        real, fake = round_.real, self.shown_fake(_detach(round_.fake))
        critic = self.discriminate
        if self.r1 > 0 or self.gp > 0:
            critic, real, fake = self.penalty_view(real, fake)
        if self.r1 > 0:
            real = real.detach().requires_grad_(True)
        real_logits, fake_logits = critic(real), critic(fake)
        total = self.d_loss_fn(real_logits, fake_logits)
        parts = {"d_loss": total.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
                 "d_fake": torch.sigmoid(fake_logits).mean().item()}
        if self.r1 > 0:
            penalty = r1_penalty(real_logits, real)
            total = total + self.r1 * penalty
            parts["r1"] = penalty.item()
        if self.gp > 0:
            penalty = gradient_penalty(critic, real.detach(), fake)
            total = total + self.gp * penalty
            parts["gp"] = penalty.item()
        return _add(Terms(total, parts), self.discriminator_terms(round_))

    def generator_loss(self, batch) -> Terms:
        """The generator player's loss on the round drawn for ``batch`` (see the module
        docstring)."""
        pending, self._round = self._round, None
        same = pending is not None and _same_batch(pending.batch, batch)
        round_ = pending if same else self.draw(batch)
        adversarial = self.g_loss_fn(self.discriminate(round_.fake))
        terms = Terms(self.adversarial_weight * adversarial, {"g_loss": adversarial.item()})
        return _add(terms, self.generator_terms(round_))

    def evaluation(self, batch) -> dict[str, float]:
        """Both players' adversarial losses and mean outputs on a fresh round, without the
        penalties or the game's terms (call under ``torch.no_grad()`` in eval mode)."""
        round_ = self.draw(batch)
        real_logits = self.discriminate(round_.real)
        fake_logits = self.discriminate(round_.fake)
        d_loss = self.d_loss_fn(real_logits, fake_logits).item()
        return {"loss": d_loss, "d_loss": d_loss, "g_loss": self.g_loss_fn(fake_logits).item(),
                "d_real": torch.sigmoid(real_logits).mean().item(),
                "d_fake": torch.sigmoid(fake_logits).mean().item()}

    def scores(self, images: Tensor, labels: Tensor) -> dict[str, float]:
        """What the game's own parts measure on labelled real images (none here; InfoGAN's
        game reads its code as a classifier)."""
        return {}

    def fake_loss(self, logits: Tensor) -> Tensor:
        """The discriminator's loss for ``logits`` of inputs it must call fake, under this
        game's loss (:func:`~inference.objectives.adversarial.discriminator_fake_loss`)."""
        return discriminator_fake_loss(logits, self.loss)

    # -- state kept between rounds ----------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """What the game keeps between rounds (tensors and plain data only); none here."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        :raises ValueError: if ``state_dict`` is not a dict.
        """
        if not isinstance(state_dict, dict):
            raise ValueError(f"the game's state must be a dict, got {type(state_dict).__name__}")


def _same_batch(a, b) -> bool:
    """Whether two batches are the same tensors (a container may have been rebuilt on the
    way, e.g. by DDP moving a tuple's tensors to their device, which returns the tensors
    themselves when they are there already)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return a is b
    return (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b)
            and all(x is y for x, y in zip(a, b, strict=True)))


def _add(terms: Terms, more: list[Terms]) -> Terms:
    total, parts = terms
    for extra in more:
        total = total + extra.total
        parts.update(extra.parts)
    return Terms(total, parts)
