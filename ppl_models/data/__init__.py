"""Datasets as tensors: images ``(N, C, H, W)`` float32 in [0, 1] (or {0, 1}), labels int64.

Embedded datasets (no download): :func:`load_digits_images`, :func:`load_mnist5k`; their
integer grey levels for dequantised real-valued models: :func:`load_grey_levels`,
:func:`uniform_dequantize`, :func:`discrete_nll_bound`; real tabular sets standardised on
their training split: :func:`load_tabular`; quantised RGB patches of scikit-learn's two
photographs: :func:`load_sample_patches`.
From files (the caller gives the path): :func:`load_mnist` / :func:`load_mnist_idx` /
:func:`read_idx` for IDX files, :func:`load_binarized_mnist` / :func:`read_amat` for the fixed
binarized MNIST. Toy 2-D mixtures (ring of 8, 5x5 grid): :func:`toy_mixture`,
:func:`sample_mixture`. :func:`load_dataset` maps a name to :class:`DataSplits`.
Out-of-distribution sets for anomaly detection (:mod:`.anomaly_sets`) and the perturbation
of a likelihood ratio's background model (:func:`perturb_binary`) are built from these
tensors. Translation domains (:mod:`.domains`): 8x8 digits in MNIST's 28x28 frame and
binary attributes measured from MNIST images (thick, slant right, inverted).
"""

__all__ = [
    "UnpairedDomains",
    "VOCABULARY",
    "caption",
    "encode_captions",
    "fit_caption_thresholds",
    "ink_per_skeleton_length",
    "ATTRIBUTES",
    "attribute_domains",
    "downsample_to_digits",
    "slant",
    "stroke_thickness",
    "upsample_digits",
    "BINARIZATIONS",
    "DATASETS",
    "REAL_DATASETS",
    "DataSplits",
    "TOY_DATASETS",
    "TOY_MIXTURES",
    "IDXFormatError",
    "MissingDataError",
    "TABULAR",
    "TabularSplits",
    "binarize_stochastic",
    "constant_images",
    "held_out_classes",
    "inverted",
    "perturb_binary",
    "resized",
    "uniform_noise",
    "binarize_threshold",
    "grid_means",
    "discrete_nll_bound",
    "load_binarized_mnist",
    "load_binarized_mnist_test_labels",
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
    "ring_means",
    "sample_mixture",
    "toy_mixture",
    "uniform_dequantize",
]

from .anomaly_sets import constant_images, held_out_classes, inverted, resized, uniform_noise
from .binarize import binarize_stochastic, binarize_threshold
from .binarized_mnist import load_binarized_mnist, load_binarized_mnist_test_labels, read_amat
from .captions import (
    VOCABULARY,
    caption,
    encode_captions,
    fit_caption_thresholds,
    ink_per_skeleton_length,
)
from .datasets import BINARIZATIONS, DATASETS, REAL_DATASETS, TOY_DATASETS, load_dataset
from .dequantize import discrete_nll_bound, load_grey_levels, uniform_dequantize
from .digits import load_digits_images
from .domains import (
    ATTRIBUTES,
    attribute_domains,
    downsample_to_digits,
    slant,
    stroke_thickness,
    upsample_digits,
)
from .errors import MissingDataError
from .idx import IDXFormatError, load_mnist, load_mnist_idx, read_idx
from .mnist5k import load_mnist5k
from .patches import load_sample_patches
from .perturb import perturb_binary
from .splits import DataSplits, random_split
from .tabular import TABULAR, TabularSplits, load_tabular
from .toy_mixtures import TOY_MIXTURES, grid_means, ring_means, sample_mixture, toy_mixture
from .unpaired import UnpairedDomains
