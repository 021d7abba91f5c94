r"""The class histogram of samples under a classifier: which labels a generator produces.

A generator that drops digits shows it here before FID does: the histogram's KL to uniform,
:math:`\sum_c \hat q_c \log(C \hat q_c)`, is 0 for balanced samples and :math:`\log C` for a
single class.
"""

from __future__ import annotations

__all__ = ["class_histogram"]

from typing import Any

import torch
from torch import Tensor


def class_histogram(images: Tensor, classifier, num_classes: int | None = None
                    ) -> dict[str, Any]:
    """Predicted labels of ``images`` by ``classifier`` (a ``FeatureClassifier``), counted.

    :param Tensor images: ``(N, C, H, W)``.
    :param classifier: has ``predict(images) -> (N,)`` and ``num_classes``.
    :return: ``{"counts", "fractions", "classes_present", "num_classes", "kl_to_uniform"}``.
    """
    if not isinstance(images, Tensor) or images.dim() != 4 or len(images) == 0:
        raise ValueError("images must be a non-empty (N, C, H, W) tensor")
    c = int(num_classes or classifier.num_classes)
    counts = torch.bincount(classifier.predict(images), minlength=c)
    q = counts.double() / counts.sum()
    return {"counts": counts.tolist(), "fractions": q.tolist(),
            "classes_present": int((counts > 0).sum()), "num_classes": c,
            "kl_to_uniform": float(torch.xlogy(q, q * c).sum())}
