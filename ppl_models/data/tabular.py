r"""Real-valued tabular data sets that ship offline, standardised on their training split.

======================  ======================================  ==============  ==========
name                    source                                  rows x columns  kept ``D``
======================  ======================================  ==============  ==========
``"boston"``            mlxtend ``boston_housing_data`` (UCI)   506 x 14        see below
``"diabetes"``          scikit-learn ``load_diabetes``          442 x 11
``"breast_cancer"``     scikit-learn ``load_breast_cancer``     569 x 30
``"wine"``              scikit-learn ``load_wine``              178 x 13
======================  ======================================  ==============  ==========

Regression targets (Boston's MEDV, the diabetes progression score) are columns like the
others: the model is a density over whole rows. As in the RNADE paper's preprocessing
(after Tang et al. 2012), attributes that are discrete in effect are dropped, because a
density over R^D puts unbounded density on a repeated value and the likelihood then
measures ties, not the model: here, a column whose most frequent value holds more than
``max_tie_fraction`` of the rows (default 5%). Of every pair of columns correlated beyond
``max_correlation`` (default 0.98) the later one is dropped too. The split is random
(70/15/15 by ``seed``); mean and standard deviation come from the training rows only, and
:attr:`TabularSplits.log_scale` is the log-Jacobian that turns a density of the standardised
data into one of the raw data.

References:

1. Uria, Murray & Larochelle, "RNADE: The real-valued neural autoregressive
   density-estimator", NIPS 2013 (sec. 4.1).
2. Tang, Salakhutdinov & Hinton, "Deep mixtures of factor analysers", ICML 2012.
"""

from __future__ import annotations

__all__ = ["TABULAR", "TabularSplits", "load_tabular"]

from dataclasses import dataclass

import numpy as np
import torch

TABULAR = ("boston", "diabetes", "breast_cancer", "wine")


@dataclass(frozen=True, eq=False)
class TabularSplits:
    """Standardised ``(N, D)`` float32 splits and what was done to them.

    :param train: ``(N_train, D)``, each column mean 0 and standard deviation 1.
    :param valid: ``(N_valid, D)``, transformed with the training statistics.
    :param test: ``(N_test, D)``, likewise.
    :param mean: ``(D,)`` training means of the kept raw columns.
    :param std: ``(D,)`` training standard deviations.
    :param columns: the kept columns' names.
    :param name: the data set.
    """

    train: torch.Tensor
    valid: torch.Tensor
    test: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor
    columns: tuple[str, ...]
    name: str

    @property
    def dim(self) -> int:
        return self.train.shape[1]

    @property
    def log_scale(self) -> float:
        r""":math:`\sum_d \log s_d`: for :math:`z = (y - m)/s`,
        :math:`\log p_y(y) = \log p_z(z) - \sum_d \log s_d`."""
        return float(self.std.double().log().sum())


def _raw(name: str) -> tuple[np.ndarray, list[str]]:
    if name == "boston":
        from mlxtend.data import boston_housing_data

        x, y = boston_housing_data()
        columns = ["CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX",
                   "PTRATIO", "B", "LSTAT", "MEDV"]
        return np.c_[x, y], columns
    from sklearn import datasets

    loader = {"diabetes": datasets.load_diabetes, "breast_cancer": datasets.load_breast_cancer,
              "wine": datasets.load_wine}[name]
    bunch = loader()
    x, columns = bunch.data, list(bunch.feature_names)
    if name == "diabetes":
        x, columns = np.c_[x, bunch.target], columns + ["progression"]
    return x, columns


def _kept_columns(x: np.ndarray, max_tie_fraction: float, max_correlation: float) -> list[int]:
    keep = []
    for j in range(x.shape[1]):
        _, counts = np.unique(x[:, j], return_counts=True)
        if counts.max() / len(x) <= max_tie_fraction:
            keep.append(j)
    corr = np.abs(np.corrcoef(x[:, keep].T))
    kept: list[int] = []
    for a, j in enumerate(keep):
        if all(corr[a, keep.index(i)] <= max_correlation for i in kept):
            kept.append(j)
    return kept


def load_tabular(name: str, *, seed: int = 0, max_tie_fraction: float = 0.05,
                 max_correlation: float = 0.98) -> TabularSplits:
    """Load one of :data:`TABULAR`, split 70/15/15 by ``seed`` and standardised on train.

    :param str name: ``"boston"``, ``"diabetes"``, ``"breast_cancer"`` or ``"wine"``.
    :param int seed: seed of the random split.
    :param float max_tie_fraction: drop a column whose commonest value holds more rows.
    :param float max_correlation: of two columns correlated beyond this, drop the later.
    :raises ValueError: for an unknown ``name``.
    """
    if name not in TABULAR:
        raise ValueError(f"name must be one of {TABULAR}, got {name!r}")
    x, columns = _raw(name)
    x = np.asarray(x, dtype=np.float64)
    kept = _kept_columns(x, max_tie_fraction, max_correlation)
    x = x[:, kept]
    perm = np.random.default_rng(seed).permutation(len(x))
    n_train, n_valid = int(0.7 * len(x)), int(0.15 * len(x))
    parts = np.split(x[perm], [n_train, n_train + n_valid])
    mean, std = parts[0].mean(0), parts[0].std(0)
    to_tensor = lambda a: torch.from_numpy(((a - mean) / std).astype(np.float32))  # noqa: E731
    return TabularSplits(*(to_tensor(p) for p in parts),
                         mean=torch.from_numpy(mean), std=torch.from_numpy(std),
                         columns=tuple(str(columns[j]) for j in kept), name=name)
