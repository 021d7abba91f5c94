from pathlib import Path

import numpy as np
import pytest

from ppl_models.data import MissingDataError, load_binarized_mnist_test_labels

SHARED_LABELS = (Path(__file__).resolve().parents[2].parent / "shared" / "data"
                 / "binarized_mnist_test_labels.npz")


def test_reads_labels_and_refuses_bad_files(tmp_path):
    good = tmp_path / "labels.npz"
    np.savez(good, labels=np.array([3, 0, 9], dtype=np.uint8))
    assert load_binarized_mnist_test_labels(good).tolist() == [3, 0, 9]
    np.savez(tmp_path / "other.npz", digits=np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="no array 'labels'"):
        load_binarized_mnist_test_labels(tmp_path / "other.npz")
    np.savez(tmp_path / "range.npz", labels=np.array([1, 10]))
    with pytest.raises(ValueError, match="0..9"):
        load_binarized_mnist_test_labels(tmp_path / "range.npz")
    with pytest.raises(MissingDataError):
        load_binarized_mnist_test_labels(tmp_path / "absent.npz")


def test_shared_labels_have_the_mnist_test_counts():
    if not SHARED_LABELS.is_file():
        pytest.skip(f"benchmark data not present: {SHARED_LABELS}")
    labels = load_binarized_mnist_test_labels(SHARED_LABELS)
    assert labels.bincount().tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974,
                                          1009]
