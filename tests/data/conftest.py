"""Fixtures shared by the data tests: writers for small IDX files."""

import gzip
import struct

import numpy as np
import pytest

# numpy dtype -> IDX dtype code, as in the MNIST file-format description.
IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


def idx_bytes(array: np.ndarray, code: int | None = None) -> bytes:
    """Encode ``array`` as IDX (big-endian); ``code`` overrides the dtype byte."""
    array = np.asarray(array)
    if code is None:
        code = IDX_CODES[array.dtype]
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


@pytest.fixture
def write_idx(tmp_path):
    """``write_idx(name, array_or_bytes, gz=False)`` -> path of a file in ``tmp_path``."""

    def write(name, content, gz=False):
        data = content if isinstance(content, bytes) else idx_bytes(content)
        if gz:
            # mtime=0 mirrors `gzip -n`, as used for the shared image files.
            data = gzip.compress(data, compresslevel=9, mtime=0)
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def mnist_arrays():
    """Small MNIST-shaped uint8 images ``(7, 28, 28)`` and labels ``(7,)``."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    return images, labels


@pytest.fixture
def encode_idx():
    """``encode_idx(array, code=None)`` -> IDX bytes (a fixture, so tests need not import
    conftest by module name, which is ambiguous when several test folders have one)."""
    return idx_bytes
