r"""The adversarial training step: the driver of any game's alternating updates, for the one
Trainer.

A :class:`~inference.games.Game` says what the two players minimise; this step only plays
it. Each :meth:`AdversarialStep.train_step` takes one discriminator update on the batch
(``game.discriminator_loss``) and, every ``d_steps``-th call, one generator update as well
(``game.generator_loss``, on the same round's fakes), so ``k = d_steps`` discriminator
updates (on ``k`` different data batches, as Goodfellow et al. 2014, Alg. 1 and Arjovsky et
al. 2017, Alg. 1 have it) precede each generator update. The players have separate
optimisers (each an :class:`~inference.training.optimizer_update.OptimizerUpdate`, over the
game's ``generator_parameters()`` and ``discriminator_parameters()``), an optional EMA of the
generator, gradient clipping and a learning-rate schedule; the step asks the model nothing
(its game was declared where its kind was registered: :func:`inference.games.game_for`).

``lr_lambda(updates)`` multiplies both players' initial learning rates before each
discriminator update (``updates`` counted so far), e.g. CycleGAN's linear decay to zero
(:func:`inference.training.schedules.linear_decay`); it is a function of the checkpointed
counter, so a resumed run continues the same schedule. The game's own state (a replay
buffer) is checkpointed with the players'.

**Several processes** (:meth:`AdversarialStep.distribute`, called by the Trainer under
``torch.distributed``): each player's loss is its own DDP wrapper, each rank takes a share of
the global batch and draws its own noise (its RNG has its own seed), and every loss is
weighted by :meth:`~inference.training.distributed.Shard.mean_weight`, so the averaged
gradients are the one-process gradients of the global batch with the union of the ranks'
noise draws (for models without BatchNorm: see :meth:`AdversarialStep.distribute`).

References

1. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, Algorithm 1.
2. Arjovsky, Chintala & Bottou, "Wasserstein GAN", ICML 2017, Algorithm 1 (``d_steps = 5``).
3. Yazıcı, Foo, Winkler, Yap, Piliouras & Chandrasekhar, "The Unusual Effectiveness of
   Averaging in GAN Training", ICLR 2019 (the generator's EMA).
"""

from __future__ import annotations

__all__ = ["AdversarialStep"]

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor, nn

from inference.games import Game, game_for
from inference.training.distributed import Shard, broadcast_buffers, data_parallel
from inference.training.divergence import TrainingDiverged, first_non_finite
from inference.training.optimizer_update import OptimizerUpdate
from inference.training.step import Batch


class _Players(nn.Module):
    """Holds a player's parameters for DDP; the parameters stay where they live."""

    def __init__(self, parameters: list[nn.Parameter]) -> None:
        super().__init__()
        self.held = nn.ParameterList(parameters)


def _backward(loss: Tensor, weight: float) -> None:
    # weight 1 (one process) multiplies nothing, so a one-process run is bit for bit the
    # same as before the step could be distributed.
    (loss if weight == 1 else loss * weight).backward()


def _game(model_or_game, options: dict[str, Any]) -> Game:
    if isinstance(model_or_game, Game):
        if options:
            raise ValueError(f"the game's options {sorted(options)} belong to its "
                             "constructor; a ready Game takes none here")
        return model_or_game
    return game_for(model_or_game, **options)


class AdversarialStep:
    """Alternating discriminator / generator updates of a game.

    :param game: a :class:`~inference.games.Game`, or a registered implicit model, whose
        declared game is then built with ``game_options``.
    :param int d_steps: discriminator updates per generator update (``k``).
    :param float lr: learning rate of both default optimisers (Adam); ``lr_d`` overrides the
        discriminator's.
    :param lr_d: the discriminator's learning rate (default ``lr``).
    :param tuple betas: Adam's betas; ``(0.5, 0.999)`` as Radford et al. (2016) recommend.
    :param generator_optimizer: a ready optimiser over the game's generator parameters;
        default Adam.
    :param discriminator_optimizer: a ready optimiser over the discriminator's; default Adam.
    :param ema_decay: keep an exponential moving average of the generator's parameters;
        :meth:`eval_step` and :meth:`averaged` use it, ``step.generator_update.load_average()``
        keeps it.
    :type ema_decay: float or None
    :param grad_clip: clip both players' gradient norms to this value.
    :param lr_lambda: ``f(updates) -> factor`` of both initial learning rates (default
        constant); see the module docstring.
    :param game_options: with a model, the options of its game (``loss``, ``r1``, ``gp``,
        ``adversarial_weight`` and the game's own weights).
    """

    def __init__(
        self,
        game: Game | nn.Module,
        *,
        d_steps: int = 1,
        lr: float = 2e-4,
        lr_d: float | None = None,
        betas: tuple[float, float] = (0.5, 0.999),
        generator_optimizer: torch.optim.Optimizer | None = None,
        discriminator_optimizer: torch.optim.Optimizer | None = None,
        ema_decay: float | None = None,
        grad_clip: float | None = None,
        lr_lambda: Callable[[int], float] | None = None,
        **game_options: Any,
    ) -> None:
        self.game = _game(game, game_options)
        if isinstance(d_steps, bool) or not isinstance(d_steps, int) or d_steps < 1:
            raise ValueError(f"d_steps must be a positive int, got {d_steps!r}")
        if lr_lambda is not None and not callable(lr_lambda):
            raise ValueError("lr_lambda must be callable or None")
        lr_d = lr if lr_d is None else lr_d
        if not lr > 0 or not lr_d > 0:
            raise ValueError(f"lr and lr_d must be positive, got {lr} and {lr_d}")
        self.model = self.game.model
        self.d_steps = d_steps
        g_params = self.game.generator_parameters()
        d_params = self.game.discriminator_parameters()
        if not g_params or not d_params:
            raise ValueError("the game's generator and discriminator must both hold "
                             "parameters")
        self.generator_update = OptimizerUpdate(
            g_params, generator_optimizer or torch.optim.Adam(g_params, lr=lr, betas=betas),
            grad_clip=grad_clip, ema_decay=ema_decay)
        self.discriminator_update = OptimizerUpdate(
            d_params, discriminator_optimizer or torch.optim.Adam(d_params, lr=lr_d,
                                                                  betas=betas),
            grad_clip=grad_clip)
        self.lr_lambda = lr_lambda
        # Each group's initial rate: the schedule scales these, never the decayed ones.
        self._base_lrs = [[g["lr"] for g in u.optimizer.param_groups]
                          for u in (self.generator_update, self.discriminator_update)]
        # Discriminator updates so far: decides when the generator moves; checkpointed.
        self.updates = 0
        self._d_ddp = self._g_ddp = None

    def distribute(self) -> None:
        """Synchronise both players' gradients over the initialised process group.

        Two DDP wrappers (:func:`~inference.training.distributed.data_parallel`), one per
        player, because the players' backwards are separate: the discriminator's loss sees
        the fake batch detached, the generator's passes through the discriminator, whose
        gradients it leaves are discarded. One wrapper over both would see half its
        parameters unused in every backward (DDP would need ``find_unused_parameters``
        and would all-reduce the discarded gradients). The discriminator's wrapper runs the
        game's ``discriminator_loss`` (the round's noise, generator pass and both
        discriminator calls); the generator's runs ``generator_loss`` on that round's fakes,
        and only on the rounds where the generator moves (the ``d_steps : 1`` schedule is
        the same on every rank).

        **BatchNorm** (pytorch issues 22095 / 65907). DDP's default sends rank 0's buffers
        at the start of every forward, in place. Here the generator's BatchNorm statistics
        are saved for a backward that comes after the *other* wrapper's forward, the pattern
        that raised "modified by an inplace operation" (torch 2.13 hides the version bump,
        the write still happens); and a broadcast at the start of a forward leaves each rank
        with its own statistics after it, so rank 1 would validate and sample with buffers
        that rank 0 never saves. So the wrappers send no buffers, and rank 0's buffers are
        broadcast once after each whole update, where no graph holds them: every rank holds
        the model rank 0 checkpoints, and a resume is exact. SyncBatchNorm would give the
        one-process batch statistics, but torch has it on GPUs only (it refuses CPU inputs);
        on CPU each rank normalises by its own share's statistics, so a BatchNorm model
        (DCGAN) trains like DDP without SyncBatchNorm, not like one process. On CUDA, pass a
        model converted with ``nn.SyncBatchNorm.convert_sync_batchnorm``.

        :raises ValueError: for lazily initialised parameters (run one forward first).
        """
        if self._d_ddp is not None:
            return
        self._d_ddp = data_parallel(_Players(self.discriminator_update.parameters),
                                    self.game.discriminator_loss, sync_buffers_in_forward=False)
        self._g_ddp = data_parallel(_Players(self.generator_update.parameters),
                                    self.game.generator_loss, sync_buffers_in_forward=False)
        broadcast_buffers(self.model)  # the generator's buffers, which no wrapper holds

    def _schedule(self) -> None:
        if self.lr_lambda is None:
            return
        factor = float(self.lr_lambda(self.updates))
        if not factor >= 0:
            raise ValueError(f"lr_lambda must return a factor >= 0, got {factor!r}")
        for update, bases in zip((self.generator_update, self.discriminator_update),
                                 self._base_lrs, strict=True):
            for group, base in zip(update.optimizer.param_groups, bases, strict=True):
                group["lr"] = base * factor

    # -- Step protocol ------------------------------------------------------------------

    def train_step(self, batch: Batch, shard: Shard | None = None) -> dict[str, float]:
        """One discriminator update and, every ``d_steps``-th call, one generator update.

        :param batch: a minibatch (this rank's share of it, under ``torch.distributed``).
        :param shard: under ``torch.distributed``, which share of the global batch ``batch``
            is; both players' losses are means, weighted by
            :meth:`~inference.training.distributed.Shard.mean_weight`.
        :return: ``loss`` (the discriminator's adversarial loss, every call) and the parts
            of the game's :class:`~inference.games.Terms`: ``d_loss``, ``d_real`` and
            ``d_fake`` (mean :math:`D` on real and fake, before the update), the penalties
            and the game's discriminator terms; when the generator moved, ``g_loss`` (its
            adversarial term before its update) and the game's generator terms.
        """
        if shard is not None and self._d_ddp is None:
            raise ValueError("train_step got a shard but the step is not distributed; call "
                             "distribute() first")
        weight = 1.0 if shard is None else shard.mean_weight()
        if not self.model.training:
            self.model.train()
        self._schedule()
        d_loss = self.game.discriminator_loss if self._d_ddp is None else self._d_ddp
        total, out = self._losses(d_loss, batch)
        out = dict(out)
        self.discriminator_update.zero_grad()
        _backward(total, weight)
        self.discriminator_update.step()
        self.updates += 1
        if self.updates % self.d_steps == 0:
            g_loss = self.game.generator_loss if self._g_ddp is None else self._g_ddp
            total, g_out = self._losses(g_loss, batch)
            self.generator_update.zero_grad()
            # The discriminator's gradients from this backward are discarded at its next
            # zero_grad; only the generator's optimiser steps here.
            _backward(total, weight)
            self.generator_update.step()
            out.update(g_out)
        if self._d_ddp is not None:
            broadcast_buffers(self.model)  # see distribute(): BatchNorm statistics
        out["loss"] = out["d_loss"]
        return out

    def _losses(self, loss: Callable, batch: Batch):
        """``loss(batch)``; a ValueError raised while the players' state already holds a NaN
        or infinity is divergence, reported as the Trainer reports any.

        An earlier update can leave a non-finite BatchNorm statistic with finite gradients
        (InfoGAN at lr 1e9); the next forward pass then meets a distribution's argument
        check ("Expected parameter loc ... nan") before any loss is seen to be non-finite.
        """
        try:
            return loss(batch)
        except ValueError as e:
            bad = first_non_finite(self.model.state_dict())
            if bad is None or isinstance(e, TrainingDiverged):
                raise
            raise TrainingDiverged(f"non-finite values in {bad}") from e

    def eval_step(self, batch: Batch) -> dict[str, float]:
        """Both players' adversarial losses on ``batch`` in eval mode, the generator's EMA in
        place (:meth:`~inference.games.Game.evaluation`)."""
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad(), self.averaged():
                return self.game.evaluation(batch)
        finally:
            self.model.train(was_training)

    @contextlib.contextmanager
    def averaged(self) -> Iterator[None]:
        """Within the block the generator holds its EMA weights (no-op without EMA)."""
        with self.generator_update.averaged():
            yield

    def state_dict(self) -> dict[str, Any]:
        """Model (both players), both optimisers (and the EMA), the update counter and the
        game's own state."""
        return {"model": self.model.state_dict(),
                "generator": self.generator_update.state_dict(),
                "discriminator": self.discriminator_update.state_dict(),
                "updates": self.updates,
                "game": self.game.state_dict()}

    def local_state_dict(self) -> dict[str, Any]:
        """The game's state on this rank (under ``torch.distributed`` each rank's game sees
        its own share's fakes); the Trainer saves every rank's."""
        return {"game": self.game.state_dict()}

    def load_local_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore this rank's :meth:`local_state_dict`."""
        if not isinstance(state_dict, dict) or "game" not in state_dict:
            raise ValueError("a local step state must be a dict with key 'game'")
        self.game.load_state_dict(state_dict["game"])

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        :raises ValueError: if a key is missing.
        """
        keys = {"model", "generator", "discriminator", "updates", "game"}
        if not isinstance(state_dict, dict) or not keys <= state_dict.keys():
            raise ValueError(f"state_dict must be a dict with keys {sorted(keys)}")
        self.model.load_state_dict(state_dict["model"])
        self.generator_update.load_state_dict(state_dict["generator"])
        self.discriminator_update.load_state_dict(state_dict["discriminator"])
        self.updates = int(state_dict["updates"])
        self.game.load_state_dict(state_dict["game"])
