"""Reader for the IDX format of the original MNIST files (LeCun et al.).

An IDX file is a 4-byte magic number ``00 00 <dtype code> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then the values in C order, big-endian. MNIST images have magic 2051
(``0x0803``: ubyte, 3 dims) and labels 2049 (``0x0801``: ubyte, 1 dim).

Files are accepted raw or gzip-compressed; compression is recognised by the gzip magic bytes
``1f 8b`` rather than by the file name, because renamed and re-compressed copies are common.

References:

1. Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten digits",
   http://yann.lecun.com/exdb/mnist/ (file format section).
"""

from __future__ import annotations

__all__ = [
    "IDX_DTYPES",
    "IMAGES_MAGIC",
    "LABELS_MAGIC",
    "IDXFormatError",
    "load_mnist",
    "load_mnist_idx",
    "read_idx",
]

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np
import torch

from .errors import MissingDataError

#: IDX dtype code -> big-endian numpy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_DTYPE_NAMES = {
    0x08: "ubyte",
    0x09: "byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
_MNIST_SIDE = 28
_GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """A file is not a valid IDX file, or not the MNIST file it was expected to be.

    The message always starts with the offending file's path.
    """


def _read_bytes(path: str | os.PathLike) -> bytes:
    if not os.path.isfile(path):
        raise MissingDataError(f"{path}: no such file")
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] != _GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    # A damaged stream surfaces as any of these depending on where the damage is (header, deflate
    # data, CRC/length trailer); callers should only ever have to catch ValueError.
    except (OSError, EOFError, zlib.error) as e:
        raise IDXFormatError(f"{path}: corrupt gzip stream: {e}") from e


def _parse_idx(path: str | os.PathLike) -> tuple[int, np.ndarray]:
    """Return ``(magic, array)``; ``magic`` is the header's first 4 bytes as a big-endian int."""
    data = _read_bytes(path)
    if len(data) < 4:
        raise IDXFormatError(f"{path}: too short for an IDX header ({len(data)} bytes)")
    if data[0] != 0 or data[1] != 0:
        raise IDXFormatError(
            f"{path}: bad magic {data[:4].hex()}: an IDX file starts with two zero bytes"
        )
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X} ({n})" for c, n in _DTYPE_NAMES.items())
        raise IDXFormatError(f"{path}: unknown IDX dtype code 0x{code:02X}; known: {known}")
    if ndim == 0:
        raise IDXFormatError(f"{path}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IDXFormatError(
            f"{path}: truncated header: {ndim} dimensions need {header_len} bytes, "
            f"found {len(data)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    found = len(data) - header_len
    shape_desc = f"{'x'.join(map(str, dims))} {_DTYPE_NAMES[code]}"
    if found < expected:
        raise IDXFormatError(
            f"{path}: truncated: header declares {expected} bytes of data ({shape_desc}), "
            f"found {found}"
        )
    if found > expected:
        raise IDXFormatError(
            f"{path}: {found - expected} trailing bytes: header declares {expected} bytes of "
            f"data ({shape_desc}), found {found}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims)
    # Native byte order and a writable copy, so torch.from_numpy can take it directly.
    return int.from_bytes(data[:4], "big"), array.astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a numpy array.

    :param path: the file; gzip compression is detected from its first two bytes.
    :returns: array of shape given by the header's dimensions, in the header's dtype
        (native byte order), e.g. ``(60000, 28, 28)`` uint8 for MNIST training images.
    :raises IDXFormatError: (a ``ValueError``) naming the file, if the gzip stream is corrupt,
        the magic is malformed, the dtype code is unknown, or the data is shorter or longer than
        the header declares.
    :raises MissingDataError: (a ``ValueError`` and ``FileNotFoundError``) if there is no file.
    """
    return _parse_idx(path)[1]


def _to_images(path, array: np.ndarray) -> torch.Tensor:
    if array.ndim != 3 or array.shape[1:] != (_MNIST_SIDE, _MNIST_SIDE):
        raise IDXFormatError(
            f"{path}: expected images of shape (N, {_MNIST_SIDE}, {_MNIST_SIDE}), "
            f"found {array.shape}"
        )
    if array.dtype == np.uint8:
        images = array.astype(np.float32) / 255.0
    else:
        # Other dtypes only pass with expect_magic=False; they must already be intensities.
        images = array.astype(np.float32)
        if not (np.all(images >= 0.0) and np.all(images <= 1.0)):
            raise IDXFormatError(f"{path}: non-ubyte image values must lie in [0, 1]")
    return torch.from_numpy(images).unsqueeze(1)


def _to_labels(path, array: np.ndarray) -> torch.Tensor:
    if array.ndim != 1:
        raise IDXFormatError(f"{path}: expected labels of shape (N,), found {array.shape}")
    labels = array.astype(np.int64)
    if not np.array_equal(labels, array):
        raise IDXFormatError(f"{path}: labels are not integers")
    return torch.from_numpy(labels)


def load_mnist_idx(
    images_path: str | os.PathLike,
    labels_path: str | os.PathLike | None = None,
    *,
    expect_magic: bool = True,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Load an MNIST-format image file and, optionally, its label file.

    :param images_path: IDX images file (raw or ``.gz``), ``N x 28 x 28``.
    :param labels_path: IDX labels file with the same ``N``, or ``None``.
    :param expect_magic: if true (default), require magic 2051 (ubyte, 3-D) for images and 2049
        (ubyte, 1-D) for labels. If false, other dtypes are accepted: non-ubyte images must
        already lie in [0, 1], labels must be integer-valued.
    :returns: ``(images, labels)``: images float32 ``(N, 1, 28, 28)`` in [0, 1] (ubyte / 255);
        labels int64 ``(N,)``, or ``None`` when ``labels_path`` is ``None``.
    :raises IDXFormatError: (a ``ValueError``) naming the offending file.
    :raises MissingDataError: (a ``ValueError`` and ``FileNotFoundError``) if a file is missing.
    """
    magic, array = _parse_idx(images_path)
    if expect_magic and magic != IMAGES_MAGIC:
        raise IDXFormatError(
            f"{images_path}: magic {magic} (0x{magic:08X}), expected {IMAGES_MAGIC} "
            f"(0x{IMAGES_MAGIC:08X}) for an MNIST images file"
        )
    images = _to_images(images_path, array)
    if labels_path is None:
        return images, None
    magic, array = _parse_idx(labels_path)
    if expect_magic and magic != LABELS_MAGIC:
        raise IDXFormatError(
            f"{labels_path}: magic {magic} (0x{magic:08X}), expected {LABELS_MAGIC} "
            f"(0x{LABELS_MAGIC:08X}) for an MNIST labels file"
        )
    labels = _to_labels(labels_path, array)
    if labels.shape[0] != images.shape[0]:
        raise IDXFormatError(
            f"{labels_path}: {labels.shape[0]} labels, but {images_path} has "
            f"{images.shape[0]} images"
        )
    return images, labels


_SPLIT_PREFIX = {"train": "train", "test": "t10k"}


def _find(root: Path, stem: str) -> Path:
    # The official names use "-idx3-ubyte"; some mirrors (e.g. Kaggle) use ".idx3-ubyte".
    candidates = [stem, stem.replace("-idx", ".idx")]
    tried = []
    for name in candidates:
        for suffix in ("", ".gz"):
            p = root / (name + suffix)
            tried.append(p.name)
            if p.is_file():
                return p
    raise MissingDataError(f"{root}: no MNIST file found; looked for {', '.join(tried)}")


def load_mnist(root: str | os.PathLike, split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """Load one split of MNIST from a folder holding the standard IDX file names.

    Looks for ``{train,t10k}-images-idx3-ubyte`` and ``{train,t10k}-labels-idx1-ubyte``, each
    raw or with ``.gz`` (raw preferred when both exist).

    :param root: folder containing the files.
    :param split: ``"train"`` (60,000 images) or ``"test"`` (10,000 images).
    :returns: images float32 ``(N, 1, 28, 28)`` in [0, 1], labels int64 ``(N,)``.
    :raises ValueError: for an unknown split or a malformed file; :class:`MissingDataError`
        (also a ``ValueError``) when the folder or one of its files is missing.
    """
    if split not in _SPLIT_PREFIX:
        raise ValueError(f"split must be one of {tuple(_SPLIT_PREFIX)}, got {split!r}")
    root = Path(root)
    if not root.is_dir():
        raise MissingDataError(f"{root}: no such directory")
    prefix = _SPLIT_PREFIX[split]
    images_path = _find(root, f"{prefix}-images-idx3-ubyte")
    labels_path = _find(root, f"{prefix}-labels-idx1-ubyte")
    images, labels = load_mnist_idx(images_path, labels_path)
    return images, labels
