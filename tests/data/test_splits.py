import dataclasses

import pytest
import torch

from ppl_models.data import DataSplits, random_split


def _indexed_images(n, shape=(1, 2, 3)):
    # Every pixel of image i equals i, so a split's contents reveal which images it got.
    return torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, *shape).clone()


def test_random_split_sizes_disjoint_and_covering():
    n = 1797
    images, labels = _indexed_images(n), torch.arange(n) % 10
    s = random_split(images, labels, seed=0, name="toy")
    assert s.sizes() == {"train": 1437, "valid": 180, "test": 180}
    ids = torch.cat([s.train[:, 0, 0, 0], s.valid[:, 0, 0, 0], s.test[:, 0, 0, 0]]).long()
    assert torch.equal(ids.sort().values, torch.arange(n))
    # Labels travel with their images.
    for split in ("train", "valid", "test"):
        x, y = s.images(split), s.labels(split)
        assert y.dtype == torch.int64
        assert torch.equal(x[:, 0, 0, 0].long() % 10, y)
    assert s.image_shape == (1, 2, 3) and s.name == "toy" and s.dim == 6


def test_random_split_is_shuffled():
    s = random_split(_indexed_images(1000), seed=0)
    first = s.train[:, 0, 0, 0]
    assert not torch.equal(first, first.sort().values)
    assert s.train_labels is None and s.labels("test") is None


def test_random_split_deterministic_by_seed():
    images = _indexed_images(500)
    torch.manual_seed(123)
    a = random_split(images, seed=7)
    torch.manual_seed(456)  # the global RNG must not matter
    b = random_split(images, seed=7)
    c = random_split(images, seed=8)
    for split in ("train", "valid", "test"):
        assert torch.equal(a.images(split), b.images(split))
    assert not torch.equal(a.train, c.train)


@pytest.mark.parametrize(
    "n,fractions,sizes",
    [
        (10, (0.8, 0.1, 0.1), (8, 1, 1)),
        (3, (0.0, 0.5, 0.5), (0, 2, 1)),  # rounding must not make train negative
        (5000, (0.5, 0.5, 0.0), (2500, 2500, 0)),
    ],
)
def test_random_split_fractions(n, fractions, sizes):
    s = random_split(_indexed_images(n), fractions=fractions, seed=0)
    assert tuple(s.sizes().values()) == sizes


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(fractions=(0.5, 0.5, 0.5)), "fractions"),
        (dict(fractions=(0.9, 0.1)), "fractions"),
        (dict(fractions=(1.2, -0.1, -0.1)), "fractions"),
        (dict(labels=torch.zeros(9)), r"labels must have shape \(10,\)"),
    ],
)
def test_random_split_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        random_split(_indexed_images(10), **kwargs)


def test_random_split_rejects_flat_images():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        random_split(torch.zeros(10, 784))


def test_flat_is_a_view():
    s = random_split(_indexed_images(20, (1, 4, 4)), seed=0)
    flat = s.flat("valid")
    assert flat.shape == (2, 16)
    assert flat.data_ptr() == s.valid.data_ptr()
    assert torch.equal(flat.view(2, 1, 4, 4), s.valid)
    with pytest.raises(ValueError, match="split must be one of"):
        s.flat("validation")


def test_datasplits_validation_and_frozen():
    x = torch.zeros(4, 1, 2, 2)
    s = DataSplits(x, x[:2], x[:1], name="z")
    assert s.image_shape == (1, 2, 2)  # inferred from train
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.train = x
    with pytest.raises(ValueError, match="valid must have shape"):
        DataSplits(x, torch.zeros(2, 1, 3, 3), x, image_shape=(1, 2, 2))
    with pytest.raises(ValueError, match="test_labels has shape"):
        DataSplits(x, x, x, test_labels=torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        DataSplits(x, x, x, image_shape=(4, 4))
    assert (
        repr(s) == "DataSplits(name='z', image_shape=(1, 2, 2), train=4, valid=2, test=1, "
        "labels=False)"
    )
