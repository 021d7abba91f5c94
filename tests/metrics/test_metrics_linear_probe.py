import numpy as np
import pytest
import torch

from inference.metrics import cluster_accuracy, kmeans_accuracy, linear_probe


def _labels(n, seed):
    return np.random.default_rng(seed).integers(0, 10, n)


def test_one_hot_label_features_reach_100_percent():
    y_train, y_test = _labels(300, 0), _labels(200, 1)
    r = linear_probe(np.eye(10)[y_train], y_train, np.eye(10)[y_test], y_test)
    assert r.accuracy == 1.0 and r.num_train == 300
    few = linear_probe(np.eye(10)[y_train], y_train, np.eye(10)[y_test], y_test,
                       labels_per_class=3)
    assert few.accuracy == 1.0 and few.num_train == 30


def test_noise_features_are_at_chance():
    rng = np.random.default_rng(2)
    y_train, y_test = _labels(1000, 3), _labels(2000, 4)
    r = linear_probe(rng.normal(size=(1000, 20)), y_train, rng.normal(size=(2000, 20)), y_test)
    # Chance is ~0.1 on ten balanced classes; 2,000 test rows give a binomial sd of 0.007,
    # and a probe overfitting noise does no better in expectation: 0.05 is seven sd.
    assert abs(r.accuracy - 0.1) < 0.05 and abs(r.chance - 0.1) < 0.05


def test_mismatched_lengths_single_class_and_too_few_labels_are_clear_errors():
    f, y = np.zeros((10, 3)), np.arange(10) % 2
    with pytest.raises(ValueError, match="features_train has 10 rows but y_train has 9"):
        linear_probe(f, y[:9], f, y)
    with pytest.raises(ValueError, match="features_test has 10 rows but y_test has 8"):
        linear_probe(f, y, f, y[:8])
    with pytest.raises(ValueError, match="at least two classes"):
        linear_probe(f, np.zeros(10, dtype=int), f, y)
    with pytest.raises(ValueError, match="3 features"):
        linear_probe(f, y, np.zeros((10, 4)), y)
    with pytest.raises(ValueError, match="class 0 has only 5"):
        linear_probe(f, y, f, y, labels_per_class=6)
    with pytest.raises(ValueError, match="integer class labels"):
        linear_probe(f, y.astype(float), f, y)
    with pytest.raises(ValueError, match="labels"):
        kmeans_accuracy(f, np.zeros(9, dtype=int))
    with pytest.raises(ValueError, match="at least two classes"):
        kmeans_accuracy(f, np.zeros(10, dtype=int))


def test_cluster_accuracy_is_invariant_to_renaming_clusters():
    y = np.repeat(np.arange(4), 5)
    assert cluster_accuracy((y + 1) % 4, y) == 1.0
    wrong = y.copy()
    wrong[:2] = 3
    assert cluster_accuracy(wrong, y) == pytest.approx(18 / 20)


def test_kmeans_recovers_well_separated_classes_and_not_noise():
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(5), 40)
    centres = 20 * rng.normal(size=(5, 2))
    assert kmeans_accuracy(torch.tensor(centres[y] + rng.normal(size=(200, 2))), y) == 1.0
    # Five clusters in pure noise: the Hungarian match can only do a little above 1/5.
    assert kmeans_accuracy(rng.normal(size=(200, 2)), y) < 0.35


def test_one_label_per_class_falls_back_to_a_fixed_regularisation():
    y_train, y_test = _labels(300, 6), _labels(100, 7)
    r = linear_probe(np.eye(10)[y_train], y_train, np.eye(10)[y_test], y_test,
                     labels_per_class=1)
    assert r.num_train == 10 and not r.cross_validated and r.C == 1.0
    assert r.accuracy == 1.0  # one-hot features: a single example per class suffices
