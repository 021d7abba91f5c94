"""Mode count on Stacked MNIST (Karras et al. 2018, App. D; Metz et al. 2017): each channel of a
generated ``(N, 3, H, W)`` image is read by the local MNIST classifier, the triple of labels is
the mode, and the count is how many of the 1000 modes occur; the KL of the mode histogram to
uniform is reported beside it as in those papers."""

from __future__ import annotations

__all__ = ["stacked_mode_count"]

import torch
from torch import Tensor

from ppl_models.data.stacked_mnist import STACKED_MODES, stacked_mode


def stacked_mode_count(samples: Tensor, classifier) -> dict[str, float]:
    """:param Tensor samples: ``(N, 3, H, W)`` in [0, 1].
    :param classifier: a one-channel digit classifier with ``predict(x) -> (M,)`` labels.
    :return: ``{"modes": count, "kl_to_uniform": nats, "n": N}``."""
    if samples.dim() != 4 or samples.shape[1] != 3:
        raise ValueError(f"samples must be (N, 3, H, W), got {tuple(samples.shape)}")
    n = samples.shape[0]
    flat = samples.reshape(n * 3, 1, *samples.shape[2:])
    labels = classifier.predict(flat).view(n, 3)
    hist = torch.bincount(stacked_mode(labels), minlength=STACKED_MODES).double()
    p = hist / n
    present = p > 0
    kl = (p[present] * (p[present] * STACKED_MODES).log()).sum()
    return {"modes": int(present.sum()), "kl_to_uniform": float(kl), "n": n}
