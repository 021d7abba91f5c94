"""The update every gradient-based step shares: clip, step, schedule, and its checkpoint state.

Steps differ in their loss (maximum likelihood, an ELBO, an adversarial game); what follows
``loss.backward()`` does not, and neither does what must be saved for an exact resume.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from torch import nn

from inference.training.divergence import check_finite_gradients

__all__ = ["OptimizerUpdate"]


class OptimizerUpdate:
    """Optimiser, optional per-update scheduler and gradient clipping for some parameters.

    :param parameters: the parameters to update (materialised into a list).
    :param optimizer: a ``torch.optim.Optimizer`` over them; default ``Adam(lr=lr)``.
    :param float lr: learning rate of the default optimiser (ignored if ``optimizer`` given).
    :param grad_clip: if set, clip the global gradient norm to this value before each update.
    :type grad_clip: float or None
    :param scheduler: learning-rate scheduler stepped after every update (so a schedule is
        written in updates, not epochs).
    :type scheduler: torch.optim.lr_scheduler.LRScheduler or None
    :param ema_decay: if set, also keep an exponential moving average of the parameters,
        ``avg <- d * avg + (1 - d) * theta`` after every update
        (Polyak & Juditsky 1992); :meth:`averaged` evaluates with it.
    :type ema_decay: float or None
    :param bool check_gradients: refuse a non-finite gradient on every update (one reduction
        over all gradients, ~2% of a small VAE's update on one CPU thread). A step whose
        loss already stops training when it is non-finite may pass False: a non-finite
        gradient then shows as a non-finite loss one update later. With ``grad_clip`` the
        norm is computed anyway and always checked.
    """

    def __init__(self, parameters: Iterable[nn.Parameter], optimizer=None, *, lr: float = 1e-3,
                 grad_clip: float | None = None, scheduler=None,
                 ema_decay: float | None = None, check_gradients: bool = True) -> None:
        if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
            raise ValueError(
                f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}"
            )
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"lr must be positive and finite, got {lr}")
        if grad_clip is not None and not (grad_clip > 0 and math.isfinite(grad_clip)):
            raise ValueError(f"grad_clip must be positive and finite or None, got {grad_clip}")
        if ema_decay is not None and not 0 < ema_decay < 1:
            raise ValueError(f"ema_decay must be in (0, 1) or None, got {ema_decay}")
        self.parameters = list(parameters)
        self.ema_decay = ema_decay
        self.average = ([p.detach().clone() for p in self.parameters]
                        if ema_decay is not None else None)
        self.optimizer = optimizer or torch.optim.Adam(self.parameters, lr=lr)
        self.grad_clip = grad_clip
        self.scheduler = scheduler
        self.check_gradients = check_gradients

    def zero_grad(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)

    def step(self) -> None:
        """Apply the gradients left by ``backward()``: clip, step, advance the schedule.

        :raises ~inference.training.divergence.TrainingDiverged: if a gradient is NaN or
            infinite (checked unless ``check_gradients=False`` without ``grad_clip``); the
            parameters are then left as they were.
        """
        norm = None
        if self.grad_clip is not None:
            norm = nn.utils.clip_grad_norm_(self.parameters, self.grad_clip)
        if self.check_gradients or norm is not None:
            check_finite_gradients(self.parameters, norm)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        if self.average is not None:
            with torch.no_grad():
                current = [p.detach() for p in self.parameters]
                torch._foreach_lerp_(self.average, current, 1 - self.ema_decay)

    @contextlib.contextmanager
    def averaged(self) -> Iterator[None]:
        """Within the block the parameters hold their average (no-op without ``ema_decay``)."""
        if self.average is None:
            yield
            return
        with torch.no_grad():
            raw = [p.detach().clone() for p in self.parameters]
            self.load_average()
        try:
            yield
        finally:
            with torch.no_grad():
                for p, r in zip(self.parameters, raw, strict=True):
                    p.copy_(r)

    @torch.no_grad()
    def load_average(self) -> None:
        """Overwrite the parameters with their average, e.g. once training is over."""
        if self.average is None:
            raise ValueError("load_average needs ema_decay to be set")
        for p, a in zip(self.parameters, self.average, strict=True):
            p.copy_(a)

    def state_dict(self) -> dict[str, Any]:
        """``{"optimizer", "scheduler", "average"}``, the last two only when in use."""
        state = {"optimizer": self.optimizer.state_dict()}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        if self.average is not None:
            state["average"] = [a.clone() for a in self.average]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (extra keys are ignored)."""
        # Optimizer.load_state_dict keeps the given tensors when dtype and device already
        # match, so without a copy two steps (or a step and a kept "best" state) would share
        # Adam moments and update each other in place.
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.average is not None:
            for a, saved in zip(self.average, state["average"], strict=True):
                a.copy_(saved)
