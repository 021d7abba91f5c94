"""The dataset options shared by the subcommands, and loading the data they name."""

from __future__ import annotations

__all__ = [
    "BINARIZE_CHOICES",
    "DATA_ENVIRONMENT",
    "FILE_DATASETS",
    "IN_DATA_FOLDER",
    "add_data_arguments",
    "binarize_name",
    "hold_out_class",
    "limit_train",
    "limit_valid",
    "load_binary_splits",
    "run_splits",
]

import argparse
import dataclasses
import os

import torch

from ppl_models.data import DATASETS, REAL_DATASETS, TOY_DATASETS, DataSplits, load_dataset

# The command trains binary models only, so intensities are always binarised.
BINARIZE_CHOICES = ("threshold", "stochastic", "none")
FILE_DATASETS = ("mnist", "binarized_mnist")


def add_data_arguments(parser: argparse.ArgumentParser, *, required: bool = True,
                       default: str | None = None) -> None:
    """Add ``--dataset``, ``--data-path`` and ``--binarize`` to ``parser``.

    :param bool required: whether ``--dataset`` must be given.
    :param default: ``--dataset``'s default when not required (None: taken from elsewhere,
        e.g. a checkpoint).
    """
    parser.add_argument("--dataset", choices=DATASETS, required=required, default=default,
                        help="digits (8x8) and mnist5k (28x28) are embedded; mnist and "
                             "binarized_mnist are read from --data-path; ring and grid are "
                             "the toy 2-D mixtures (points, for samplers); digits_to_mnist "
                             "is two unpaired domains for cyclegan (the digits in MNIST's "
                             "frame and MNIST-5k); "
                             f"{', '.join(REAL_DATASETS)} are real-valued, for densities "
                             "over real vectors such as rnade (digits_dequantized: 8x8 grey "
                             "levels, uniformly dequantised; the others: standardised "
                             "tabular rows)")
    parser.add_argument("--data-path", default=None,
                        help="folder of MNIST IDX files (mnist), or binarized_mnist.npz / a "
                             "folder of its .amat files (binarized_mnist); default "
                             "$PPL_MODELS_DATA/mnist or $PPL_MODELS_DATA/binarized_mnist.npz")
    parser.add_argument("--binarize", choices=BINARIZE_CHOICES, default=None,
                        help="threshold: x > 0.5 (default); stochastic: one Bernoulli(x) draw "
                             "seeded by --seed; none: the grey levels in [0, 1], for samplers "
                             "(binary density models refuse them). binarized_mnist is binary "
                             "already")


def load_binary_splits(dataset: str, data_path: str | None, binarize: str | None,
                       seed: int) -> DataSplits:
    """Load ``dataset`` binarised, as the models see it.

    :param str dataset: one of :data:`~ppl_models.data.DATASETS`.
    :param data_path: required for :data:`FILE_DATASETS`, refused for embedded ones.
    :param binarize: one of :data:`BINARIZE_CHOICES`; None means ``"threshold"``;
        ``"none"`` keeps the images' grey levels in [0, 1] (for samplers: a binary density
        model refuses them by its support).
    :param int seed: seed of the random split and of stochastic binarisation.
    :raises ValueError: naming the option at fault.
    """
    if dataset in FILE_DATASETS and data_path is None:
        data_path = _from_environment(dataset)
    if dataset in FILE_DATASETS and data_path is None:
        raise ValueError(f"--data-path is required for --dataset {dataset} (it is read from "
                         f"files; digits and mnist5k are embedded), or set {DATA_ENVIRONMENT} "
                         "to the folder holding mnist/ and binarized_mnist.npz")
    if dataset not in FILE_DATASETS and data_path is not None:
        raise ValueError(f"--dataset {dataset} is embedded and takes no --data-path")
    if dataset in REAL_DATASETS:
        if binarize is not None:
            raise ValueError(f"--binarize: --dataset {dataset} is real-valued and is modelled "
                             "as such; binarising it is not offered")
        return load_dataset(dataset, seed=seed, binarize=None)
    if dataset in TOY_DATASETS:
        # Points in the plane: nothing to binarise (binary models refuse them themselves).
        return load_dataset(dataset, seed=seed)
    if binarize == "none":
        if dataset == "binarized_mnist":
            raise ValueError("--binarize none: binarized_mnist is binary already; use mnist for "
                             "its grey levels")
        return load_dataset(dataset, path=data_path, binarize=None, seed=seed)
    splits = load_dataset(dataset, path=data_path, binarize=binarize or "threshold", seed=seed)
    if not all(((x == 0) | (x == 1)).all() for x in (splits.train, splits.valid, splits.test)):
        raise ValueError(f"--dataset {dataset}: images are not binary after binarisation")
    return splits


def limit_train(splits: DataSplits, size: int | None) -> DataSplits:
    """``splits`` with only the first ``size`` training images (and their labels; for a
    translation set, of both domains); validation and test splits unchanged. ``None``:
    all of them.

    :raises ValueError: naming ``--train-size`` if ``size`` is not a positive integer or
        exceeds the training split.
    """
    if size is None:
        return splits
    _check_size(size, "--train-size", splits.name, len(splits.train), "training")
    labels = splits.train_labels
    source = (None if splits.source is None
              else limit_train(splits.source, min(size, len(splits.source.train))))
    return dataclasses.replace(splits, train=splits.train[:size],
                               train_labels=None if labels is None else labels[:size],
                               source=source)


def limit_valid(splits: DataSplits, size: int | None) -> DataSplits:
    """``splits`` with a subset of ``size`` validation images (and their labels), drawn at
    random by a fixed generator, so that every run and seed validates on the same images;
    training and test splits unchanged. ``None``: all of them.

    Early stopping needs only a ranking of epochs; a model whose exact score is costly (the
    DeepNADE's, 784 masked passes an image) validates on a subset so that epochs stay cheap.

    :raises ValueError: naming ``--valid-size`` if ``size`` is not a positive integer or
        exceeds the validation split.
    """
    if size is None:
        return splits
    _check_size(size, "--valid-size", splits.name, len(splits.valid), "validation")
    # Sorted, so a split stored by class keeps its order; a random subset, because such a
    # split's first images would be one class.
    keep = torch.randperm(len(splits.valid), generator=torch.Generator().manual_seed(0))
    keep = keep[:size].sort().values.to(splits.valid.device)
    labels = splits.valid_labels
    source = (None if splits.source is None
              else limit_valid(splits.source, min(size, len(splits.source.valid))))
    return dataclasses.replace(splits, valid=splits.valid[keep],
                               valid_labels=None if labels is None else labels[keep],
                               source=source)


def run_splits(whole: DataSplits, holdout_class: int | None, train_size: int | None,
               valid_size: int | None) -> DataSplits:
    """The splits a ``train`` run fitted and validated on, from the data set's ``whole``
    splits: class ``holdout_class`` removed from training and validation
    (:func:`hold_out_class`), then the first ``train_size`` training images
    (:func:`limit_train`) and ``valid_size`` validation images (:func:`limit_valid`); the
    test split whole. ``None`` leaves a split as it is."""
    return limit_valid(limit_train(hold_out_class(whole, holdout_class), train_size),
                       valid_size)


def _check_size(size, flag: str, name: str, available: int, split: str) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"{flag} must be a positive integer, got {size!r}")
    if size > available:
        raise ValueError(f"{flag} {size}: {name} has {available} {split} images")


def hold_out_class(splits: DataSplits, label: int | None) -> DataSplits:
    """``splits`` without the images of class ``label`` in the training and validation splits
    (and their labels; for a translation set, in both domains); the test split keeps them,
    so that a model fitted on the other classes can be scored on the one it never saw (the
    held-out-class protocol of anomaly detection). ``None``: ``splits`` unchanged.

    :raises ValueError: naming ``--holdout-class`` for a data set whose training and
        validation images carry no labels, a class absent from its training labels, or one
        that leaves a split empty.
    """
    if label is None:
        return splits
    if isinstance(label, bool) or not isinstance(label, int):
        raise ValueError(f"--holdout-class must be an integer class label, got {label!r}")
    if splits.train_labels is None or splits.valid_labels is None:
        raise ValueError(f"--holdout-class: --dataset {splits.name} has no labels on its "
                         "training and validation images, so no class can be held out")
    present = sorted(splits.train_labels.unique().tolist())
    if label not in present:
        raise ValueError(f"--holdout-class {label}: {splits.name}'s training labels are "
                         f"{present}")
    kept = {s: splits.labels(s) != label for s in ("train", "valid")}
    for split, keep in kept.items():
        if not keep.any():
            raise ValueError(f"--holdout-class {label}: every {split} image of "
                             f"{splits.name} is of that class; nothing would be left")
    source = None if splits.source is None else hold_out_class(splits.source, label)
    return dataclasses.replace(
        splits, source=source,
        **{key: getattr(splits, key)[keep] for split, keep in kept.items()
           for key in (split, f"{split}_labels")})


#: The environment variable naming the folder of the file data sets (``mnist/`` and
#: ``binarized_mnist.npz``), used when ``--data-path`` is not given.
DATA_ENVIRONMENT = "PPL_MODELS_DATA"
#: Where each file data set lies inside that folder.
IN_DATA_FOLDER = {"mnist": "mnist", "binarized_mnist": "binarized_mnist.npz"}


def _from_environment(dataset: str) -> str | None:
    folder = os.environ.get(DATA_ENVIRONMENT)
    return None if not folder else os.path.join(folder, IN_DATA_FOLDER[dataset])


def binarize_name(dataset: str, binarize: str | None) -> str:
    """How the data was made binary, for reports."""
    if dataset == "binarized_mnist":
        return "fixed (Larochelle & Murray 2011)"
    if binarize == "none":
        return "none (grey levels in [0, 1])"
    if dataset in TOY_DATASETS:
        return "none (2-D points)"
    if dataset in REAL_DATASETS:
        return "none (real-valued)"
    return binarize or "threshold"

