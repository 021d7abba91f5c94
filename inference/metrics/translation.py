r"""Numbers about image-to-image translation: what is kept, what is changed, what comes back.

- :func:`label_kept`: the fraction of translated images a classifier of the *target* domain
  still reads as the source image's label (CycleGAN digits -> MNIST read by an MNIST
  classifier); report it beside the same classifier on the untranslated inputs, the
  baseline a translation must beat to have done anything useful.
- :func:`cycle_l1`: :math:`\mathbb{E}\|F(G(x)) - x\|_1` per pixel (Zhu et al. 2017, eq. 2).
- :func:`attribute_accuracy`: the fraction of (image, attribute) pairs whose measured
  attribute equals the requested target (StarGAN's attributes are measured from the
  output by :mod:`ppl_models.data.domains`, not by a learned classifier).
- :func:`target_sensitivity`: how much a conditional translation's output moves when only
  its target changes; zero for a generator that ignores its label (a reported StarGAN
  failure).

References

1. Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
   Adversarial Networks", ICCV 2017.
2. Choi et al., "StarGAN", CVPR 2018.
"""

from __future__ import annotations

__all__ = ["attribute_accuracy", "cycle_l1", "label_kept", "target_sensitivity"]

from collections.abc import Callable

import torch
from torch import Tensor


def label_kept(predict: Callable[[Tensor], Tensor], images: Tensor, labels: Tensor) -> float:
    """Fraction of ``images`` ``predict`` labels as ``labels`` ``(N,)``."""
    if not isinstance(labels, Tensor) or labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},)")
    return float((predict(images) == labels).float().mean())


def cycle_l1(x: Tensor, reconstruction: Tensor) -> float:
    """Mean absolute error per pixel between ``x`` and its round trip, same shapes."""
    if x.shape != reconstruction.shape:
        raise ValueError(f"x and reconstruction must have the same shape, got "
                         f"{tuple(x.shape)} and {tuple(reconstruction.shape)}")
    return float((x - reconstruction).abs().mean())


def attribute_accuracy(measured: Tensor, target: Tensor) -> Tensor:
    """Per-attribute fraction of rows where ``measured`` equals ``target``, both ``(N, K)``
    in {0, 1}; ``(K,)``."""
    if measured.shape != target.shape or measured.dim() != 2:
        raise ValueError(f"measured and target must both be (N, K), got "
                         f"{tuple(measured.shape)} and {tuple(target.shape)}")
    return (measured == target).float().mean(0)


@torch.no_grad()
def target_sensitivity(translate: Callable[[Tensor, Tensor], Tensor], x: Tensor,
                       targets: Tensor) -> Tensor:
    r"""Mean absolute change per pixel of ``translate(x, t)`` between every pair of targets.

    :param translate: ``(x (N, ...), target (N, K)) -> (N, ...)``.
    :param Tensor x: fixed inputs ``(N, ...)``.
    :param Tensor targets: ``(T, K)``, ``T >= 2`` target vectors, each applied to all of ``x``.
    :return: ``(T, T)``, entry ``(i, j)`` the mean of :math:`|G(x, t_i) - G(x, t_j)|`.
    """
    if not isinstance(targets, Tensor) or targets.dim() != 2 or len(targets) < 2:
        raise ValueError("targets must be (T, K) with T >= 2")
    outputs = torch.stack([translate(x, t.expand(len(x), -1)) for t in targets]).flatten(1)
    return (outputs[:, None] - outputs[None]).abs().mean(-1)
