"""Datasets as tensors: images ``(N, C, H, W)`` float32 in [0, 1] (or {0, 1}), labels int64.

Embedded datasets (no download): :func:`load_digits_images`, :func:`load_mnist5k`; their
integer grey levels for dequantised real-valued models: :func:`load_grey_levels`,
:func:`uniform_dequantize`, :func:`discrete_nll_bound`; real tabular sets standardised on
their training split: :func:`load_tabular`; quantised RGB patches of scikit-learn's two
photographs: :func:`load_sample_patches`.
From files (the caller gives the path): :func:`load_mnist` / :func:`load_mnist_idx` /
:func:`read_idx` for IDX files, :func:`load_binarized_mnist` / :func:`read_amat` for the fixed
binarized MNIST. :func:`load_dataset` maps a name to :class:`DataSplits`.
"""

__all__ = [
    "BINARIZATIONS",
    "DATASETS",
    "DataSplits",
    "IDXFormatError",
    "MissingDataError",
    "TABULAR",
    "TabularSplits",
    "binarize_stochastic",
    "binarize_threshold",
    "discrete_nll_bound",
    "load_binarized_mnist",
    "load_dataset",
    "load_digits_images",
    "load_grey_levels",
    "load_mnist",
    "load_mnist5k",
    "load_mnist_idx",
    "load_sample_patches",
    "load_tabular",
    "random_split",
    "read_amat",
    "read_idx",
    "uniform_dequantize",
]

from .binarize import binarize_stochastic, binarize_threshold
from .binarized_mnist import load_binarized_mnist, read_amat
from .datasets import BINARIZATIONS, DATASETS, load_dataset
from .dequantize import discrete_nll_bound, load_grey_levels, uniform_dequantize
from .digits import load_digits_images
from .errors import MissingDataError
from .idx import IDXFormatError, load_mnist, load_mnist_idx, read_idx
from .mnist5k import load_mnist5k
from .patches import load_sample_patches
from .splits import DataSplits, random_split
from .tabular import TABULAR, TabularSplits, load_tabular
