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

from inference.metrics.image_input import check_images, refuse_classifier_pair


def class_histogram(images: Tensor, classifier, num_classes: int | None = None
                    ) -> dict[str, Any]:
    """Predicted labels of ``images`` by ``classifier`` (a ``FeatureClassifier``), counted.

    :param Tensor images: ``(N, C, H, W)`` floats in [0, 1].
    :param classifier: has ``predict(images) -> (N,)`` and ``num_classes`` (the classifier
        of :func:`~inference.metrics.feature_classifier`, not its ``(classifier, info)``).
    :param int num_classes: classes of the uniform reference, at least the classifier's
        (default: the classifier's).
    :return: ``{"counts", "fractions", "classes_present", "num_classes", "kl_to_uniform"}``.
    :raises ValueError: for images that are not finite floats in [0, 1], or a
        ``num_classes`` smaller than the classifier's.
    """
    refuse_classifier_pair(classifier, "classifier")
    images = check_images(images, "images")
    own = int(classifier.num_classes)
    c = own if num_classes is None else num_classes
    if isinstance(c, bool) or not isinstance(c, int) or c < own:
        # Fewer bins than the classifier's labels would put predicted classes outside the
        # histogram and make the KL to uniform meaningless (a KL of -0.57 was returned).
        raise ValueError(f"num_classes must be an int >= the classifier's {own} classes, "
                         f"got {num_classes!r}")
    predicted = classifier.predict(images)
    if len(predicted) and int(predicted.max()) >= c:
        raise ValueError(f"the classifier predicted class {int(predicted.max())}, outside "
                         f"num_classes={c}")
    counts = torch.bincount(predicted, minlength=c)
    q = counts.double() / counts.sum()
    return {"counts": counts.tolist(), "fractions": q.tolist(),
            "classes_present": int((counts > 0).sum()), "num_classes": c,
            "kl_to_uniform": float(torch.xlogy(q, q * c).sum())}
