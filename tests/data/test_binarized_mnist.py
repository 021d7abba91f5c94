import numpy as np
import pytest
import torch

from ppl_models.data import MissingDataError, load_binarized_mnist, read_amat

SIZES = {"train": 5, "valid": 3, "test": 4}


@pytest.fixture
def bits():
    rng = np.random.default_rng(3)
    return {k: (rng.random((n, 784)) < 0.3).astype(np.uint8) for k, n in SIZES.items()}


def _write_amat(path, rows, fmt="{:d}", newline="\n"):
    lines = [" ".join(fmt.format(v) for v in row) for row in rows]
    path.write_text(newline.join(lines) + newline)
    return path


def test_packed_npz(tmp_path, bits):
    path = tmp_path / "bm.npz"
    np.savez(path, **{k: np.packbits(v, axis=1) for k, v in bits.items()})
    data = load_binarized_mnist(path)
    assert set(data) == {"train", "valid", "test"}
    for k, v in bits.items():
        assert data[k].shape == (SIZES[k], 784) and data[k].dtype == torch.float32
        # Exact equality checks bit order (packbits is big-endian within each byte).
        assert torch.equal(data[k], torch.from_numpy(v).float())


def test_unpacked_npz_and_directory(tmp_path, bits):
    np.savez_compressed(tmp_path / "binarized_mnist.npz", **bits)
    data = load_binarized_mnist(tmp_path)  # a folder holding binarized_mnist.npz
    for k, v in bits.items():
        assert torch.equal(data[k], torch.from_numpy(v).float())


@pytest.mark.parametrize(
    "fmt,newline",
    [("{:d}", "\n"), ("{:d}", "\r\n"), ("{:.1f}", "\n")],
    ids=["int", "crlf", "float"],  # "float" exercises the general (slow) parser
)
def test_read_amat(tmp_path, bits, fmt, newline):
    path = _write_amat(tmp_path / "binarized_mnist_test.amat", bits["test"], fmt, newline)
    x = read_amat(path)
    assert x.shape == (4, 784) and x.dtype == torch.float32
    assert torch.equal(x, torch.from_numpy(bits["test"]).float())


def test_amat_directory(tmp_path, bits):
    for k, v in bits.items():
        _write_amat(tmp_path / f"binarized_mnist_{k}.amat", v)
    data = load_binarized_mnist(tmp_path)
    for k, v in bits.items():
        assert torch.equal(data[k], torch.from_numpy(v).float())


def test_amat_blank_lines_ignored(tmp_path, bits):
    path = tmp_path / "x.amat"
    rows = [" ".join(map(str, r)) for r in bits["valid"]]
    path.write_text("\n" + rows[0] + "\n\n" + "\n".join(rows[1:]))  # no final newline
    assert torch.equal(read_amat(path), torch.from_numpy(bits["valid"]).float())


# ---- malformed input ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["{:d}", "{:.1f}"])
def test_amat_wrong_width(tmp_path, bits, fmt):
    rows = [list(r) for r in bits["train"]]
    rows[2] = rows[2][:783]
    path = _write_amat(tmp_path / "short-row.amat", rows, fmt)
    with pytest.raises(ValueError, match="line 3 has 783 values, expected 784") as info:
        read_amat(path)
    assert "short-row.amat" in str(info.value)


@pytest.mark.parametrize("bad", ["2", "0.5", "-1", "x", "nan"])
def test_amat_non_binary(tmp_path, bits, bad):
    rows = [[str(v) for v in r] for r in bits["train"]]
    rows[1][10] = bad
    path = tmp_path / "bad-value.amat"
    path.write_text("\n".join(" ".join(r) for r in rows) + "\n")
    with pytest.raises(ValueError, match="line 2") as info:
        read_amat(path)
    assert "bad-value.amat" in str(info.value)


def test_amat_empty(tmp_path):
    path = tmp_path / "empty.amat"
    path.write_text("\n")
    with pytest.raises(ValueError, match="empty.amat: no images"):
        read_amat(path)


def test_single_amat_file_is_rejected_by_load(tmp_path, bits):
    path = _write_amat(tmp_path / "binarized_mnist_test.amat", bits["test"])
    with pytest.raises(ValueError, match="read_amat"):
        load_binarized_mnist(path)


def test_npz_missing_key(tmp_path, bits):
    path = tmp_path / "no-valid.npz"
    np.savez(path, train=np.packbits(bits["train"], axis=1), test=np.packbits(bits["test"], axis=1))
    with pytest.raises(ValueError, match=r"missing array\(s\) \['valid'\]") as info:
        load_binarized_mnist(path)
    assert "no-valid.npz" in str(info.value)


@pytest.mark.parametrize(
    "array,match",
    [
        (np.zeros((3, 97), np.uint8), "width 97"),
        (np.zeros((3, 98), np.int64), "width 98"),  # 98 columns but not packed bytes
        (np.zeros((3, 785), np.uint8), "width 785"),
        (np.full((3, 784), 2, np.uint8), "non-binary"),
        (np.zeros(784, np.uint8), "expected 2-D"),
    ],
    ids=["97", "98-int64", "785", "value-2", "1-D"],
)
def test_npz_bad_arrays(tmp_path, bits, array, match):
    path = tmp_path / "bad-array.npz"
    good = {k: np.packbits(v, axis=1) for k, v in bits.items()}
    np.savez(path, **{**good, "valid": array})
    with pytest.raises(ValueError, match=match) as info:
        load_binarized_mnist(path)
    assert "bad-array.npz" in str(info.value) and "'valid'" in str(info.value)


def test_unreadable_paths(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"this is not a zip archive")
    with pytest.raises(ValueError, match="junk.npz"):
        load_binarized_mnist(junk)
    with pytest.raises(MissingDataError, match="no such file"):
        load_binarized_mnist(tmp_path / "missing.npz")
    with pytest.raises(MissingDataError, match="found neither"):
        load_binarized_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="missing.amat"):
        read_amat(tmp_path / "missing.amat")
