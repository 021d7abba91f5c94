"""Atomic, weights-only checkpoint files.

A checkpoint is a dict of tensors, containers and primitives written with :func:`torch.save`.
It is loaded with ``weights_only=True``, so loading a file never runs code from it; the price
is that nothing else (numpy arrays, arbitrary objects) may be stored in it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any

import torch

__all__ = ["load_checkpoint", "remove_stale_temporaries", "save_checkpoint"]


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically.

    The file is written to a temporary file in the same directory, flushed and fsynced, then
    moved over ``path`` with :func:`os.replace`; a crash leaves either the old file or the new
    one, never a partial file, and a failure leaves no temporary file behind.

    :param path: destination file; its directory must exist.
    :param dict state: tensors, containers and primitives only.
    """
    if not isinstance(state, dict):
        raise ValueError(f"state must be a dict, got {type(state).__name__}")
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"path's directory {str(path.parent)!r} does not exist")
    # Same directory, so os.replace is a rename within one file system (hence atomic).
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    _fsync_directory(path.parent)


def remove_stale_temporaries(directory: str | os.PathLike, names) -> list[Path]:
    """Delete the temporaries :func:`save_checkpoint` leaves when killed mid-write.

    Only files named as it names them (``.<name>.<random>.tmp`` for each of ``names``) go;
    call it before writing, when no other writer uses the directory.

    :return: the files removed.
    """
    removed = []
    for name in names:
        for tmp in Path(directory).glob(f".{name}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; directories cannot be opened this way on Windows.
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_checkpoint(path: str | os.PathLike, *, map_location: Any = None) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    :param path: checkpoint file.
    :param map_location: passed to :func:`torch.load`, e.g. ``"cpu"``.
    :return: the stored dict.
    :raises FileNotFoundError: if ``path`` does not exist.
    :raises ValueError: if the file is truncated, corrupt, not a dict, or holds objects that
        ``weights_only`` loading refuses.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint file {str(path)!r} does not exist")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        # torch's message suggests weights_only=False, the very thing this loader exists to
        # refuse, and its wording changes between versions: none of it is repeated, only
        # what was refused (a global such as posix.system, or a pickle opcode).
        text = str(e)
        name = re.search(r"GLOBAL ([\w.]+)", text)
        opcode = re.search(r"Unsupported operand (\d+)", text)
        what = (f"a reference to {name.group(1)}" if name
                else f"pickle opcode {opcode.group(1)}" if opcode else "pickled objects")
        raise ValueError(
            f"checkpoint file {str(path)!r} holds code or objects, not only tensors "
            f"({what}), and was refused: files here are read with weights only and never "
            "unpickled; load only files written by save_model or save_checkpoint"
        ) from e
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except OSError as e:
        # torch's zip reader reports some truncations as "[Errno 22] Invalid argument".
        raise ValueError(f"checkpoint file {str(path)!r} is truncated or corrupt: "
                         f"{type(e).__name__}: {e}") from e
    except Exception as e:  # garbage fails the weights-only unpickler in arbitrary ways
        raise ValueError(f"checkpoint file {str(path)!r} is truncated or corrupt: "
                         f"{type(e).__name__}: {e}") from e
    if not isinstance(state, dict):
        raise ValueError(f"checkpoint file {str(path)!r} holds {type(state).__name__}, not dict")
    return state
