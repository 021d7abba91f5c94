"""Stacked MNIST builder and its mode counter on stacks whose count is known."""

import os
from pathlib import Path

import pytest
import torch

from inference.metrics.stacked_modes import stacked_mode_count
from ppl_models.data.stacked_mnist import stack_digits, stacked_mode

# The shared data: $PPL_MODELS_DATA, else ../shared/data beside the repository.
MNIST = Path(os.environ.get("PPL_MODELS_DATA",
                            Path(__file__).resolve().parents[3] / "shared" / "data")) / "mnist"
ABSENT = f"MNIST IDX files not in {MNIST} (set PPL_MODELS_DATA)"


def test_stacked_mode_hand_case():
    assert stacked_mode(torch.tensor([[1, 2, 3], [9, 0, 0]])).tolist() == [123, 900]
    with pytest.raises(ValueError, match="labels"):
        stacked_mode(torch.tensor([[1, 2]]))


def test_stack_digits_channels_are_the_drawn_digits():
    images = torch.arange(10.0).view(10, 1, 1, 1).expand(10, 1, 2, 2) / 10
    labels = torch.arange(10)
    stacks, modes = stack_digits(images, labels, 50, seed=3)
    assert stacks.shape == (50, 3, 2, 2)
    # each channel's grey level is its digit / 10, so the mode reads back from the pixels
    digits = (stacks[:, :, 0, 0] * 10).round().long()
    assert torch.equal(modes, stacked_mode(digits))


class _Oracle:
    """A classifier that reads the digit off a constant image (grey level = digit / 10)."""

    def predict(self, x):
        return (x[:, 0, 0, 0] * 10).round().long()


def test_mode_count_known():
    images = torch.arange(10.0).view(10, 1, 1, 1).expand(10, 1, 2, 2) / 10
    labels = torch.arange(10)
    # every one of the 1000 triples once: 1000 modes, uniform, KL 0
    grid = torch.cartesian_prod(labels, labels, labels)
    stacks = images[grid.flatten(), 0].view(1000, 3, 2, 2)
    out = stacked_mode_count(stacks, _Oracle())
    assert out["modes"] == 1000 and out["kl_to_uniform"] == pytest.approx(0.0, abs=1e-9)
    # only the triples with a 0 in R: 100 modes, KL = log(1000 / 100)
    out = stacked_mode_count(stacks[grid[:, 0] == 0], _Oracle())
    assert out["modes"] == 100 and out["kl_to_uniform"] == pytest.approx(2.302585, abs=1e-5)


@pytest.mark.skipif(not MNIST.is_dir(), reason=ABSENT)
def test_real_stacks_modes_match_labels():
    from ppl_models.data import load_mnist
    images, labels = load_mnist(MNIST, "test")
    stacks, modes = stack_digits(images[:2000], labels[:2000], 3000, seed=0)
    # the builder's own labels: 3000 draws over 1000 near-uniform modes cover ~95%
    # (1 - e^-3 = 0.950); 900 leaves room for the digits' class imbalance.
    assert 900 < len(modes.unique()) <= 1000
    assert stacks.shape == (3000, 3, 28, 28) and 0 <= stacks.min() and stacks.max() <= 1


@pytest.mark.skipif(not MNIST.is_dir(), reason=ABSENT)
def test_mode_count_on_real_stacks_with_local_classifier():
    from inference.metrics import feature_classifier
    from ppl_models.data import load_mnist
    classifier, info = feature_classifier("mnist5k", seed=0)
    images, labels = load_mnist(MNIST, "test")
    stacks, modes = stack_digits(images, labels, 300, seed=1)
    known = len(modes.unique())
    out = stacked_mode_count(stacks, classifier)
    # A classifier with per-digit accuracy a reads a triple right with probability a^3
    # (0.93^3 = 0.80 for mnist5k's); each misread can only move one stack, so the count is
    # within 25% of the known one.
    assert abs(out["modes"] - known) <= 0.25 * known, (out, known, info["test_accuracy"])
