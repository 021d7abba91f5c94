r"""Captions of MNIST digits from measured properties: ``"a thick right-slanted seven"``.

Each caption is ``a <thickness> <slant> <digit>``:

- *thickness* (:func:`ink_per_skeleton_length`): ink pixels per skeleton pixel. The
  skeleton is the one-pixel-wide medial line left by Zhang-Suen thinning (Zhang & Suen
  1984); its pixel count is the stroke's length, so ink / length is the mean stroke width.
  Dilation raises it. *thick* is above ``thickness_threshold``.
- *slant* (:func:`ppl_models.data.domains.slant`, shared with StarGAN's domains): the moment
  shear :math:`\mu_{xy}/\mu_{yy}`; *left* below ``-slant_threshold``, *right* above it,
  *upright* between.

The thresholds are data quantiles (:func:`fit_caption_thresholds`: the median stroke width
for thin/thick, the 1/3 and 2/3 quantiles of :math:`|s|`'s sign-symmetric spread for
slant), so that the words are roughly balanced on the training images; pass the training
split's thresholds to caption any other images (e.g. a generator's samples) the same way.

Measured on :func:`ppl_models.data.load_mnist5k` (5000 images): the stroke width's
10/25/50/75/90 % quantiles are 1.92 / 2.28 / 2.65 / 3.22 / 4.04 pixels, so the fitted
thickness threshold is 2.65 (thick: 50.0 %); the slant threshold is 0.131, giving
807 left / 1667 upright / 2526 right, since most MNIST digits lean right. Thinning the 5000
images takes about 13 s on one CPU thread.

References: Zhang & Suen, "A fast parallel algorithm for thinning digital patterns", CACM
1984; Reed et al., "Generative Adversarial Text to Image Synthesis", ICML 2016.
"""

from __future__ import annotations

__all__ = [
    "DIGIT_WORDS",
    "SLANT_WORDS",
    "THICKNESS_WORDS",
    "VOCABULARY",
    "caption",
    "caption_attributes",
    "encode_captions",
    "fit_caption_thresholds",
    "ink_per_skeleton_length",
    "skeleton",
]

import torch
import torch.nn.functional as F
from torch import Tensor

from .domains import _INK, _images, slant

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
THICKNESS_WORDS = ("thin", "thick")
SLANT_WORDS = ("left-slanted", "upright", "right-slanted")
#: Index 0 is padding; then ``a``, thickness, slant and digit words.
VOCABULARY = ("<pad>", "a") + THICKNESS_WORDS + SLANT_WORDS + DIGIT_WORDS


def _neighbours(mask: Tensor) -> list[Tensor]:
    """P2..P9 of Zhang-Suen (north, then clockwise) of a ``(N, 1, H, W)`` 0/1 mask."""
    p = F.pad(mask, (1, 1, 1, 1))
    h, w = mask.shape[-2:]
    offsets = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]
    return [p[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy, dx in offsets]


def skeleton(images: Tensor, max_iterations: int = 100) -> Tensor:
    """Zhang-Suen thinning of the ink (grey > 0.5): a 0/1 float ``(N, 1, H, W)`` mask.

    Both sub-iterations run on the whole batch in parallel until nothing changes.
    """
    mask = (_images(images) > _INK).float()
    for _ in range(max_iterations):
        changed = False
        for step in (0, 1):
            n = _neighbours(mask)
            b = sum(n)
            ring = n + n[:1]
            a = sum(((ring[i] == 0) & (ring[i + 1] == 1)).float() for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                c1, c2 = p2 * p4 * p6, p4 * p6 * p8
            else:
                c1, c2 = p2 * p4 * p8, p2 * p6 * p8
            delete = (mask == 1) & (b >= 2) & (b <= 6) & (a == 1) & (c1 == 0) & (c2 == 0)
            if delete.any():
                changed = True
                mask = mask.masked_fill(delete, 0.0)
        if not changed:
            break
    return mask


def ink_per_skeleton_length(images: Tensor) -> Tensor:
    """Mean stroke width: ink pixels / skeleton pixels, ``(N,)``; 0 without ink."""
    ink = (_images(images) > _INK).float().sum((1, 2, 3))
    length = skeleton(images).sum((1, 2, 3))
    return torch.where(length > 0, ink / length.clamp_min(1), torch.zeros_like(ink))


def fit_caption_thresholds(images: Tensor) -> tuple[float, float]:
    """``(thickness_threshold, slant_threshold)`` from the images' quantiles.

    Thickness: the median width. Slant: the 1/3 quantile of :math:`|s|`, so that about a
    third of the images are upright and the rest split by the sign of their lean.
    """
    width = ink_per_skeleton_length(images)
    s = slant(images).abs()
    return float(width.median()), float(torch.quantile(s, 1 / 3))


def _labels(labels: Tensor, n: int) -> Tensor:
    if (not isinstance(labels, Tensor) or labels.shape != (n,) or labels.is_floating_point()
            or labels.dtype == torch.bool):
        raise ValueError(f"labels must be an integer tensor of shape ({n},)")
    if n and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(f"labels must be digits in [0, 9], got range "
                         f"[{int(labels.min())}, {int(labels.max())}]")
    return labels


def caption_attributes(images: Tensor, thickness_threshold: float,
                       slant_threshold: float) -> tuple[Tensor, Tensor]:
    """Measured word indices: thickness in {0 thin, 1 thick} and slant in {0 left,
    1 upright, 2 right}, each int64 ``(N,)``."""
    if slant_threshold < 0:
        raise ValueError(f"slant_threshold must be >= 0, got {slant_threshold}")
    thick = (ink_per_skeleton_length(images) > thickness_threshold).long()
    s = slant(images)
    lean = torch.ones_like(thick)
    lean = torch.where(s < -slant_threshold, torch.zeros_like(lean), lean)
    lean = torch.where(s > slant_threshold, torch.full_like(lean, 2), lean)
    return thick, lean


def caption(images: Tensor, labels: Tensor, thickness_threshold: float,
            slant_threshold: float) -> list[str]:
    """Captions ``"a <thin|thick> <left-slanted|upright|right-slanted> <digit>"``.

    :param Tensor images: ``(N, 1, H, W)`` in [0, 1], ink bright.
    :param Tensor labels: int ``(N,)`` digits in [0, 9].
    """
    images = _images(images)
    labels = _labels(labels, len(images))
    thick, lean = caption_attributes(images, thickness_threshold, slant_threshold)
    return [f"a {THICKNESS_WORDS[t]} {SLANT_WORDS[s]} {DIGIT_WORDS[d]}"
        for t, s, d in zip(thick.tolist(), lean.tolist(), labels.tolist(), strict=True)]


def encode_captions(captions: list[str], length: int = 4) -> Tensor:
    """Word indices into :data:`VOCABULARY`, int64 ``(N, length)``, padded with 0.

    :raises ValueError: on a word outside the vocabulary or a caption longer than
        ``length``.
    """
    index = {w: i for i, w in enumerate(VOCABULARY)}
    rows = []
    for text in captions:
        words = text.split()
        if len(words) > length:
            raise ValueError(f"caption {text!r} has more than length={length} words")
        for w in words:
            if w not in index or w == "<pad>":
                raise ValueError(f"unknown word {w!r} in caption {text!r}; the vocabulary is "
                                 f"{VOCABULARY[1:]}")
        rows.append([index[w] for w in words] + [0] * (length - len(words)))
    return torch.tensor(rows, dtype=torch.long).reshape(len(captions), length)
