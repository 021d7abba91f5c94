"""Checks against the real benchmark files in ``../shared/data`` (skipped when absent).

The library never looks there itself; only these tests do, relative to the repository root.
"""

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from ppl_models.data import load_binarized_mnist, load_dataset, load_mnist_idx, read_idx

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
MNIST_DIR = SHARED / "mnist"
BINARIZED = SHARED / "binarized_mnist.npz"
BINARIZED_TEST_LABELS = SHARED / "binarized_mnist_test_labels.npz"

MNIST_TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
BINARIZED_SIZES = {"train": 50_000, "valid": 10_000, "test": 10_000}
BINARIZED_MEANS = {"train": 0.13056, "valid": 0.13113, "test": 0.13251}


def _require(*paths):
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        pytest.skip(f"benchmark data not present: {', '.join(missing)}")


@pytest.fixture(scope="module")
def mnist():
    _require(MNIST_DIR)
    # Read once for the module: decompressing the 60k training images is the slow part.
    return load_dataset("mnist", path=MNIST_DIR, binarize=None)


@pytest.fixture(scope="module")
def binarized():
    _require(BINARIZED)
    return load_binarized_mnist(BINARIZED)


def test_mnist_shapes_and_label_counts(mnist):
    assert mnist.sizes() == {"train": 50_000, "valid": 10_000, "test": 10_000}
    assert mnist.train.shape[1:] == (1, 28, 28) and mnist.train.dtype == torch.float32
    assert torch.bincount(mnist.test_labels).tolist() == MNIST_TEST_LABEL_COUNTS
    n_train_labels = torch.bincount(torch.cat([mnist.train_labels, mnist.valid_labels]))
    assert n_train_labels.sum() == 60_000
    for split in ("train", "valid", "test"):
        x = mnist.images(split)
        assert x.min() == 0.0 and x.max() == 1.0


@pytest.mark.parametrize(
    "stem,magic", [("t10k-images-idx3-ubyte", 2051), ("t10k-labels-idx1-ubyte", 2049)]
)
def test_t10k_bytes_match_published_sha256(stem, magic):
    # Re-encoding what read_idx parsed must give the published file byte for byte: this pins
    # dims, dtype and byte order, for the recompressed (images) and original (labels) gzip.
    _require(MNIST_DIR / f"{stem}.gz", MNIST_DIR / "SHA256SUMS.uncompressed")
    lines = (MNIST_DIR / "SHA256SUMS.uncompressed").read_text().split("\n")
    sums = {name: digest for digest, name in (line.split() for line in lines if line.strip())}
    array = read_idx(MNIST_DIR / f"{stem}.gz")
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    assert hashlib.sha256(header + array.tobytes()).hexdigest() == sums[stem]


def test_mnist_raw_idx_images_only():
    _require(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    x, y = load_mnist_idx(MNIST_DIR / "t10k-images-idx3-ubyte.gz")
    assert x.shape == (10_000, 1, 28, 28) and y is None


def test_binarized_sizes_and_means(binarized):
    for split, n in BINARIZED_SIZES.items():
        x = binarized[split]
        assert x.shape == (n, 784) and x.dtype == torch.float32
        assert x.min() == 0.0 and x.max() == 1.0 and ((x == 0) | (x == 1)).all()
        # float64 sum: a float32 sum over 39M pixels could drift by more than the tolerance.
        assert abs(x.double().mean().item() - BINARIZED_MEANS[split]) < 5e-5


def test_binarized_test_is_a_bernoulli_draw_of_mnist_test(binarized, mnist):
    # Each binarized test row is one Bernoulli draw from an MNIST test image, so a pixel of
    # intensity 0 can never be 1. This fails if bit order, row order or pixel order
    # (row-major 28 x 28) differed between the two readers.
    _require(BINARIZED_TEST_LABELS)
    with np.load(BINARIZED_TEST_LABELS) as z:
        index = torch.from_numpy(z["mnist_test_index"]).long()
        labels = torch.from_numpy(z["labels"]).long()
    assert torch.equal(mnist.test_labels[index], labels)
    grey = mnist.flat("test")[index]
    bits = binarized["test"]
    assert bits[grey == 0].sum() == 0
    # And where the intensity is positive the draw has the right mean: ~1.04M ones among
    # ~1.5M pixels, binomial standard error < 0.0005, tolerance 0.005 = 10 SE.
    positive = grey > 0
    assert abs(bits[positive].mean() - grey[positive].mean()) < 5e-3
