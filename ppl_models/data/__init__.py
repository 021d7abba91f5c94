"""Datasets as tensors: images ``(N, C, H, W)`` float32 in [0, 1] (or {0, 1}), labels int64.

Embedded datasets (no download): :func:`load_digits_images`, :func:`load_mnist5k`.
From files (the caller gives the path): :func:`load_mnist` / :func:`load_mnist_idx` /
:func:`read_idx` for IDX files, :func:`load_binarized_mnist` / :func:`read_amat` for the fixed
binarized MNIST. Toy 2-D mixtures (ring of 8, 5x5 grid): :func:`toy_mixture`,
:func:`sample_mixture`. :func:`load_dataset` maps a name to :class:`DataSplits`.
Out-of-distribution sets for anomaly detection (:mod:`.anomaly_sets`) and the perturbation
of a likelihood ratio's background model (:func:`perturb_binary`) are built from these
tensors.
"""

__all__ = [
    "BINARIZATIONS",
    "DATASETS",
    "DataSplits",
    "TOY_DATASETS",
    "TOY_MIXTURES",
    "IDXFormatError",
    "MissingDataError",
    "binarize_stochastic",
    "constant_images",
    "held_out_classes",
    "inverted",
    "perturb_binary",
    "resized",
    "uniform_noise",
    "binarize_threshold",
    "grid_means",
    "load_binarized_mnist",
    "load_binarized_mnist_test_labels",
    "load_dataset",
    "load_digits_images",
    "load_mnist",
    "load_mnist5k",
    "load_mnist_idx",
    "random_split",
    "read_amat",
    "read_idx",
    "ring_means",
    "sample_mixture",
    "toy_mixture",
]

from .anomaly_sets import constant_images, held_out_classes, inverted, resized, uniform_noise
from .binarize import binarize_stochastic, binarize_threshold
from .binarized_mnist import load_binarized_mnist, load_binarized_mnist_test_labels, read_amat
from .datasets import BINARIZATIONS, DATASETS, TOY_DATASETS, load_dataset
from .digits import load_digits_images
from .errors import MissingDataError
from .idx import IDXFormatError, load_mnist, load_mnist_idx, read_idx
from .mnist5k import load_mnist5k
from .perturb import perturb_binary
from .splits import DataSplits, random_split
from .toy_mixtures import TOY_MIXTURES, grid_means, ring_means, sample_mixture, toy_mixture
