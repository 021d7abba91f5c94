"""What ``train --resume`` checks of ``checkpoints/last.pt`` before anything is trained.

The Trainer would read the file too, but only once fitting starts, and its refusals are in
its own terms (a missing ``'history'`` key, ``monitor='coverage_score'``). Read here, the file
is named for what it is (a model file, another model's training state, a truncated file)
and the run for what it asks (fewer epochs than the file has done), before a single update.
"""

from __future__ import annotations

__all__ = ["check_last_checkpoint"]

from pathlib import Path

from torch import nn

from inference.persistence import FORMAT
from inference.training import load_checkpoint
from ppl_models import registry

# What every Trainer.state_dict() holds; a file without them was not written by the Trainer.
_TRAINER_KEYS = ("epoch", "step", "history")


def check_last_checkpoint(path: Path, model: nn.Module, epochs: int) -> None:
    """Refuse a ``last.pt`` that ``--resume`` cannot continue into ``model`` for ``epochs``.

    :param path: ``OUT/checkpoints/last.pt``; nothing is checked when it does not exist (the
        run starts afresh, as the Trainer does).
    :param model: the freshly built model the run would train.
    :param int epochs: the run's ``--epochs``.
    :raises ValueError: for a truncated or unreadable file, a model file (``model.pt``), a
        file that is not a trainer checkpoint, another model's training state, or
        ``epochs`` not above the epochs the file has done.
    """
    if not path.is_file():
        return
    try:
        state = load_checkpoint(path, map_location="cpu")
    except ValueError as e:
        raise ValueError(f"--resume: {e}") from e
    if not isinstance(state, dict):
        raise ValueError(f"--resume: {path} is not a training checkpoint (it holds a "
                         f"{type(state).__name__}); drop --resume to start afresh")
    if state.get("format") == FORMAT:
        raise ValueError(f"--resume: {path} is a model file (a model.pt, weights only), not "
                         "the training state --resume continues from (the last.pt that "
                         "'ppl-models train' writes in checkpoints/); drop --resume to start "
                         "afresh")
    missing = [k for k in _TRAINER_KEYS if k not in state]
    if missing or not isinstance(state["step"], dict) \
            or not isinstance(state["step"].get("model"), dict):
        raise ValueError(f"--resume: {path} is not a training checkpoint written by "
                         "'ppl-models train' (it lacks the epoch, optimiser state and history "
                         "that one holds); drop --resume to start afresh")
    _check_same_model(path, state["step"]["model"], model)
    done = state["epoch"]
    if isinstance(done, int) and epochs <= done:
        raise ValueError(f"--resume --epochs {epochs}: {path} has {done} epoch(s) done "
                         f"already; a resume continues to more epochs than that (give "
                         f"--epochs > {done}), or drop --resume to start afresh")


def _check_same_model(path: Path, saved: dict, model: nn.Module) -> None:
    """Refuse weights of another shape or kind than ``model``'s (the state's keys and
    shapes; their values are the Trainer's business)."""
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    held = {k: tuple(getattr(v, "shape", ())) for k, v in saved.items()}
    if held == expected:
        return
    kind = registry.kind_of(model)
    missing = sorted(expected.keys() - held.keys())
    unexpected = sorted(held.keys() - expected.keys())
    reshaped = sorted(k for k in expected.keys() & held.keys() if expected[k] != held[k])
    what = "; ".join(part for part in (
        f"missing {', '.join(missing[:3])}" + (" ..." if len(missing) > 3 else "")
        if missing else "",
        f"unexpected {', '.join(unexpected[:3])}" + (" ..." if len(unexpected) > 3 else "")
        if unexpected else "",
        ", ".join(f"{k} of shape {held[k]}, expected {expected[k]}" for k in reshaped[:3])
        if reshaped else "") if part)
    raise ValueError(f"--resume: cannot resume from {path}: it holds the training state of "
                     f"another model than this run's --model {kind} ({what}); use another --out or "
                     "drop --resume")
