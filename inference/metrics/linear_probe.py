r"""How linearly readable the classes are from a representation: the linear probe.

A multinomial logistic regression is fitted on ``features_train`` (all of them, or
``labels_per_class`` per class to measure few-label accuracy) with its inverse
regularisation strength :math:`C` chosen by cross-validation
(:class:`sklearn.linear_model.LogisticRegressionCV`), after standardising each feature on
the training rows (a fixed :math:`C = 1` when some class has a single labelled row); the
score is the accuracy on ``features_test``. Raw pixels and PCA of the
same size are the baselines the learned features must beat (as in the representation
learning evaluations of Kingma et al. 2014 and Chen et al. 2016, InfoGAN).

References

1. Alain & Bengio (2017). Understanding intermediate layers using linear classifier probes.
   ICLR workshop.
2. Kingma, Rezende, Mohamed, Welling (2014). Semi-supervised Learning with Deep Generative
   Models. NeurIPS.
"""

from __future__ import annotations

__all__ = ["ProbeResult", "check_features_labels", "linear_probe"]

import warnings
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def _as_array(a, name: str, ndim: int) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    array = np.asarray(a)
    if array.ndim != ndim or len(array) == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}-D array, got shape {array.shape}")
    return array


def check_features_labels(features, labels, fname: str = "features",
                          lname: str = "labels") -> tuple[np.ndarray, np.ndarray]:
    """Features ``(N, F)`` as float64 and labels ``(N,)`` as int64, or a ``ValueError``
    naming the argument (different lengths, non-finite features, non-integer labels)."""
    f = _as_array(features, fname, 2).astype(np.float64)
    y = _as_array(labels, lname, 1)
    if len(f) != len(y):
        raise ValueError(f"{fname} has {len(f)} rows but {lname} has {len(y)}")
    if not np.isfinite(f).all():
        raise ValueError(f"{fname} holds non-finite values")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{lname} must be integer class labels, got dtype {y.dtype}")
    return f, y.astype(np.int64)


@dataclass(frozen=True)
class ProbeResult:
    """A probe's test accuracy.

    :param float accuracy: fraction of test rows classified correctly.
    :param float chance: the accuracy of always predicting the commonest training class.
    :param int num_train: labelled rows the probe was fitted on.
    :param float C: the inverse regularisation strength used.
    :param bool cross_validated: whether ``C`` was chosen by cross-validation (``False``
        when some class has a single training row: then ``C = 1``).
    """

    accuracy: float
    chance: float
    num_train: int
    C: float
    cross_validated: bool


def _per_class_subset(y: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picks = []
    for c in np.unique(y):
        rows = np.flatnonzero(y == c)
        if len(rows) < per_class:
            raise ValueError(f"labels_per_class={per_class} but class {c} has only "
                             f"{len(rows)} training rows")
        picks.append(rng.choice(rows, per_class, replace=False))
    return np.sort(np.concatenate(picks))


def linear_probe(features_train, y_train, features_test, y_test, *,
                 labels_per_class: int | None = None, Cs: int = 6, cv: int = 3,
                 max_iter: int = 500, seed: int = 0) -> ProbeResult:
    """Test accuracy of a cross-validated logistic-regression probe.

    :param features_train: ``(N, F)`` training features (tensor or array).
    :param y_train: ``(N,)`` integer labels, at least two classes.
    :param features_test: ``(M, F)`` test features.
    :param y_test: ``(M,)`` integer labels.
    :param labels_per_class: fit on this many random training rows per class (e.g. 10 for
        "100 labels" on ten digits); ``None`` uses every row.
    :param int Cs: the number of :math:`C` values on a log grid (sklearn's ``Cs``).
    :param int cv: cross-validation folds (fewer when a class has fewer rows).
    :param int max_iter: iterations of the L-BFGS solver.
    :param int seed: seeds the label subset and the folds.
    :raises ValueError: for mismatched lengths or feature sizes, a single class, or fewer
        than ``labels_per_class`` rows of some class.
    """
    f_train, y_tr = check_features_labels(features_train, y_train, "features_train", "y_train")
    f_test, y_te = check_features_labels(features_test, y_test, "features_test", "y_test")
    if f_train.shape[1] != f_test.shape[1]:
        raise ValueError(f"features_train has {f_train.shape[1]} features but features_test "
                         f"has {f_test.shape[1]}")
    if len(np.unique(y_tr)) < 2:
        raise ValueError(f"y_train must hold at least two classes, got only {np.unique(y_tr)}")
    if labels_per_class is not None:
        if (isinstance(labels_per_class, bool) or not isinstance(labels_per_class, int)
                or labels_per_class < 1):
            raise ValueError(f"labels_per_class must be a positive int or None, got "
                             f"{labels_per_class!r}")
        rows = _per_class_subset(y_tr, labels_per_class, seed)
        f_train, y_tr = f_train[rows], y_tr[rows]
    folds = int(min(cv, np.bincount(y_tr)[np.unique(y_tr)].min()))
    if folds >= 2:
        classifier = LogisticRegressionCV(
            Cs=Cs, cv=folds, max_iter=max_iter, random_state=seed,
            # Named explicitly (sklearn 1.9 warns that its defaults will change): C is
            # chosen by held-out log-loss, smoother than accuracy with few labels; plain L2.
            scoring="neg_log_loss", l1_ratios=(0.0,), use_legacy_attributes=False)
    else:
        # One row of some class leaves nothing to validate on: sklearn's default C = 1.
        classifier = LogisticRegression(C=1.0, max_iter=max_iter, random_state=seed)
    probe = make_pipeline(StandardScaler(), classifier)
    with warnings.catch_warnings():
        # A grid point that does not converge is just a worse candidate for the CV to drop.
        warnings.simplefilter("ignore", ConvergenceWarning)
        probe.fit(f_train, y_tr)
    accuracy = float((probe.predict(f_test) == y_te).mean())
    chance = float((y_te == np.bincount(y_tr).argmax()).mean())
    C = float(np.ravel(probe[-1].C_)[0]) if folds >= 2 else 1.0
    return ProbeResult(accuracy, chance, len(y_tr), C, folds >= 2)
