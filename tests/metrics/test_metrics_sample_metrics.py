"""Sample metrics on the local classifier's features: FID/KID, precision/recall, histograms.

The classifier is trained once per test session (8 epochs on digits, a few seconds) in a
temporary cache; the checks are relative (against noise, one class, a real-vs-real floor),
never against fixed numbers, since the weights depend on the machine.
"""

import pytest
import torch

from inference.metrics import (
    class_histogram,
    feature_classifier,
    frechet_distance,
    kernel_distance,
    precision_recall,
)
from ppl_models.data import load_dataset


@pytest.fixture(scope="session")
def digits_classifier(tmp_path_factory):
    cache = tmp_path_factory.mktemp("feature_cache")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small CNN: one thread is as fast idle, faster when loaded
    try:
        model, info = feature_classifier("digits", cache_dir=cache, epochs=8)
    finally:
        torch.set_num_threads(threads)
    return model, info, cache


@pytest.fixture(scope="session")
def digits():
    return load_dataset("digits", binarize=None, seed=0)


def test_classifier_is_accurate_cached_and_named(digits_classifier):
    model, info, cache = digits_classifier
    assert info["test_accuracy"] > 0.9  # ~0.95-0.98 after 8 epochs; chance is 0.1
    assert not info["cached"] and len(info["weights_sha256"]) == 64
    again, info2 = feature_classifier("digits", cache_dir=cache, epochs=8)
    # Read back, not retrained: the same weights, hence the same hash.
    assert info2["cached"] and info2["weights_sha256"] == info["weights_sha256"]
    assert model.num_features == 64
    # Both the trained and the read-back classifier know the image size they accept.
    assert model.image_shape == again.image_shape == (1, 8, 8)


def test_fid_train_test_is_small_next_to_noise_and_one_class(digits_classifier, digits):
    model, _, _ = digits_classifier
    train, test = digits.train, digits.test
    floor = frechet_distance(train, test, model)["fid"]
    g = torch.Generator().manual_seed(0)
    noise = frechet_distance(train, torch.rand(len(test), 1, 8, 8, generator=g), model)["fid"]
    ones = train[digits.train_labels == 1]
    one_class = frechet_distance(train, ones, model)["fid"]
    # Tens of times apart in practice; a factor of 5 is a conservative margin.
    assert floor * 5 < one_class and floor * 5 < noise
    out = frechet_distance(train, test, model)
    assert out["extractor"] == "FeatureClassifier" and out["num_features"] == 64
    assert out["extractor_sha256"] == model.weights_sha256


def test_kid_orders_the_same_way(digits_classifier, digits):
    model, _, _ = digits_classifier
    real = kernel_distance(digits.train, digits.test, model, subsets=20)
    ones = kernel_distance(digits.train, digits.train[digits.train_labels == 1], model,
                           subsets=20)
    assert real["kid"] < ones["kid"] and real["kid"] < 5 * real["kid_std"] + 1e-3


def test_precision_and_recall_near_one_for_two_samples_of_one_distribution(
        digits_classifier, digits):
    model, _, _ = digits_classifier
    pr = precision_recall(model.features(digits.train[:700]),
                          model.features(digits.train[700:1400]))
    # k = 5 balls around 700 points: a fresh point of the same law falls outside all of them
    # only rarely; 0.9 leaves room for the digits' outliers.
    assert pr["precision"] > 0.9 and pr["recall"] > 0.9
    assert 0.7 < pr["density"] < 1.3 and pr["coverage"] > 0.9
    ones = model.features(digits.train[digits.train_labels == 1])
    pr1 = precision_recall(model.features(digits.train[:700]), ones)
    assert pr1["recall"] < 0.4 and pr1["coverage"] < 0.3  # one class of ten


def test_precision_recall_on_gaussians_and_bad_input():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(500, 3, generator=g), torch.randn(500, 3, generator=g)
    pr = precision_recall(a, b)
    assert pr["precision"] > 0.9 and pr["recall"] > 0.9
    far = precision_recall(a, b + 10)
    assert far["precision"] == far["recall"] == far["coverage"] == 0.0
    with pytest.raises(ValueError, match="k must"):
        precision_recall(a, b, k=500)
    with pytest.raises(ValueError, match="share F"):
        precision_recall(a, b[:, :2])


def test_class_histogram(digits_classifier, digits):
    model, _, _ = digits_classifier
    h = class_histogram(digits.test, model)
    assert h["classes_present"] == 10 and h["kl_to_uniform"] < 0.05
    h1 = class_histogram(digits.train[digits.train_labels == 3], model)
    # A few misclassified threes may add classes; the mass stays on 3 (log 10 = 2.30).
    assert h1["fractions"][3] > 0.9 and h1["kl_to_uniform"] > 1.5


def test_bad_images_are_refused(digits_classifier):
    model, _, _ = digits_classifier
    with pytest.raises(ValueError, match="fake"):
        frechet_distance(torch.rand(5, 1, 8, 8), torch.rand(5, 64), model)
    with pytest.raises(ValueError, match="real"):
        frechet_distance(torch.rand(1, 1, 8, 8), torch.rand(5, 1, 8, 8), model)
