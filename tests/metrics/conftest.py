import pytest

from ppl_models.data import binarize_threshold, load_digits_images


@pytest.fixture(scope="module")
def digits():
    """sklearn digits binarised at 0.5: ``(1797, 1, 8, 8)`` images and labels."""
    images, labels = load_digits_images()
    return binarize_threshold(images), labels
