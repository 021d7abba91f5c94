"""The labelled rows of the fixed binarized MNIST, for the representation benchmark.

Only the 10,000 test rows of the Larochelle & Murray split carry labels
(``binarized_mnist_test_labels.npz``); train and valid rows are unlabelled. Whatever needs a
label (which class to hold out, a probe's targets) therefore comes from a seeded random
split of the test rows, which are sorted by label on disk. Imported as a sibling module.
(The anomaly benchmark, which used it too, now trains through ``ppl-models train
--holdout-class`` on thresholded MNIST, labelled in every split.)
"""

from pathlib import Path

import torch

from ppl_models.data import load_binarized_mnist, load_binarized_mnist_test_labels

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_DATA = SHARED / "data" / "binarized_mnist.npz"
DEFAULT_LABELS = SHARED / "data" / "binarized_mnist_test_labels.npz"


def load_all(data: Path, labels: Path) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """``({"train", "valid", "test"}: (N, 784) in {0, 1}, test labels (10000,))``."""
    return load_binarized_mnist(data), load_binarized_mnist_test_labels(labels)


def split_labelled(x: torch.Tensor, y: torch.Tensor, fractions, seed: int):
    """Shuffle ``(x, y)`` with ``seed`` and cut it into consecutive parts of the given
    fractions (the last takes the rest): ``[(x_part, y_part), ...]``."""
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    sizes = [int(f * len(x)) for f in fractions[:-1]]
    sizes.append(len(x) - sum(sizes))
    return [(x[i], y[i]) for i in perm.split(sizes)]
