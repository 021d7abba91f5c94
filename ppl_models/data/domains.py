r"""Image domains for translation models: two real digit domains and measured MNIST attributes.

**MNIST <-> digits.** scikit-learn's 8x8 digits fill their frame, MNIST's digits sit in a
20x20 box centred in 28x28 (LeCun et al. 1998). :func:`upsample_digits` puts an 8x8 digit
into MNIST's frame (bilinear to ``box x box``, zero padding around it), and
:func:`downsample_to_digits` undoes it (crop the box, average-pool to 8x8), so a digits
classifier can read an image translated from MNIST.

**Attributes measured from the images** (no labels needed), each a binary domain:

- *thickness* (:func:`stroke_thickness`): the fraction of ink pixels that survive one 3x3
  binary erosion. A stroke one or two pixels wide erodes away (0), a ``w``-pixel one keeps
  about :math:`(w - 2) / w` of its ink, so the fraction grows monotonically with the stroke
  width; dilating an image raises it. *Thick* is above a threshold (by default the median
  of the images given, so the two domains are balanced).
- *slant* (:func:`slant`): the shear of the ink's second moments,
  :math:`s = \mu_{xy} / \mu_{yy}` with :math:`x` to the right and :math:`y` up, the
  :math:`k` of the shear :math:`x \mapsto x + k y` that best explains the ink's covariance
  (the moment deskewing of LeCun et al. 1998). A digit leaning right (its top to the right)
  has :math:`s > 0`. *Slant right* is :math:`s > 0`.
- *inverted*: ``1 - x``, ink and background swapped (:func:`ppl_models.data.inverted`).

References

1. LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document
   Recognition", Proc. IEEE 1998 (the 20x20 box, moment deskewing).
2. Choi et al., "StarGAN", CVPR 2018 (binary attribute domains, as CelebA's).
"""

from __future__ import annotations

__all__ = [
    "ATTRIBUTES",
    "attribute_domains",
    "downsample_to_digits",
    "slant",
    "stroke_thickness",
    "upsample_digits",
]

import torch
import torch.nn.functional as F
from torch import Tensor

#: The attribute columns of :func:`attribute_domains`, in order.
ATTRIBUTES = ("thick", "slant_right", "inverted")

_INK = 0.5  # grey level above which a pixel counts as ink


def _images(x: Tensor, name: str = "images") -> Tensor:
    if (not isinstance(x, Tensor) or x.dim() != 4 or x.shape[1] != 1 or len(x) == 0
            or not x.is_floating_point()):
        got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a non-empty float (N, 1, H, W) tensor, got {got}")
    return x


def _box(box: int, size: int) -> None:
    if isinstance(box, bool) or not isinstance(box, int) or not 1 <= box <= size:
        raise ValueError(f"box must be an int in [1, {size}], got {box!r}")
    if (size - box) % 2:
        raise ValueError(f"size - box must be even (the box is centred), got {size} - {box}")


def upsample_digits(images: Tensor, size: int = 28, box: int = 20) -> Tensor:
    """8x8 digits in MNIST's frame: bilinear to ``box x box``, centred in ``size x size``.

    :param Tensor images: ``(N, 1, h, w)`` in [0, 1] (scikit-learn digits: 8x8).
    :param int size: output side (28 for MNIST).
    :param int box: side of the digit's box inside it (MNIST: 20).
    :return: ``(N, 1, size, size)`` in [0, 1].
    """
    images = _images(images)
    _box(box, size)
    inner = F.interpolate(images, size=(box, box), mode="bilinear", align_corners=False)
    pad = (size - box) // 2
    return F.pad(inner.clamp(0, 1), (pad, pad, pad, pad))


def downsample_to_digits(images: Tensor, box: int = 20, side: int = 8) -> Tensor:
    """The inverse frame of :func:`upsample_digits`: crop the centred box, resize to 8x8.

    :param Tensor images: ``(N, 1, H, H)`` in [0, 1].
    :return: ``(N, 1, side, side)``.
    """
    images = _images(images)
    size = images.shape[-1]
    _box(box, size)
    pad = (size - box) // 2
    crop = images[..., pad:pad + box, pad:pad + box]
    # Area averaging, the anti-aliased inverse of the bilinear upsampling.
    return F.adaptive_avg_pool2d(crop, side)


def stroke_thickness(images: Tensor) -> Tensor:
    """Fraction of ink pixels (grey > 0.5) that survive one 3x3 binary erosion; ``(N,)``.

    An image without ink has thickness 0.
    """
    ink = (_images(images) > _INK).float()
    # Erosion is a min-filter: minus the max-pool of minus the mask (background padded).
    eroded = -F.max_pool2d(-F.pad(ink, (1, 1, 1, 1)), 3, stride=1)
    area = ink.sum((1, 2, 3))
    return eroded.sum((1, 2, 3)) / area.clamp_min(1)


def slant(images: Tensor) -> Tensor:
    r"""Moment shear :math:`\mu_{xy} / \mu_{yy}` of the grey levels, ``x`` right, ``y`` up;
    ``(N,)``. Positive when the digit's top leans right; 0 for an image without ink."""
    images = _images(images)[:, 0]
    h, w = images.shape[-2:]
    y = -torch.arange(h, dtype=images.dtype, device=images.device)[:, None]  # up
    x = torch.arange(w, dtype=images.dtype, device=images.device)[None, :]
    mass = images.sum((1, 2)).clamp_min(1e-8)
    mx = (images * x).sum((1, 2)) / mass
    my = (images * y).sum((1, 2)) / mass
    dx, dy = x - mx[:, None, None], y - my[:, None, None]
    mu_xy = (images * dx * dy).sum((1, 2)) / mass
    mu_yy = (images * dy * dy).sum((1, 2)) / mass
    return mu_xy / mu_yy.clamp_min(1e-8)


def attribute_domains(images: Tensor, *, invert: Tensor | None = None,
                      thickness_threshold: float | None = None) -> tuple[Tensor, Tensor, float]:
    """Binary attribute domains of upright (ink-on-black) digits, measured from the images.

    :param Tensor images: ``(N, 1, H, W)`` in [0, 1], ink bright (MNIST as stored).
    :param invert: bool ``(N,)``: which images to invert (the third attribute); default none.
    :param thickness_threshold: *thick* is thickness above it; default the median of
        ``images`` (pass the training split's to label a test split the same way).
    :return: ``(images_out, attributes, threshold)``: the images with the chosen ones
        inverted, attributes float ``(N, 3)`` in {0, 1} in the order of :data:`ATTRIBUTES`,
        and the thickness threshold used.
    """
    images = _images(images)
    thickness = stroke_thickness(images)
    if thickness_threshold is None:
        thickness_threshold = float(thickness.median())
    if invert is None:
        invert = torch.zeros(len(images), dtype=torch.bool, device=images.device)
    if not isinstance(invert, Tensor) or invert.dtype != torch.bool \
            or invert.shape != (len(images),):
        raise ValueError(f"invert must be a bool tensor of shape ({len(images)},)")
    attributes = torch.stack([thickness > thickness_threshold, slant(images) > 0, invert],
                             1).float()
    out = torch.where(invert[:, None, None, None], 1 - images, images)
    return out, attributes, float(thickness_threshold)
