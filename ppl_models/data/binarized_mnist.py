"""The fixed binarized MNIST of Larochelle & Murray (2011).

The standard split for likelihood comparisons (NADE, MADE, IWAE, PixelRNN/PixelCNN papers):
50,000 train, 10,000 valid and 10,000 test images of 784 pixels in {0, 1}, sampled once from
MNIST intensities and then frozen, so every paper scores the same bits.

Two storage forms are read:

* a packed ``.npz`` with arrays ``train``, ``valid``, ``test``; each row is ``np.packbits`` of
  the 784 pixels (98 bytes). Unpacked ``(N, 784)`` arrays of 0/1 are accepted as well.
* the original text ``.amat`` files ``binarized_mnist_{train,valid,test}.amat``: one image a
  line, 784 whitespace-separated 0/1 values.

References:

1. H. Larochelle, I. Murray, "The Neural Autoregressive Distribution Estimator", AISTATS 2011.
2. R. Salakhutdinov, I. Murray, "On the Quantitative Analysis of Deep Belief Networks",
   ICML 2008.
"""

from __future__ import annotations

__all__ = ["SPLITS", "load_binarized_mnist", "load_binarized_mnist_test_labels", "read_amat"]

import os
import zipfile
from pathlib import Path

import numpy as np
import torch

from .errors import MissingDataError

#: Split names, in the order of the original files.
SPLITS = ("train", "valid", "test")
_D = 784
_PACKED_D = _D // 8
_ASCII_0, _ASCII_1 = ord("0"), ord("1")
# Byte -> "is part of a token" lookup table: indexing it is much faster than np.isin on the
# tens of megabytes of a training split.
_IS_TOKEN_BYTE = np.ones(256, dtype=bool)
_IS_TOKEN_BYTE[list(b" \t\r\n\v\f")] = False


def _check_binary(path, values: np.ndarray, what: str) -> None:
    if not np.all((values == 0) | (values == 1)):
        bad = values[(values != 0) & (values != 1)]
        raise ValueError(f"{path}: {what} has non-binary values (e.g. {bad.flat[0]!r})")


def _read_amat_fast(data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
    """Parse files whose every token is a single ``0`` or ``1`` character, vectorised.

    Returns ``(values, tokens_per_line)`` or ``None`` when the file is not of that form
    (then the slower general parser decides whether it is valid).
    """
    b = np.frombuffer(data, dtype=np.uint8)
    is_token = _IS_TOKEN_BYTE[b]
    tokens = b[is_token]
    if not np.all((tokens == _ASCII_0) | (tokens == _ASCII_1)):
        return None
    # Two adjacent non-blank bytes would be a multi-character token such as "10" or "1.0".
    if np.any(is_token[1:] & is_token[:-1]):
        return None
    newlines = np.flatnonzero(b == ord("\n"))
    line_of_token = np.searchsorted(newlines, np.flatnonzero(is_token))
    n_lines = len(newlines) + 1
    counts = np.bincount(line_of_token, minlength=n_lines)
    return (tokens - _ASCII_0).astype(np.float32), counts


def read_amat(path: str | os.PathLike) -> torch.Tensor:
    """Read one ``.amat`` split file: one image a line, 784 space-separated 0/1 values.

    Blank lines are ignored. Values may be written as integers or floats (``0``, ``1.0``).

    :param path: e.g. ``binarized_mnist_test.amat``.
    :returns: float32 tensor ``(N, 784)`` with values in {0, 1}.
    :raises ValueError: naming the file, for a line that is not 784 values or a value that is
        not 0 or 1; :class:`MissingDataError` (also a ``ValueError``) if there is no file.
    """
    if not os.path.isfile(path):
        raise MissingDataError(f"{path}: no such file")
    with open(path, "rb") as f:
        data = f.read()
    fast = _read_amat_fast(data)
    if fast is not None:
        values, counts = fast
        nonblank = counts > 0
        wrong = np.flatnonzero(nonblank & (counts != _D))
        if wrong.size:
            line = int(wrong[0])
            raise ValueError(f"{path}: line {line + 1} has {counts[line]} values, expected {_D}")
        rows = values.reshape(-1, _D)
    else:
        parsed = []
        for i, line in enumerate(data.splitlines()):
            fields = line.split()
            if not fields:
                continue
            if len(fields) != _D:
                raise ValueError(f"{path}: line {i + 1} has {len(fields)} values, expected {_D}")
            try:
                row = np.array(fields, dtype=np.float32)
            except ValueError as e:
                raise ValueError(f"{path}: line {i + 1}: {e}") from e
            _check_binary(path, row, f"line {i + 1}")
            parsed.append(row)
        rows = np.stack(parsed) if parsed else np.zeros((0, _D), dtype=np.float32)
    if rows.shape[0] == 0:
        raise ValueError(f"{path}: no images found")
    return torch.from_numpy(rows)


def _unpack(path, key: str, array: np.ndarray) -> torch.Tensor:
    if array.ndim != 2:
        raise ValueError(f"{path}: array {key!r} has shape {array.shape}, expected 2-D rows")
    width = array.shape[1]
    if width == _PACKED_D and array.dtype == np.uint8:
        pixels = np.unpackbits(array, axis=1)[:, :_D]
    elif width == _D:
        _check_binary(path, array, f"array {key!r}")
        pixels = array
    else:
        raise ValueError(
            f"{path}: array {key!r} has rows of width {width} ({array.dtype}); expected "
            f"{_PACKED_D} packed uint8 bytes or {_D} unpacked 0/1 values"
        )
    return torch.from_numpy(pixels.astype(np.float32))


def _load_npz(path: Path) -> dict[str, torch.Tensor]:
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:  # EOF: an empty file
        raise ValueError(f"{path}: cannot read as .npz: {e}") from e
    if not isinstance(z, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: not an .npz archive (a single .npy array?)")
    with z:
        missing = [k for k in SPLITS if k not in z.files]
        if missing:
            raise ValueError(
                f"{path}: missing array(s) {missing}; found {sorted(z.files)}, "
                f"expected {list(SPLITS)}"
            )
        try:
            return {k: _unpack(path, k, z[k]) for k in SPLITS}
        except (OSError, zipfile.BadZipFile) as e:
            raise ValueError(f"{path}: corrupt .npz member: {e}") from e


def load_binarized_mnist(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Load the fixed binarized MNIST split.

    :param path: a packed ``.npz`` file, or a directory holding either
        ``binarized_mnist_{train,valid,test}.amat`` or ``binarized_mnist.npz``.
        (A single ``.amat`` file is one split: read it with :func:`read_amat`.)
    :returns: ``{"train": (50000, 784), "valid": (10000, 784), "test": (10000, 784)}`` float32
        tensors with values in {0, 1}, rows in the original order.
    :raises ValueError: naming the file, for a missing array, a wrong row width or non-binary
        values; :class:`MissingDataError` (also a ``ValueError``) for a missing file.
    """
    path = Path(path)
    if path.is_dir():
        amats = [path / f"binarized_mnist_{k}.amat" for k in SPLITS]
        if all(p.is_file() for p in amats):
            return {k: read_amat(p) for k, p in zip(SPLITS, amats, strict=True)}
        npz = path / "binarized_mnist.npz"
        if npz.is_file():
            return _load_npz(npz)
        raise MissingDataError(
            f"{path}: found neither binarized_mnist_{{train,valid,test}}.amat nor "
            f"binarized_mnist.npz"
        )
    if not path.is_file():
        raise MissingDataError(f"{path}: no such file or directory")
    if path.suffix == ".amat":
        raise ValueError(
            f"{path}: an .amat file holds a single split; use read_amat(path), or pass the "
            f"directory holding all three binarized_mnist_{{train,valid,test}}.amat files"
        )
    return _load_npz(path)


def load_binarized_mnist_test_labels(path: str | os.PathLike) -> torch.Tensor:
    """The digit of each row of the fixed binarized MNIST *test* split.

    The train and valid rows carry no labels (they are a shuffled split of MNIST-train);
    the test split is MNIST's test set sorted stably by label, so anything that needs
    labelled binarized images (held-out classes, linear probes) splits these 10,000 rows.

    :param path: ``binarized_mnist_test_labels.npz`` with an array ``labels``.
    :returns: int64 ``(10000,)`` in 0..9, aligned with ``load_binarized_mnist(...)["test"]``.
    :raises ValueError: for an unreadable file or a missing or malformed ``labels`` array;
        :class:`MissingDataError` for a missing file.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as z:
            if "labels" not in z.files:
                raise ValueError(f"{path}: no array 'labels'; found {sorted(z.files)}")
            labels = z["labels"]
    except (OSError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path}: cannot read as .npz: {e}") from e
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) \
            or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"{path}: labels must be a 1-D integer array in 0..9")
    return torch.from_numpy(labels.astype(np.int64))
