r"""The adversarial training step: the GAN game's alternating updates, for the one Trainer.

Each :meth:`AdversarialStep.train_step` takes one discriminator update on the batch and,
every ``d_steps``-th call, one generator update as well, so ``k = d_steps`` discriminator
updates (on ``k`` different data batches, as Goodfellow et al. 2014, Alg. 1 and Arjovsky et
al. 2017, Alg. 1 have it) precede each generator update. The players have separate optimisers
(each an :class:`~inference.training.optimizer_update.OptimizerUpdate`); the losses are the
plain functions of :mod:`inference.objectives.adversarial`.

The generator's update minimises

.. math:: \mathcal{L}_G = \mathcal{L}_\text{extra}(x, \tilde x)
          + \lambda \cdot \ell_G(D(\tilde x)),

where ``extra_generator_loss`` is an optional second objective sharing the update, e.g. the
reconstruction term of an ELBO for the adversarial autoencoder (Makhzani et al. 2016, Sec. 2:
the reconstruction and regularisation phases), and :math:`\lambda` is
``adversarial_weight``.

The model supplies the game's inputs (see :mod:`ppl_models.gan`): ``model.generator`` and
``model.discriminator`` hold the players' parameters, ``model.adversarial_inputs(batch)``
returns ``(real, fake)`` with ``fake`` differentiable in the generator, and
``model.discriminate(x)`` returns logits ``(M,)``. ``real`` and ``fake`` may be tensors or
tuples (a translation model's two domains; images with their labels ``(x, *condition)``
for a conditional discriminator), which only the model's ``discriminate`` reads; the step
detaches only their tensors for the discriminator's update. Optional model methods and
returns extend the game without the step knowing the model:

- ``discriminator_fake(fake)``: what the discriminator is shown instead of the generator's
  current (detached) fakes, e.g. CycleGAN's replay buffer of past fakes (Shrivastava et al.
  2017; Zhu et al. 2017, Sec. 4);
- ``extra_discriminator_loss(batch, real)``: a scalar added to the discriminator's loss,
  e.g. StarGAN's domain classification of real images (Choi et al. 2018, eq. 2);
- ``extra_generator_loss(batch, fake)``: see ``extra_generator_loss`` below;
- ``adversarial_inputs`` may return a third item, ``latent``: what the generator drew the
  fake batch from (e.g. InfoGAN's codes). The extra loss is then called as
  ``extra_generator_loss(batch, fake, latent)``, so a loss of the codes needs no second
  generator pass;
- a model with ``information_inputs(fake, latent)`` (InfoGAN) has the mutual-information
  term of Chen et al. (2016, eq. 6) added to the generator's loss:
  :math:`-\lambda\,(L_I - H(c))` with :math:`L_I` from
  :func:`~inference.objectives.mutual_information.mutual_information` applied to what the
  method returns, :math:`\lambda` the model's ``info_weight``; and the same term at the
  detached fakes is added to the discriminator player's loss, so that :math:`Q` (its head
  and the body it shares with :math:`D`, both in that player) is fitted too. The term is
  minimised over G and Q, as eq. 6 has it, by the optimiser of whichever player holds
  each; a real/fake head that Q's path does not pass through gets no gradient from it.

``lr_lambda(updates)`` multiplies both players' initial learning rates before each
discriminator update (``updates`` counted so far), e.g. CycleGAN's linear decay to zero
(:func:`inference.training.schedules.linear_decay`); it is a function of the checkpointed
counter, so a resumed run continues the same schedule.

**Several processes** (:meth:`AdversarialStep.distribute`, called by the Trainer under
``torch.distributed``): each player's loss is its own DDP wrapper, each rank takes a share of
the global batch and draws its own noise (its RNG has its own seed), and every loss is
weighted by :meth:`~inference.training.distributed.Shard.mean_weight`, so the averaged
gradients are the one-process gradients of the global batch with the union of the ranks'
noise draws (for models without BatchNorm: see :meth:`AdversarialStep.distribute`).

References

1. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, Algorithm 1.
2. Arjovsky, Chintala & Bottou, "Wasserstein GAN", ICML 2017, Algorithm 1 (``d_steps = 5``).
3. Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial Autoencoders", ICLR 2016.
4. Yazıcı, Foo, Winkler, Yap, Piliouras & Chandrasekhar, "The Unusual Effectiveness of
   Averaging in GAN Training", ICLR 2019 (the generator's EMA).
5. Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN", NeurIPS 2016 (eq. 6).
"""

from __future__ import annotations

__all__ = ["AdversarialStep"]

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor, nn

from inference.objectives.adversarial import LOSSES, gradient_penalty, r1_penalty
from inference.objectives.mutual_information import InformationBound, mutual_information
from inference.training.distributed import Shard, broadcast_buffers, data_parallel
from inference.training.optimizer_update import OptimizerUpdate
from inference.training.step import Batch


class _Players(nn.Module):
    """Holds a player's parameters for DDP (the generator's may include ``extra_parameters``
    that ``model.generator`` does not own); the parameters stay where they live."""

    def __init__(self, parameters: list[nn.Parameter]) -> None:
        super().__init__()
        self.held = nn.ParameterList(parameters)


def _backward(loss: Tensor, weight: float) -> None:
    # weight 1 (one process) multiplies nothing, so a one-process run is bit for bit the
    # same as before the step could be distributed.
    (loss if weight == 1 else loss * weight).backward()


def _detach(inputs: Tensor | tuple) -> Tensor | tuple:
    """``inputs`` cut from the generator's graph: a tensor, or each tensor of a tuple
    (a translation model's domains, or ``(x, *condition)``: integer labels carry no graph)."""
    if isinstance(inputs, Tensor):
        return inputs.detach()
    return tuple(t.detach() if isinstance(t, Tensor) else t for t in inputs)


def _check_model(model: Any) -> None:
    missing = [a for a in ("generator", "discriminator", "adversarial_inputs", "discriminate")
               if not hasattr(model, a)]
    if not isinstance(model, nn.Module) or missing:
        raise ValueError("model must be an nn.Module with generator, discriminator, "
                         f"adversarial_inputs and discriminate (missing: {missing})")


class AdversarialStep:
    """Alternating discriminator / generator updates of an implicit model.

    :param nn.Module model: see the module docstring.
    :param str loss: a key of :data:`~inference.objectives.adversarial.LOSSES`
        (``"non_saturating"`` by default; ``"minimax"`` is eq. 1 as written).
    :param int d_steps: discriminator updates per generator update (``k``).
    :param float lr: learning rate of both default optimisers (Adam); ``lr_d`` overrides the
        discriminator's.
    :param lr_d: the discriminator's learning rate (default ``lr``).
    :param tuple betas: Adam's betas; ``(0.5, 0.999)`` as Radford et al. (2016) recommend.
    :param generator_optimizer: a ready optimiser over the generator's parameters (and those of
        ``extra_parameters``); default Adam.
    :param discriminator_optimizer: a ready optimiser over the discriminator's; default Adam.
    :param ema_decay: keep an exponential moving average of the generator's parameters;
        :meth:`eval_step` and :meth:`averaged` use it, ``step.generator_update.load_average()``
        keeps it.
    :type ema_decay: float or None
    :param float r1: weight :math:`\\gamma / 2` of the R1 penalty on real data (0: none).
    :param float gp: weight :math:`\\lambda` of the WGAN-GP penalty (0: none).
    :param extra_generator_loss: ``f(batch, fake) -> scalar`` (``f(batch, fake, latent)`` for
        a model whose ``adversarial_inputs`` returns ``latent``) added to the generator's loss
        in the same update (e.g. a reconstruction or negative-ELBO term); default the
        model's own ``extra_generator_loss`` method if it has one (the AAE's reconstruction
        term), else none.
    :param float adversarial_weight: :math:`\\lambda`, the weight of the adversarial term in
        the generator's loss.
    :param extra_parameters: parameters updated with the generator's that
        ``model.generator`` does not hold (e.g. a decoder trained by ``extra_generator_loss``).
    :param grad_clip: clip both players' gradient norms to this value.
    :param lr_lambda: ``f(updates) -> factor`` of both initial learning rates (default
        constant); see the module docstring.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        loss: str = "non_saturating",
        d_steps: int = 1,
        lr: float = 2e-4,
        lr_d: float | None = None,
        betas: tuple[float, float] = (0.5, 0.999),
        generator_optimizer: torch.optim.Optimizer | None = None,
        discriminator_optimizer: torch.optim.Optimizer | None = None,
        ema_decay: float | None = None,
        r1: float = 0.0,
        gp: float = 0.0,
        extra_generator_loss: Callable[[Batch, Tensor], Tensor] | None = None,
        adversarial_weight: float = 1.0,
        extra_parameters: list[nn.Parameter] | None = None,
        grad_clip: float | None = None,
        lr_lambda: Callable[[int], float] | None = None,
    ) -> None:
        _check_model(model)
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}")
        if isinstance(d_steps, bool) or not isinstance(d_steps, int) or d_steps < 1:
            raise ValueError(f"d_steps must be a positive int, got {d_steps!r}")
        for value, name in ((r1, "r1"), (gp, "gp"), (adversarial_weight, "adversarial_weight")):
            if not value >= 0:
                raise ValueError(f"{name} must be >= 0, got {value!r}")
        if extra_generator_loss is not None and not callable(extra_generator_loss):
            raise ValueError("extra_generator_loss must be callable or None")
        if lr_lambda is not None and not callable(lr_lambda):
            raise ValueError("lr_lambda must be callable or None")
        lr_d = lr if lr_d is None else lr_d
        if not lr > 0 or not lr_d > 0:
            raise ValueError(f"lr and lr_d must be positive, got {lr} and {lr_d}")
        self.model = model
        self.loss = loss
        self.d_loss_fn, self.g_loss_fn = LOSSES[loss]
        self.d_steps = d_steps
        self.r1, self.gp = float(r1), float(gp)
        self.extra_generator_loss = (extra_generator_loss if extra_generator_loss is not None
                                     else getattr(model, "extra_generator_loss", None))
        self.adversarial_weight = float(adversarial_weight)
        g_params = list(model.generator.parameters()) + list(extra_parameters or [])
        d_params = list(model.discriminator.parameters())
        if not g_params or not d_params:
            raise ValueError("model.generator and model.discriminator must both hold "
                             "parameters")
        self.generator_update = OptimizerUpdate(
            g_params, generator_optimizer or torch.optim.Adam(g_params, lr=lr, betas=betas),
            grad_clip=grad_clip, ema_decay=ema_decay)
        self.discriminator_update = OptimizerUpdate(
            d_params, discriminator_optimizer or torch.optim.Adam(d_params, lr=lr_d,
                                                                  betas=betas),
            grad_clip=grad_clip)
        self.lr_lambda = lr_lambda
        self.extra_discriminator_loss = getattr(model, "extra_discriminator_loss", None)
        self.discriminator_fake = getattr(model, "discriminator_fake", None)
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
        whole round's forward (noise, generator pass, both discriminator calls); the
        generator's runs its loss on that round's fake batch, and only on the rounds where
        the generator moves (the ``d_steps : 1`` schedule is the same on every rank).

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

        Only module parameters are trained (the optimisers are built over
        ``model.generator``, ``model.discriminator`` and ``extra_parameters``), so a
        ``pyro.param`` site in ``extra_generator_loss`` would not be trained in one process
        either; there is nothing of Pyro's store to synchronise.

        :raises ValueError: for lazily initialised parameters (run one forward first).
        """
        if self._d_ddp is not None:
            return
        self._d_ddp = data_parallel(self.model.discriminator, self._discriminator_round,
                                    sync_buffers_in_forward=False)
        self._g_ddp = data_parallel(_Players(self.generator_update.parameters),
                                    self._generator_loss, sync_buffers_in_forward=False)
        broadcast_buffers(self.model)  # the generator's buffers, which no wrapper holds

    # -- the two players' losses --------------------------------------------------------

    def _discriminator_loss(self, batch: Batch, real, fake) -> tuple[Tensor, dict]:
        if (self.r1 > 0 or self.gp > 0) and not isinstance(real, Tensor):
            raise ValueError("r1 and gp need real and fake to be tensors, not tuples")
        if self.r1 > 0:
            real = real.detach().requires_grad_(True)
        fake = _detach(fake)
        if self.discriminator_fake is not None:
            fake = self.discriminator_fake(fake)
        real_logits = self.model.discriminate(real)
        fake_logits = self.model.discriminate(fake)
        loss = self.d_loss_fn(real_logits, fake_logits)
        out = {"d_loss": loss.item(), "d_real": torch.sigmoid(real_logits).mean().item(),
               "d_fake": torch.sigmoid(fake_logits).mean().item()}
        if self.r1 > 0:
            penalty = r1_penalty(real_logits, real)
            loss = loss + self.r1 * penalty
            out["r1"] = penalty.item()
        if self.gp > 0:
            penalty = gradient_penalty(self.model.discriminate, real.detach(), fake.detach())
            loss = loss + self.gp * penalty
            out["gp"] = penalty.item()
        if self.extra_discriminator_loss is not None:
            extra = self.extra_discriminator_loss(batch, real)
            loss = loss + extra
            out["d_extra_loss"] = extra.item()
        return loss, out

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

    def _generator_loss(self, batch: Batch, fake: Tensor, latent: tuple) -> tuple[Tensor, dict]:
        adversarial = self.g_loss_fn(self.model.discriminate(fake))
        loss = self.adversarial_weight * adversarial
        out = {"g_loss": adversarial.item()}
        if self.extra_generator_loss is not None:
            # ``latent`` is () or (what the fakes were drawn from,): see the module docstring.
            extra = self.extra_generator_loss(batch, fake, *latent)
            loss = loss + extra
            out["extra_loss"] = extra.item()
        if hasattr(self.model, "information_inputs"):
            info, bound = self.information_loss(fake, *self._latent(latent))
            loss = loss + info
            out["information"] = bound.bound.item()
        return loss, out

    @staticmethod
    def _latent(latent: tuple) -> tuple:
        if not latent:
            raise ValueError("a model with information_inputs must return (real, fake, "
                             "latent) from adversarial_inputs")
        return latent

    def information_loss(self, fake, latent) -> tuple[Tensor, InformationBound]:
        r""":math:`-\lambda (L_I - H(c))` at ``fake`` drawn from ``latent``, and the bound
        :math:`L_I` (nats); for a model with ``information_inputs`` (see the module
        docstring)."""
        bound = mutual_information(**self.model.information_inputs(fake, latent))
        weight = float(getattr(self.model, "info_weight", 1.0))
        return -weight * (bound.bound - bound.entropy), bound

    def _inputs(self, batch: Batch) -> tuple[Any, Any, tuple]:
        """``(real, fake, latent)`` with ``latent`` ``()`` when the model gives none."""
        inputs = self.model.adversarial_inputs(batch)
        if not isinstance(inputs, tuple) or len(inputs) not in (2, 3):
            raise ValueError("model.adversarial_inputs must return (real, fake) or (real, "
                             "fake, latent)")
        return inputs[0], inputs[1], tuple(inputs[2:])

    # -- Step protocol ------------------------------------------------------------------

    def _discriminator_round(self, batch: Batch) -> tuple[Tensor, Tensor, dict]:
        """The round's forward: ``(discriminator loss, fake batch, latent, numbers)``."""
        real, fake, latent = self._inputs(batch)
        loss, out = self._discriminator_loss(batch, real, fake)
        if hasattr(self.model, "information_inputs"):
            # Q's share of eq. 6: the codes did make these (detached) fakes.
            info, bound = self.information_loss(_detach(fake), *self._latent(latent))
            loss = loss + info
            out["q_information"] = bound.bound.item()
        return loss, fake, latent, out

    def train_step(self, batch: Batch, shard: Shard | None = None) -> dict[str, float]:
        """One discriminator update and, every ``d_steps``-th call, one generator update.

        :param batch: a minibatch (this rank's share of it, under ``torch.distributed``).
        :param shard: under ``torch.distributed``, which share of the global batch ``batch``
            is; both players' losses are means, weighted by
            :meth:`~inference.training.distributed.Shard.mean_weight`.
        :return: ``loss`` (the discriminator's, every call), ``d_loss``, ``d_real`` and
            ``d_fake`` (mean :math:`D` on real and fake, before the update) and, when the
            generator moved, ``g_loss`` (its adversarial term before its update), with
            ``extra_loss``, ``information`` (the bound :math:`L_I` in nats at the
            generator's update) and ``q_information`` (at the discriminator's) where the
            model has them.
        """
        if shard is not None and self._d_ddp is None:
            raise ValueError("train_step got a shard but the step is not distributed; call "
                             "distribute() first")
        weight = 1.0 if shard is None else shard.mean_weight()
        if not self.model.training:
            self.model.train()
        self._schedule()
        d_round = self._discriminator_round if self._d_ddp is None else self._d_ddp
        d_loss, fake, latent, out = d_round(batch)
        self.discriminator_update.zero_grad()
        _backward(d_loss, weight)
        self.discriminator_update.step()
        self.updates += 1
        if self.updates % self.d_steps == 0:
            # The fake batch is reused against the updated discriminator (as in Radford et
            # al.'s code): one generator pass per round.
            g_round = self._generator_loss if self._g_ddp is None else self._g_ddp
            g_loss, g_out = g_round(batch, fake, latent)
            self.generator_update.zero_grad()
            # The discriminator's gradients from this backward are discarded at its next
            # zero_grad; only the generator's optimiser steps here.
            _backward(g_loss, weight)
            self.generator_update.step()
            out.update(g_out)
        if self._d_ddp is not None:
            broadcast_buffers(self.model)  # see distribute(): BatchNorm statistics
        out["loss"] = out["d_loss"]
        return out

    def eval_step(self, batch: Batch) -> dict[str, float]:
        """Both players' losses on ``batch`` in eval mode, the generator's EMA in place."""
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad(), self.averaged():
                real, fake, _ = self._inputs(batch)
                real_logits = self.model.discriminate(real)
                fake_logits = self.model.discriminate(fake)
                d_loss = self.d_loss_fn(real_logits, fake_logits).item()
                return {"loss": d_loss, "d_loss": d_loss,
                        "g_loss": self.g_loss_fn(fake_logits).item(),
                        "d_real": torch.sigmoid(real_logits).mean().item(),
                        "d_fake": torch.sigmoid(fake_logits).mean().item()}
        finally:
            self.model.train(was_training)

    @contextlib.contextmanager
    def averaged(self) -> Iterator[None]:
        """Within the block the generator holds its EMA weights (no-op without EMA)."""
        with self.generator_update.averaged():
            yield

    def state_dict(self) -> dict[str, Any]:
        """Model (both players), both optimisers (and the EMA) and the update counter."""
        return {"model": self.model.state_dict(),
                "generator": self.generator_update.state_dict(),
                "discriminator": self.discriminator_update.state_dict(),
                "updates": self.updates}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        :raises ValueError: if a key is missing.
        """
        keys = {"model", "generator", "discriminator", "updates"}
        if not isinstance(state_dict, dict) or not keys <= state_dict.keys():
            raise ValueError(f"state_dict must be a dict with keys {sorted(keys)}")
        self.model.load_state_dict(state_dict["model"])
        self.generator_update.load_state_dict(state_dict["generator"])
        self.discriminator_update.load_state_dict(state_dict["discriminator"])
        self.updates = int(state_dict["updates"])
