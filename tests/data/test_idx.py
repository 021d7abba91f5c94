import gzip
import io
import zlib

import numpy as np
import pytest
import torch

from ppl_models.data import IDXFormatError, MissingDataError, load_mnist, load_mnist_idx, read_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_read_idx_round_trip(write_idx, dtype, gz):
    rng = np.random.default_rng(1)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        array = rng.integers(info.min, info.max, size=(3, 4, 5), endpoint=True).astype(dtype)
    else:
        array = rng.standard_normal((3, 4, 5)).astype(dtype)
    out = read_idx(write_idx("a.idx", array, gz=gz))
    assert out.dtype == np.dtype(dtype)  # native byte order
    assert out.shape == (3, 4, 5)
    np.testing.assert_array_equal(out, array)
    assert out.flags.writeable  # so torch.from_numpy does not warn


def test_gzip_detected_by_magic_not_extension(write_idx):
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    raw_named_gz = write_idx("raw.gz", array, gz=False)
    gz_named_raw = write_idx("compressed-idx3-ubyte", array, gz=True)
    np.testing.assert_array_equal(read_idx(raw_named_gz), array)
    np.testing.assert_array_equal(read_idx(gz_named_raw), array)


def test_gzip_with_original_name_header(tmp_path, encode_idx):
    # The original MNIST label .gz files carry the FNAME field and an mtime; the recompressed
    # image files do not (gzip -n). Both header forms must be read.
    array = np.arange(10, dtype=np.uint8)
    buf = io.BytesIO()
    with gzip.GzipFile(
        filename="t10k-labels-idx1-ubyte", mode="wb", fileobj=buf, mtime=881_000_000
    ) as f:
        f.write(encode_idx(array))
    assert buf.getvalue()[3] & 0x08  # FNAME flag set
    path = tmp_path / "labels.gz"
    path.write_bytes(buf.getvalue())
    np.testing.assert_array_equal(read_idx(path), array)


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_load_mnist_idx_round_trip(write_idx, mnist_arrays, gz):
    images, labels = mnist_arrays
    x, y = load_mnist_idx(write_idx("img", images, gz=gz), write_idx("lab", labels, gz=gz))
    assert x.shape == (7, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (7,) and y.dtype == torch.int64
    torch.testing.assert_close(x, torch.from_numpy(images).float().unsqueeze(1) / 255)
    assert torch.equal(y, torch.from_numpy(labels).long())
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_load_mnist_idx_without_labels(write_idx, mnist_arrays):
    x, y = load_mnist_idx(write_idx("img", mnist_arrays[0]))
    assert x.shape == (7, 1, 28, 28) and y is None


def test_expect_magic_false_accepts_float_images(write_idx):
    images = np.random.default_rng(2).random((2, 28, 28)).astype(np.float32)
    path = write_idx("float-images", images)
    with pytest.raises(ValueError, match="magic 3331"):  # 0x0D03: float, 3 dims
        load_mnist_idx(path)
    x, _ = load_mnist_idx(path, expect_magic=False)
    torch.testing.assert_close(x[:, 0], torch.from_numpy(images))


# ---- corrupted files: every failure is a ValueError that names the file -----------------------


def _corrupt_cases(images, labels, encode):
    good = encode(images)
    header = good[:16]
    return {
        "labels-magic-on-images": encode(images.reshape(-1)),  # 2049, not 2051
        "nonzero-first-bytes": b"\x01\x00" + good[2:],
        "bad-dtype-code": good[:2] + b"\x0a" + good[3:],
        "truncated-payload": good[:-1000],
        "trailing-bytes": good + b"\x00\x00\x00",
        "truncated-header": header[:10],
        "empty": b"",
        "wrong-image-size": encode(images.reshape(7, 14, 56)),
    }


CORRUPT = [
    "labels-magic-on-images",
    "nonzero-first-bytes",
    "bad-dtype-code",
    "truncated-payload",
    "trailing-bytes",
    "truncated-header",
    "empty",
    "wrong-image-size",
]
EXPECTED_MESSAGE = {
    "labels-magic-on-images": "expected 2051",
    "nonzero-first-bytes": "two zero bytes",
    "bad-dtype-code": "dtype code 0x0A",
    "truncated-payload": "truncated: header declares 5488 bytes of data",
    "trailing-bytes": "3 trailing bytes",
    "truncated-header": "truncated header",
    "empty": "too short",
    "wrong-image-size": r"\(N, 28, 28\)",
}


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("case", CORRUPT)
def test_corrupt_images_file(write_idx, encode_idx, mnist_arrays, case, gz):
    data = _corrupt_cases(*mnist_arrays, encode_idx)[case]
    path = write_idx(f"broken-{case}-images", data, gz=gz)
    with pytest.raises(ValueError, match=EXPECTED_MESSAGE[case]) as info:
        load_mnist_idx(path)
    assert path.name in str(info.value)
    assert isinstance(info.value, IDXFormatError)


def test_truncated_message_counts_bytes(write_idx, encode_idx):
    # The brief's example: 10,000 MNIST images declared, 1,000 bytes present.
    header = bytes([0, 0, 8, 3]) + (10_000).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2
    path = write_idx("t10k-images-idx3-ubyte.gz", header + bytes(1000), gz=True)
    with pytest.raises(ValueError) as info:
        read_idx(path)
    msg = str(info.value)
    assert msg.startswith(str(path))
    assert "declares 7840000 bytes" in msg and "found 1000" in msg


def test_wrong_labels_magic(write_idx, mnist_arrays):
    images, labels = mnist_arrays
    bad_labels = write_idx("labels-with-image-magic", labels.reshape(7, 1, 1))
    with pytest.raises(ValueError, match="expected 2049") as info:
        load_mnist_idx(write_idx("img", images), bad_labels)
    assert bad_labels.name in str(info.value)


def test_mismatched_counts(write_idx, mnist_arrays):
    images, labels = mnist_arrays
    img, lab = write_idx("img-file", images), write_idx("lab-file", labels[:5])
    with pytest.raises(ValueError, match="5 labels") as info:
        load_mnist_idx(img, lab)
    assert "lab-file" in str(info.value) and "img-file" in str(info.value)


def _gzip_damage(data: bytes, how: str) -> bytes:
    z = gzip.compress(data, mtime=0)
    if how == "truncated-stream":
        return z[: len(z) // 2]  # gzip raises EOFError
    if how == "bad-crc":
        return z[:-8] + bytes([z[-8] ^ 0xFF]) + z[-7:]  # gzip raises BadGzipFile (OSError)
    if how == "bad-deflate":
        # Invalid block type 3 in the first deflate header byte: zlib.error.
        return z[:10] + bytes([z[10] | 0x06]) + z[11:]
    if how == "header-only":
        return z[:5]
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["truncated-stream", "bad-crc", "bad-deflate", "header-only"])
def test_corrupt_gzip(write_idx, encode_idx, mnist_arrays, how):
    data = _gzip_damage(encode_idx(mnist_arrays[0]), how)
    assert data[:2] == b"\x1f\x8b"
    path = write_idx(f"damaged-{how}.gz", data)
    with pytest.raises(ValueError, match="corrupt gzip") as info:
        read_idx(path)
    assert path.name in str(info.value)
    # The low-level cause stays attached for debugging.
    assert isinstance(info.value.__cause__, OSError | EOFError | zlib.error)


# ---- load_mnist: the standard file names in a folder ------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gzip"])
def test_load_mnist_folder(write_idx, mnist_arrays, tmp_path, gz):
    images, labels = mnist_arrays
    suffix = ".gz" if gz else ""
    write_idx("train-images-idx3-ubyte" + suffix, images, gz=gz)
    write_idx("train-labels-idx1-ubyte" + suffix, labels, gz=gz)
    write_idx("t10k-images-idx3-ubyte" + suffix, images[:3], gz=gz)
    write_idx("t10k-labels-idx1-ubyte" + suffix, labels[:3], gz=gz)
    x, y = load_mnist(tmp_path, "train")
    assert x.shape == (7, 1, 28, 28) and torch.equal(y, torch.from_numpy(labels).long())
    x, y = load_mnist(tmp_path, split="test")
    assert x.shape == (3, 1, 28, 28) and y.shape == (3,)


def test_load_mnist_errors(write_idx, mnist_arrays, tmp_path):
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist(tmp_path, "valid")
    write_idx("train-images-idx3-ubyte.gz", mnist_arrays[0], gz=True)
    with pytest.raises(MissingDataError, match="train-labels-idx1-ubyte"):
        load_mnist(tmp_path, "train")
    with pytest.raises(MissingDataError, match="no such directory"):
        load_mnist(tmp_path / "nowhere", "train")


def test_missing_file_is_both_value_and_file_not_found_error(tmp_path):
    path = tmp_path / "absent-idx3-ubyte"
    for exc in (ValueError, FileNotFoundError):
        with pytest.raises(exc, match="absent-idx3-ubyte: no such file"):
            read_idx(path)
    with pytest.raises(MissingDataError):
        load_mnist_idx(tmp_path / "img", path)
