r"""The non-adversarial terms of image-to-image translation games, as plain functions.

- :func:`cycle_consistency_loss`: :math:`\|F(G(a)) - a\|_1`, a round trip back to the
  source (Zhu et al. 2017, eq. 2; StarGAN's reconstruction term, Choi et al. 2018, eq. 4);
- :func:`identity_loss`: :math:`\|G(b) - b\|_1`, a generator fed its own target domain
  changes nothing (Zhu et al. 2017, Sec. 5.2 after Taigman et al. 2017) -- the same L1 of
  an output against the image it should equal;
- :func:`attribute_classification_loss`: binary cross-entropy of attribute logits, summed
  over the attributes and averaged over images (Choi et al. 2018, eqs. 2-3; the reference
  code's ``size_average=False`` sum divided by the batch).

:math:`\|\cdot\|_1` is the mean absolute error per pixel, as ``nn.L1Loss``.

References

1. Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
   Adversarial Networks", ICCV 2017.
2. Choi et al., "StarGAN", CVPR 2018.
3. Taigman, Polyak & Wolf, "Unsupervised Cross-Domain Image Generation", ICLR 2017.
"""

from __future__ import annotations

__all__ = ["attribute_classification_loss", "cycle_consistency_loss", "identity_loss"]

import torch.nn.functional as F
from torch import Tensor


def _same_shape(x: Tensor, output: Tensor, name: str) -> None:
    if not isinstance(x, Tensor) or not isinstance(output, Tensor) or x.shape != output.shape:
        raise ValueError(f"{name} must have the shape of x, got "
                         f"{tuple(getattr(output, 'shape', ()))} against "
                         f"{tuple(getattr(x, 'shape', ()))}")


def cycle_consistency_loss(x: Tensor, round_trip: Tensor) -> Tensor:
    """Mean absolute error per pixel between images ``x`` and their ``round_trip``
    (translated away and back), any shape; a scalar."""
    _same_shape(x, round_trip, "round_trip")
    return (round_trip - x).abs().mean()


def identity_loss(x: Tensor, output: Tensor) -> Tensor:
    """Mean absolute error per pixel between ``x`` and a generator's ``output`` for ``x``
    when told ``x``'s own domain; a scalar."""
    _same_shape(x, output, "output")
    return cycle_consistency_loss(x, output)


def attribute_classification_loss(logits: Tensor, target: Tensor) -> Tensor:
    """BCE of attribute ``logits`` ``(N, K)`` against 0/1 ``target`` ``(N, K)``, summed
    over the ``K`` attributes and averaged over the ``N`` images; a scalar."""
    if logits.dim() != 2 or logits.shape != target.shape:
        raise ValueError(f"logits and target must both be (N, K), got {tuple(logits.shape)} "
                         f"and {tuple(target.shape)}")
    return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / len(logits)
