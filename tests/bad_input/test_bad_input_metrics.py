"""Bad input to the sample metrics: a ValueError naming the argument, never a wrong number.

The classifier is an untrained one of 4 features on 8x8 images: what these cases check (the
arguments) does not depend on its weights, and it needs no training.
"""

import math

import pytest
import torch
from catalogue import Case, assert_clear

from inference.metrics import (
    FeatureClassifier,
    class_histogram,
    frechet_distance,
    kernel_distance,
    mode_coverage,
)

G = torch.Generator().manual_seed(0)
IMAGES = torch.rand(12, 1, 8, 8, generator=G)
LARGE = torch.rand(12, 1, 28, 28, generator=G)
RING = torch.stack([torch.cos(torch.arange(8) * math.pi / 4),
                    torch.sin(torch.arange(8) * math.pi / 4)], 1)
POINTS = RING[:3] + 0.001


def classifier():
    torch.manual_seed(0)
    return FeatureClassifier(1, 10, num_features=4, image_shape=(1, 8, 8))


def fid(real=IMAGES, fake=IMAGES, extractor=None):
    return frechet_distance(real, fake, classifier() if extractor is None else extractor)


def kid(real=IMAGES, fake=IMAGES, **kw):
    return kernel_distance(real, fake, classifier(), subsets=2, **kw)


def histogram(images=IMAGES, **kw):
    return class_histogram(images, classifier(), **kw)


def coverage(samples=POINTS, means=RING, std=0.01, **kw):
    return mode_coverage(samples, means, std, **kw)


CASES = [
    Case("FID of 28x28 against 8x8", lambda: fid(fake=LARGE), ("real", "fake", "(1, 28, 28)")),
    Case("FID of images the classifier was not trained on",
         lambda: fid(LARGE, LARGE), ("(1, 28, 28)", "trained on (1, 8, 8)")),
    Case("FID of images in 0..255", lambda: fid(fake=IMAGES * 255), ("fake", "[0, 1]", "255")),
    Case("FID of uint8 images", lambda: fid(real=(IMAGES * 255).to(torch.uint8)),
         ("real", "uint8")),
    Case("FID of 2 images per set", lambda: fid(IMAGES[:2], IMAGES[:2]),
         ("real", "at least 5", "4 features")),
    Case("FID of NaN images", lambda: fid(fake=IMAGES * math.nan), ("fake", "NaN")),
    Case("FID given feature_classifier()'s pair",
         lambda: fid(extractor=(classifier(), {"name": "x"})), ("extractor", "tuple")),
    Case("KID of 28x28 against 8x8", lambda: kid(fake=LARGE), ("real", "fake")),
    Case("KID of images in 0..255", lambda: kid(real=IMAGES * 255), ("real", "[0, 1]")),
    Case("KID subsets larger than the sets", lambda: kid(subset_size=50), ("subset_size",)),
    Case("KID given feature_classifier()'s pair",
         lambda: kernel_distance(IMAGES, IMAGES, (classifier(), {})), ("extractor", "tuple")),
    Case("mode coverage with min_count 0", lambda: coverage(min_count=0), ("min_count",)),
    Case("mode coverage with min_count -1", lambda: coverage(min_count=-1), ("min_count",)),
    Case("mode coverage with an infinite std", lambda: coverage(std=math.inf), ("std",)),
    Case("mode coverage with std 0", lambda: coverage(std=0.0), ("std",)),
    Case("mode coverage with NaN means", lambda: coverage(means=RING * math.nan), ("means",)),
    Case("mode coverage with no means", lambda: coverage(means=RING[:0]), ("means",)),
    Case("mode coverage with a NaN threshold", lambda: coverage(threshold=math.nan),
         ("threshold",)),
    Case("class histogram with fewer classes than predicted",
         lambda: histogram(num_classes=2), ("num_classes", "10")),
    Case("class histogram of NaN images", lambda: histogram(IMAGES * math.nan),
         ("images", "NaN")),
    Case("class histogram of 28x28 images for an 8x8 classifier",
         lambda: histogram(LARGE), ("(1, 28, 28)", "trained on")),
    Case("class histogram of images in 0..255", lambda: histogram(IMAGES * 255),
         ("images", "[0, 1]")),
    Case("class histogram given feature_classifier()'s pair",
         lambda: class_histogram(IMAGES, (classifier(), {})), ("classifier", "tuple")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_metric_input(case):
    assert_clear(case)


def test_good_input_still_scores():
    """The checks refuse only bad input: a set against itself is at distance ~0."""
    assert abs(fid()["fid"]) < 1e-3
    assert histogram()["num_classes"] == 10
    cov = coverage(RING)
    assert cov.modes_captured == 8 and cov.high_quality == 1.0
