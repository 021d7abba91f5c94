"""The one training loop: minibatches, validation, early stopping, checkpoints, exact resume.

The loop knows nothing about models or losses; it feeds batches to a
:class:`~inference.training.step.Step` and records the mean per-example numbers it returns.
One *monitored* validation metric (the loss by default, or any number the step's
``eval_step`` or an ``evaluate`` callback reports, e.g. a sample metric) selects the best
epoch and drives early stopping. Every source of randomness it touches is checkpointed (the
shuffle generator and the global torch / Python / numpy RNGs, after the callback has run), so
training ``k`` epochs, stopping, building everything anew and resuming gives bit-for-bit the
run that was never interrupted.

Under ``torch.distributed`` (``torchrun``; see :mod:`inference.training.distributed`) the same
loop runs on every rank: one epoch permutation for all, each rank a share of every global
batch and of the validation set, gradients synchronised by DDP inside the step, metrics
reduced as sums and counts, every rank's RNG state in ``last.pt``, and files (checkpoints,
``log_fn``, the progress bar) on rank 0 only.
"""

from __future__ import annotations

import copy
import math
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from inference.training import distributed
from inference.training.checkpoint import load_checkpoint, remove_stale_temporaries, save_checkpoint
from inference.training.divergence import (
    TrainingDiverged,
    far_worse_than_untrained,
    first_non_finite,
)
from inference.training.history import MODES, History
from inference.training.placement import Placement
from inference.training.seeding import rng_state, seed_everything, set_rng_state
from inference.training.step import Batch, Step
from ppl_models.data.unpaired import UnpairedDomains

__all__ = ["Trainer"]

LAST = "last.pt"
BEST = "best.pt"
# Weight of the newest batch in the progress bar's running loss.
_EMA_WEIGHT = 0.1


def _check_data(data: Any, name: str) -> int:
    if isinstance(data, UnpairedDomains):
        return len(data)
    tensors = (data,) if isinstance(data, Tensor) else data
    if (
        not isinstance(tensors, tuple)
        or not tensors
        or not all(isinstance(t, Tensor) for t in tensors)
    ):
        raise ValueError(f"{name} must be a tensor (N, ...) or a tuple of such tensors")
    n = len(tensors[0]) if tensors[0].dim() > 0 else 0
    if n == 0:
        raise ValueError(f"{name} must hold at least one example")
    if any(t.dim() == 0 or len(t) != n for t in tensors):
        raise ValueError(f"{name}'s tensors must share their first dimension")
    return n


def _index(data: Batch | UnpairedDomains, idx: Tensor | slice) -> Batch:
    if isinstance(data, UnpairedDomains):
        return data.take(idx)
    if isinstance(data, Tensor):
        return data[idx]
    return tuple(t[idx] for t in data)


def _moved(batch: Batch, device: torch.device) -> Batch:
    """``batch`` (a tensor or a tuple of them) on ``device``; as it is when already there."""
    if isinstance(batch, Tensor):
        return batch.to(device, non_blocking=True)
    return tuple(t.to(device, non_blocking=True) for t in batch)


def _shuffle_seed(seed: int) -> int:
    # torch seeds its Mersenne twister with 32 bits only, so seed + constant can collide with
    # another run's global seed; hashing through SeedSequence keeps the batch order and the
    # global stream (e.g. stochastic binarisation) from sharing random numbers.
    return int(np.random.SeedSequence(seed).generate_state(1)[0])


class _MeanMeter:
    """Example-weighted means of the per-batch dicts a step returns."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def add(self, values: dict[str, float], n: int) -> None:
        for k, v in values.items():
            # n == 0 is a rank's stand-in example (distributed.Shard): counted as nothing.
            self.sums[k] = self.sums.get(k, 0.0) + (float(v) * n if n else 0.0)
            self.counts[k] = self.counts.get(k, 0) + n

    def means(self) -> dict[str, float]:
        """Means over every rank's examples (this process's alone without a group)."""
        return distributed.reduce_means(self.sums, self.counts)


class Trainer:
    """Fit whatever a step object fits, with minibatch SGD over a tensor data set.

    Each epoch visits the training examples once in an order drawn from a
    :class:`torch.Generator` seeded from ``seed`` (the last batch may be smaller), then
    evaluates the whole validation set, then calls ``evaluate``. The epoch whose monitored
    value (``valid_<monitor>`` of its record) is best so far is the best epoch; a NaN never
    improves. With ``checkpoint_dir`` every epoch ends by writing ``last.pt`` (everything
    needed to resume exactly) and, when the monitored value improved, ``best.pt``
    (``{"epoch", "valid_loss", "monitor", "mode", "value", "step"}``).

    A fresh :meth:`fit` calls :func:`~inference.training.seeding.seed_everything` with
    ``seed``, so the run does not depend on what consumed random numbers before it; it starts
    a new history but continues from whatever state ``step`` holds (build the model, seeded,
    before the trainer).

    :param Step step: the update/evaluation object (e.g.
        :class:`~inference.training.mle_step.MLEStep`).
    :param train_data: a tensor ``(N, ...)``, or a tuple of tensors sharing ``N`` (e.g.
        ``(x, context)``); batches are sliced the same way and handed to ``step`` as is. Or
        two unpaired data sets (:class:`~ppl_models.data.UnpairedDomains`), indexed by the
        first, each batch ``(a, b)`` with ``b`` drawn at random from the second.
    :param valid_data: same form, or ``None`` for no validation.
    :param int batch_size: examples per batch, for training and validation.
    :param int max_epochs: total epochs, counting those done before a resume.
    :param patience: stop after this many epochs without a strictly better monitored value;
        ``None`` never stops early. Needs something to monitor (``valid_data`` or
        ``evaluate``).
    :type patience: int or None
    :param max_seconds: stop after the epoch in which this :meth:`fit` call has run this long.
    :type max_seconds: float or None
    :param checkpoint_dir: directory for ``last.pt`` and ``best.pt`` (created if missing);
        ``None`` writes nothing.
    :param int seed: seeds the shuffle order and the global RNGs of a fresh run.
    :param progress: show a tqdm bar: ``True``, ``False``, or ``None`` for only when writing
        to a terminal.
    :type progress: bool or None
    :param bool restore_best: after training, load the state of the best epoch into
        ``step`` (ignored when nothing is monitored).
    :param log_fn: called with each epoch's record (a dict, see
        :class:`~inference.training.history.History`) after it is checkpointed.
    :type log_fn: callable or None
    :param str monitor: the validation metric that selects the best epoch: a key of the
        step's ``eval_step`` results (default its ``"loss"``) or of what ``evaluate``
        returns. Without ``valid_data`` it must be one of ``evaluate``'s keys; a monitor that
        is missing from an epoch's record is refused then (at construction when nothing at
        all is evaluated).
    :param str mode: ``"min"`` or ``"max"``: whether a lower or a higher monitored value is
        better.
    :param evaluate: ``evaluate(step, epoch) -> Mapping[str, float]``, called once per epoch
        after validation (``epoch`` 1-based, the step holding that epoch's state, outside
        ``torch.no_grad``); its numbers are recorded as ``valid_<key>`` before the best epoch
        is chosen, so e.g. a sample metric can select it. Its keys must differ from the
        step's validation keys. Random numbers it draws are part of the resumable state.
    :type evaluate: callable or None
    :param placement: the device each batch is moved to (the step's model must be there
        already) and the precision its update runs in (:class:`~inference.training.Placement`;
        default the CPU in float32). Validation always runs in float32.

    **Several processes.** When :func:`torch.distributed.init_process_group` has run with
    more than one rank (e.g. by :func:`~inference.training.distributed.init_from_env` under
    ``torchrun``), :meth:`fit` calls the step's ``distribute()`` (a step without one is
    refused) and trains as described in :mod:`inference.training.distributed`: the global
    ``batch_size`` is split over the ranks, so the updates are those of one process on the
    same batches. Each rank's global RNGs are seeded with
    :func:`~inference.training.distributed.rank_seed`. ``evaluate`` runs on every rank and
    rank 0's numbers are used by all (so every rank picks the same best epoch); ``log_fn``,
    the progress bar and the checkpoint files are rank 0's; ``max_seconds`` is rank 0's
    clock. A resume reads ``last.pt`` on rank 0 and sends it to all ranks; a checkpoint
    written by a different number of processes is refused.
    """

    def __init__(
        self,
        step: Step,
        train_data: Batch,
        valid_data: Batch | None = None,
        *,
        batch_size: int = 100,
        max_epochs: int = 10,
        patience: int | None = None,
        max_seconds: float | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        seed: int = 0,
        progress: bool | None = None,
        restore_best: bool = True,
        log_fn: Callable[[dict[str, Any]], None] | None = None,
        monitor: str = "loss",
        mode: str = "min",
        evaluate: Callable[[Step, int], Mapping[str, float]] | None = None,
        placement: Placement | None = None,
    ) -> None:
        if not isinstance(step, Step):
            raise ValueError(
                "step must have train_step, eval_step, state_dict and load_state_dict methods"
            )
        self.n_train = _check_data(train_data, "train_data")
        self.n_valid = 0 if valid_data is None else _check_data(valid_data, "valid_data")
        _check_positive_int(batch_size, "batch_size")
        _check_positive_int(max_epochs, "max_epochs")
        _check_monitor(monitor, mode, evaluate, valid_data is not None)
        if patience is not None:
            _check_positive_int(patience, "patience")
            if valid_data is None and evaluate is None:
                raise ValueError("patience needs valid_data or evaluate to measure "
                                 "improvement on")
        if max_seconds is not None and not max_seconds > 0:
            raise ValueError(f"max_seconds must be positive or None, got {max_seconds}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        if progress not in (None, True, False):
            raise ValueError(f"progress must be True, False or None, got {progress!r}")
        if log_fn is not None and not callable(log_fn):
            raise ValueError("log_fn must be callable or None")
        self.step = step
        self.train_data = train_data
        self.valid_data = valid_data
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.max_seconds = max_seconds
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.seed = seed
        self.progress = progress
        self.restore_best = restore_best
        self.log_fn = log_fn
        self.monitor = monitor
        self.mode = mode
        self.evaluate = evaluate
        self.placement = placement or Placement()
        self._reset()

    # -- state ---------------------------------------------------------------------------

    def _reset(self) -> None:
        self.history = History(monitor=self.monitor, mode=self.mode)
        self.epoch = 0
        self.epochs_since_best = 0
        self._best_state: dict[str, Any] | None = None
        # Display only (the progress bar's running loss), so it is not checkpointed.
        self._ema: float | None = None
        # The validation loss before the first update: what a diverged run is judged against.
        self._untrained_loss: float | None = None
        self._generator = torch.Generator().manual_seed(_shuffle_seed(self.seed))

    def state_dict(self) -> dict[str, Any]:
        """Everything :meth:`fit` needs to continue exactly where this epoch ended.

        Under ``torch.distributed`` every rank must call it: it gathers every rank's RNG
        state (``"rng_per_rank"``).
        """
        return {
            "epoch": self.epoch,
            "step": self.step.state_dict(),
            "history": self.history.to_dict(),
            "epochs_since_best": self.epochs_since_best,
            # One self-contained file cannot disagree with itself after a crash between two
            # writes, so the best state rides along instead of being read back from best.pt.
            "best_step": self._best_state,
            "untrained_valid_loss": self._untrained_loss,
            "generator": self._generator.get_state(),
            "rng": rng_state(),
            # Every rank draws its own noise, so each rank's stream is saved (by rank 0).
            "rng_per_rank": distributed.all_gather_object(rng_state()),
            # And what a step keeps per rank (a game's replay buffer holds that rank's fakes).
            "step_per_rank": distributed.all_gather_object(self._local_state()),
            "config": {"seed": self.seed, "batch_size": self.batch_size, "n_train": self.n_train,
                       "world_size": _world_size()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, including the global RNG states.

        :param dict state: a trainer state, e.g. loaded from ``last.pt``.
        """
        config = state.get("config", {})
        saved_world, world = int(config.get("world_size", 1)), _world_size()
        if saved_world != world:
            # Each rank's RNG stream and share of every batch belong to that world size; a
            # resume with another would silently be another run.
            raise ValueError(f"the checkpoint was written by a run on {saved_world} "
                             f"process(es), this one has {world}; resume with "
                             f"--nproc_per_node={saved_world} (torchrun) or start afresh")
        current = {"seed": self.seed, "batch_size": self.batch_size, "n_train": self.n_train}
        changed = {k for k, v in current.items() if config.get(k, v) != v}
        if changed:
            warnings.warn(
                f"resuming with different {sorted(changed)} than the checkpoint; the run will "
                "not match an uninterrupted one",
                stacklevel=3,
            )
        history = History.from_dict(state["history"])
        if (history.monitor, history.mode) != (self.monitor, self.mode):
            # The best epoch and patience counter were chosen by the checkpoint's rule.
            raise ValueError(
                f"the checkpoint selected its best epoch by monitor={history.monitor!r}, "
                f"mode={history.mode!r}; resume with the same, not monitor={self.monitor!r}, "
                f"mode={self.mode!r}"
            )
        self.step.load_state_dict(state["step"])
        self.history = history
        self.epoch = int(state["epoch"])
        self.epochs_since_best = int(state["epochs_since_best"])
        self._best_state = state["best_step"]
        # Absent from checkpoints written before it was kept: no divergence check then.
        self._untrained_loss = state.get("untrained_valid_loss")
        self._generator.set_state(state["generator"])
        per_rank = state.get("rng_per_rank")
        group = distributed.current()
        set_rng_state(state["rng"] if group is None or per_rank is None
                      else per_rank[group.rank])
        local = state.get("step_per_rank")
        if local is not None and self._local_state() is not None:
            self.step.load_local_state_dict(local[0 if group is None else group.rank])

    def _local_state(self) -> dict[str, Any] | None:
        """The step's per-rank state, for a step that keeps one (``local_state_dict``,
        optional in the Step protocol like ``distribute``); else ``None``."""
        local = getattr(self.step, "local_state_dict", None)
        return local() if callable(local) else None

    # -- loop ----------------------------------------------------------------------------

    def fit(self, resume: bool = False) -> History:
        """Train until ``max_epochs``, early stopping, or the time budget.

        :param bool resume: continue from ``checkpoint_dir/last.pt`` if it exists (a fresh
            start otherwise).
        :return: the history of all epochs, including those before a resume.
        """
        started = time.perf_counter()
        if resume and self.checkpoint_dir is None:
            raise ValueError("resume=True needs a checkpoint_dir")
        group = distributed.current()
        if group is not None:
            self._distribute_step()
        main = group is None or group.rank == 0
        if self.checkpoint_dir is not None and main:
            self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
            # A run killed while writing leaves its temporary behind (tens of MB each).
            remove_stale_temporaries(self.checkpoint_dir, (LAST, BEST))
        state = self._read_last() if resume else None
        if state is not None:
            self._resume(state)
        else:
            self._reset()
            seed_everything(self.seed if group is None
                            else distributed.rank_seed(self.seed, group.rank))
            if self.valid_data is not None:
                self._untrained_loss = self._untrained_validation()

        bar = tqdm(
            total=max(self.max_epochs - self.epoch, 0) * self._n_batches(self.n_train),
            disable=(not main) or (None if self.progress is None else not self.progress),
            unit="batch",
            dynamic_ncols=True,
        )
        with bar:
            while self.epoch < self.max_epochs and not self._patience_exhausted():
                record = self._run_epoch(self.epoch + 1, bar)
                if self.log_fn is not None and main:
                    self.log_fn(record)
                if self.max_seconds is not None:
                    # Rank 0's clock decides for all: ranks that stopped apart would hang.
                    if distributed.broadcast_object(time.perf_counter() - started
                                                    > self.max_seconds):
                        break

        if self.restore_best and self._best_state is not None:
            self.step.load_state_dict(self._best_state)
        return self.history

    def _distribute_step(self) -> None:
        distribute = getattr(self.step, "distribute", None)
        if not callable(distribute):
            raise ValueError(f"{type(self.step).__name__} cannot be trained on several "
                             "processes: it has no distribute() method to synchronise its "
                             "gradients (MLEStep, SVIStep and AdversarialStep have one)")
        distribute()

    def _read_last(self) -> dict[str, Any] | None:
        """``last.pt`` as rank 0 reads it, on every rank (``None`` if there is none)."""
        path = self.checkpoint_dir / LAST
        if distributed.current() is None:
            return load_checkpoint(path) if path.is_file() else None
        state, error = None, None
        if distributed.is_main() and path.is_file():
            try:
                state = load_checkpoint(path, map_location="cpu")
            except (ValueError, OSError) as e:  # raised on every rank, not on rank 0 alone
                error = str(e)
        state, error = distributed.broadcast_object((state, error))
        if error is not None:
            raise ValueError(error)
        return state

    def _resume(self, state: dict[str, Any]) -> None:
        try:
            self.load_state_dict(state)
        except (RuntimeError, KeyError, TypeError) as e:
            # E.g. another model's last.pt: torch's "Unexpected key(s) in state_dict".
            raise ValueError(f"cannot resume from {self.checkpoint_dir / LAST}: it does not "
                             f"fit this model and step ({' '.join(str(e).split())[:300]})"
                             ) from e

    def _run_epoch(self, epoch: int, bar: tqdm) -> dict[str, Any]:
        t0 = time.perf_counter()
        bar.set_description(f"epoch {epoch}/{self.max_epochs}")
        train = self._train_epoch(epoch, bar)
        valid = self._validate() if self.valid_data is not None else {"loss": None}
        # Every rank holds the same reduced loss, so every rank decides the same.
        self._check_against_untrained(epoch, valid["loss"])
        if self.evaluate is not None:
            # Rank 0's numbers for all, so every rank selects the same best epoch.
            valid.update(distributed.broadcast_object(self._call_evaluate(epoch, valid)))
        value = self._monitored(valid)
        record = {"epoch": epoch}
        record.update({f"train_{k}": v for k, v in train.items()})
        record.update({f"valid_{k}": v for k, v in valid.items()})
        record["seconds"] = time.perf_counter() - t0
        self.history.epochs.append(record)
        # Checked before self.epoch moves on: a refusal names last.pt's epoch, the one before.
        self._check_state(epoch)
        self.epoch = epoch
        improved = self._track_best(epoch, value, valid["loss"])
        self._show(bar, valid["loss"], value)
        self._save(improved)
        return record

    def _untrained_validation(self) -> float | None:
        """The validation loss before any update, drawing no random numbers from the run's
        streams (a stochastic ELBO draws noise), so a run is the same with or without it."""
        devices = [torch.cuda.current_device()] if torch.cuda.is_initialized() else []
        with torch.random.fork_rng(devices=devices):
            loss = self._validate().get("loss")
        return None if loss is None else float(loss)

    def _check_against_untrained(self, epoch: int, loss: float | None) -> None:
        """Stop a run whose validation loss is far worse than the untrained model's, before
        the epoch is recorded or checkpointed (``last.pt`` keeps the epoch before)."""
        untrained = self._untrained_loss
        if loss is not None and untrained is not None \
                and far_worse_than_untrained(loss, untrained):
            raise self._diverged(f"validation loss {loss:.4g} is far worse than the untrained "
                                 f"model's {untrained:.4g}", epoch)

    def _diverged(self, what: str, epoch: int, batch: int | None = None) -> TrainingDiverged:
        where = f"epoch {epoch}" + ("" if batch is None else f", batch {batch}")
        kept = "nothing was checkpointed"
        if self.checkpoint_dir is not None and (self.checkpoint_dir / LAST).is_file():
            kept = f"{self.checkpoint_dir / LAST} (epoch {self.epoch}) is kept"
        elif self.checkpoint_dir is not None:
            kept = "no checkpoint was written"
        return TrainingDiverged(f"training stopped: {what} at {where}; {kept}")

    def _check_state(self, epoch: int) -> None:
        """Refuse to checkpoint (or select) a state holding a NaN or infinity."""
        bad = first_non_finite(self.step.state_dict())
        what = _agreed_failure("non-finite values", None if bad is None else f"in {bad}")
        if what is not None:
            raise self._diverged(what, epoch)

    def _train_epoch(self, epoch: int, bar: tqdm) -> dict[str, float]:
        meter = _MeanMeter()
        order = torch.randperm(self.n_train, generator=self._generator)
        group = distributed.current()
        for batch, idx in enumerate(self._batch_slices(self.n_train), start=1):
            batch_idx = order[idx]
            try:
                if group is None:
                    n = len(batch_idx)
                    out = self._train_step(_index(self.train_data, batch_idx))
                else:
                    n, out = self._train_shard(batch_idx, group)
            except TrainingDiverged as e:
                raise self._diverged(str(e), epoch, batch) from e
            finite = math.isfinite(out["loss"])
            what = _agreed_failure("non-finite training loss",
                                   None if finite else str(out["loss"]))
            if what is not None:
                raise self._diverged(what, epoch, batch)
            meter.add(out, n)
            loss = out["loss"]
            ema = self._ema
            self._ema = loss if ema is None else (1 - _EMA_WEIGHT) * ema + _EMA_WEIGHT * loss
            bar.set_postfix_str(f"loss={self._ema:.4g}", refresh=False)
            bar.update()
        return meter.means()

    def _train_shard(self, batch_idx: Tensor,
                     group: distributed.Group) -> tuple[int, dict[str, float]]:
        """This rank's update on its share of the global batch ``batch_idx``."""
        local = batch_idx[distributed.shard(len(batch_idx), group.rank, group.world_size)]
        n = len(local)
        # A rank without examples still joins the all-reduce, on a stand-in weighted by 0.
        shard = distributed.Shard(n, len(batch_idx), group.world_size)
        out = self._train_step(_index(self.train_data, local if n else batch_idx[:1]),
                               shard=shard)
        return n, out

    def _train_step(self, batch: Batch, **options) -> dict[str, float]:
        """One update on ``batch``, moved to the placement's device, under its autocast (the
        data stay where they were loaded; only a batch at a time crosses to the device)."""
        with self.placement.autocast():
            return self.step.train_step(_moved(batch, self.placement.device), **options)

    def _validate(self) -> dict[str, float]:
        meter = _MeanMeter()
        group = distributed.current()
        # Each rank scores a contiguous share of the validation set; the meter adds them up.
        part = (slice(0, self.n_valid) if group is None
                else distributed.shard(self.n_valid, group.rank, group.world_size))
        with torch.no_grad():
            for start in range(part.start, part.stop, self.batch_size):
                idx = slice(start, min(start + self.batch_size, part.stop))
                # Validation in full precision: the kept epoch is chosen on exact numbers.
                out = self.step.eval_step(_moved(_index(self.valid_data, idx),
                                                 self.placement.device))
                meter.add(out, idx.stop - idx.start)
        return meter.means()

    def _call_evaluate(self, epoch: int, valid: dict[str, Any]) -> dict[str, float]:
        """The callback's numbers as floats, refused if malformed or clashing with ``valid``."""
        out = self.evaluate(self.step, epoch)
        if not isinstance(out, Mapping) or not all(isinstance(k, str) for k in out):
            raise ValueError(f"evaluate must return a mapping from str to numbers, got "
                             f"{type(out).__name__}")
        clash = sorted(k for k in out if k in valid and valid[k] is not None)
        if clash:
            raise ValueError(f"evaluate returned {clash}, which the step's eval_step already "
                             f"reports; rename them")
        try:
            return {k: float(v) for k, v in out.items()}
        except (TypeError, ValueError, RuntimeError) as e:
            raise ValueError(f"evaluate must return numbers, got {dict(out)!r}") from e

    def _monitored(self, valid: dict[str, Any]) -> float | None:
        """The epoch's monitored value; ``None`` when nothing at all is evaluated."""
        if self.valid_data is None and self.evaluate is None:
            return None
        value = valid.get(self.monitor)
        if value is None:
            known = sorted(k for k, v in valid.items() if v is not None)
            hint = "" if self.valid_data is not None else " (without valid_data it must be " \
                "one of evaluate's keys)"
            raise ValueError(f"monitor={self.monitor!r} is not among this epoch's validation "
                             f"metrics {known}{hint}")
        return value

    def _show(self, bar: tqdm, valid_loss: float | None, value: float | None) -> None:
        parts = [f"loss={self._ema:.4g}"]
        if valid_loss is not None:
            parts.append(f"valid={valid_loss:.4g}")
        if value is not None and self.monitor != "loss":
            parts.append(f"{self.monitor}={value:.4g}")
        if len(parts) > 1:
            bar.set_postfix_str(", ".join(parts))

    def _n_batches(self, n: int) -> int:
        return math.ceil(n / self.batch_size)

    def _batch_slices(self, n: int) -> Iterator[slice]:
        for start in range(0, n, self.batch_size):
            yield slice(start, min(start + self.batch_size, n))

    # -- best state and checkpoints ----------------------------------------------------

    def _track_best(self, epoch: int, value: float | None, valid_loss: float | None) -> bool:
        if value is None:
            return False
        best = self.history.best_value
        # NaN never improves, so a diverged epoch can neither become "best" nor reset patience.
        if not math.isnan(value) and (best is None or self._better(value, best)):
            self.history.best_epoch = epoch
            self.history.best_value = value
            self.history.best_valid_loss = valid_loss
            self.epochs_since_best = 0
            self._best_state = copy.deepcopy(self.step.state_dict())
            return True
        self.epochs_since_best += 1
        return False

    def _better(self, value: float, best: float) -> bool:
        return value < best if self.mode == "min" else value > best

    def _patience_exhausted(self) -> bool:
        return self.patience is not None and self.epochs_since_best >= self.patience

    def _save(self, improved: bool) -> None:
        if self.checkpoint_dir is None:
            return
        state = self.state_dict()  # on every rank: it gathers their RNG states
        if not distributed.is_main():
            return
        if improved:
            save_checkpoint(
                self.checkpoint_dir / BEST,
                {
                    "epoch": self.history.best_epoch,
                    "valid_loss": self.history.best_valid_loss,
                    "monitor": self.monitor,
                    "mode": self.mode,
                    "value": self.history.best_value,
                    "step": self._best_state,
                },
            )
        save_checkpoint(self.checkpoint_dir / LAST, state)


def _agreed_failure(what: str, detail: str | None) -> str | None:
    """``what`` (and this rank's ``detail``) if any rank failed, the same on every rank.

    ``detail`` is ``None`` where this rank found nothing wrong. Under ``torch.distributed``
    the ranks reduce their flags first (one small all-reduce), so a failure seen on one rank
    stops every rank at the same batch instead of leaving the others waiting for it.
    """
    ranks = distributed.failed_ranks(detail is not None)
    if not ranks:
        return None
    if distributed.current() is None:
        return f"{what} {detail}"
    where = f"{what} on rank {', '.join(map(str, ranks))}"
    return where if detail is None else f"{where} ({detail})"


def _world_size() -> int:
    group = distributed.current()
    return 1 if group is None else group.world_size


def _check_monitor(monitor: Any, mode: Any, evaluate: Any, has_valid_data: bool) -> None:
    if not isinstance(monitor, str) or not monitor:
        raise ValueError(f"monitor must be a non-empty str, got {monitor!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if evaluate is not None and not callable(evaluate):
        raise ValueError("evaluate must be callable or None")
    if monitor != "loss" and not has_valid_data and evaluate is None:
        raise ValueError(f"monitor={monitor!r} can never be measured: there is neither "
                         f"valid_data nor an evaluate callback")


def _check_positive_int(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
