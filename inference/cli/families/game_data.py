"""What each game trains on and is scored with, made from one data set's split.

A kind's game declares the form of its batches (:data:`inference.games.BATCH_FORMS`); the
command line makes that form from the data set it was given, so every registered implicit
kind trains from ``ppl-models train --dataset NAME`` without the command line knowing which
kind it is:

========================  ================================================================
batch form                made from a split's images ``x`` (and labels ``y``)
========================  ================================================================
``inputs``                ``x``
``labelled``              ``(x, y)``: the sample condition is a label
``captioned``             ``(x, codes)``: the captioner's "a thick upright seven" of each image
                          (:func:`ppl_models.data.caption`, thresholds from the training split)
``attributed``            ``(x', c)``: every second image inverted, ``c`` its measured
                          attributes (thick, slanted right, inverted;
                          :func:`ppl_models.data.attribute_domains`); the sample condition is
                          the image with another image's attributes as its target
``unpaired_domains``      two unpaired domains (:class:`~ppl_models.data.UnpairedDomains`): a
                          translation data set's ``source`` (A) and its own images (B), e.g.
                          ``digits_to_mnist``; on any other image set, its even-numbered images
                          (A) and its odd-numbered ones inverted (B), so that no image meets its
                          own inversion. The condition is an A image; ``labels`` its digit
``images_to_complete``    ``x``; the condition is the image whose key patches a sample
                          completes, scored also by the mask IoU of the completion
                          (:func:`inference.metrics.mask_iou`)
========================  ================================================================

Each :class:`SplitData` also carries what the samples are compared with (``reference``,
images of the domain the samples imitate) and, where the data says it, what each sample
should show (``labels``: the digit; ``targets``: the attributes). The FID is always on the
digits classifier's features, so where the reference domain is inverted (the translators'),
its train-vs-test floor is another number than the upright kinds': compare a kind's FID with
its own floor, not with another kind's.
"""

from __future__ import annotations

__all__ = ["SplitData", "batch_form", "conditioned_on_data", "game_data", "needs_labels",
           "without_captions"]

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor, nn

from inference.games import game_class
from ppl_models import registry
from ppl_models.data import (
    DataSplits,
    UnpairedDomains,
    attribute_domains,
    caption,
    encode_captions,
    fit_caption_thresholds,
)
from ppl_models.data.captions import DIGIT_WORDS, SLANT_WORDS, THICKNESS_WORDS


@dataclass(frozen=True)
class SplitData:
    """One split as a game needs it.

    :ivar train: what the Trainer is given (a tensor, a tuple, or unpaired domains).
    :ivar reference: images ``(N, ...)`` the samples are compared with.
    :ivar condition: ``sample(n, condition)``'s condition for the split's examples, or
        ``None`` for an unconditional kind; :meth:`conditions` cuts it to ``n``.
    :ivar labels: the digit each conditioned sample should show, or ``None``.
    :ivar targets: the attributes each translated sample should have, or ``None``.
    :ivar upright: ``upright(samples)``, the first ``len(samples)`` samples as ink on black
        (what a digit classifier and the attribute measures read); ``None``: as they are.
    :ivar extra_scores: ``extra_scores(model, n) -> {name: value}``, what the data lets the
        first ``n`` conditions be scored by beyond the samples (a completion's mask IoU).
    """

    train: Any
    reference: Tensor
    condition: Any = None
    labels: Tensor | None = None
    targets: Tensor | None = None
    upright: Callable[[Tensor], Tensor] | None = None
    extra_scores: Callable[[nn.Module, int], dict[str, float]] | None = None

    @property
    def size(self) -> int:
        """How many samples can be scored: references with a condition each (a translation
        set's two domains may differ in size)."""
        if self.condition is None:
            return len(self.reference)
        first = self.condition[0] if isinstance(self.condition, tuple) else self.condition
        return min(len(self.reference), len(first))

    def conditions(self, n: int) -> Any:
        """The first ``n`` conditions (``None`` for an unconditional kind)."""
        if self.condition is None:
            return None
        if isinstance(self.condition, tuple):
            return tuple(t[:n] for t in self.condition)
        return self.condition[:n]


def batch_form(model: nn.Module) -> str:
    """The batch form of ``model``'s game."""
    return game_class(registry.entry(registry.kind_of(model)).game).batch_form


_LABELLED = ("labelled", "captioned", "attributed", "unpaired_domains")


def _form(kind: str) -> str | None:
    game = registry.entry(kind).game
    return None if game is None else game_class(game).batch_form


def needs_labels(kind: str) -> bool:
    """Whether ``kind``'s data is made with labels (conditions, captions, or the digits a
    translation must keep)."""
    return _form(kind) in _LABELLED


def conditioned_on_data(kind: str) -> bool:
    """Whether ``kind``'s samples are drawn with conditions taken from a data split."""
    return _form(kind) not in (None, "inputs")


def _inputs(model, splits: DataSplits, split: str) -> Tensor:
    if registry.shape_keyword(registry.kind_of(model)) == "dim":
        return splits.flat(split)
    return splits.images(split)


def _labels(model, splits: DataSplits, split: str) -> Tensor:
    labels = splits.labels(split)
    if labels is None:
        raise ValueError(f"{registry.kind_of(model)}'s game trains on ({batch_form(model)}) "
                         f"batches made with labels, and {splits.name}'s {split} split has "
                         "none; use a labelled data set (digits, mnist5k, mnist)")
    return labels


def _images(model, splits: DataSplits, split: str) -> Tensor:
    x = _inputs(model, splits, split)
    if x.dim() != 4:
        raise ValueError(f"{registry.kind_of(model)}'s game trains on images and "
                         f"{splits.name} holds vectors; use an image data set")
    return x


def game_data(model: nn.Module, splits: DataSplits, split: str) -> SplitData:
    """``split`` of ``splits`` in the form ``model``'s game trains on; see the module
    docstring.

    :raises ValueError: naming the data set when it lacks what the game needs (labels,
        images).
    """
    form = batch_form(model)
    if form == "inputs":
        x = _inputs(model, splits, split)
        return SplitData(x, x)
    if form == "images_to_complete":
        return _to_complete(model, splits, split)
    x, y = _images(model, splits, split), _labels(model, splits, split)
    if form == "labelled":
        classes = model.config["num_classes"]
        if len(y) and int(y.max()) >= classes:
            raise ValueError(f"{splits.name}'s labels run to {int(y.max())}, beyond the "
                             f"model's num_classes={classes} (--num-classes must be at least "
                             f"{int(y.max()) + 1})")
        return SplitData((x, y), x, y, labels=y)
    if form == "captioned":
        thresholds = fit_caption_thresholds(_images(model, splits, "train"))
        codes = encode_captions(caption(x, y, *thresholds))
        return SplitData((x, codes), x, codes, labels=y)
    if form == "attributed":
        return _attributed(model, splits, split, x, y)
    if form == "unpaired_domains":
        if splits.source is not None:
            a = _images(model, splits.source, split)
            return SplitData(UnpairedDomains(a, x), x, a,
                             labels=_labels(model, splits.source, split))
        a, b = x[0::2], 1 - x[1::2]
        return SplitData(UnpairedDomains(a, b), b, a, labels=y[0::2],
                         upright=lambda samples: 1 - samples)
    raise ValueError(f"no data for the batch form {form!r}")


def without_captions(data: SplitData, captions: Sequence[str]) -> SplitData:
    """A captioned split without the examples whose caption is one of ``captions`` (each as
    :func:`ppl_models.data.caption` writes it: ``"a thick right-slanted seven"``), so that a
    model can be judged on word combinations it never saw.

    :raises ValueError: for a caption the captioner never writes.
    """
    words = (THICKNESS_WORDS, SLANT_WORDS, DIGIT_WORDS)
    for text in captions:
        parts = text.split()
        if len(parts) != 4 or parts[0] != "a" or any(
                w not in allowed for w, allowed in zip(parts[1:], words, strict=True)):
            raise ValueError(f"--holdout-captions: {text!r} is not a caption the captioner "
                             "writes ('a <thin|thick> <left-slanted|upright|right-slanted> "
                             "<digit word>')")
    x, codes = data.train
    held = encode_captions(list(captions))
    keep = ~(codes[:, None, :] == held[None]).all(-1).any(1)
    return replace(data, train=(x[keep], codes[keep]), reference=x[keep],
                   condition=codes[keep], labels=data.labels[keep])


def _to_complete(model, splits: DataSplits, split: str) -> SplitData:
    from inference.metrics import mask_iou
    from ppl_models.gan.puzzle_gan import object_mask

    x = _images(model, splits, split)

    def scores(model, n: int) -> dict[str, float]:
        # Any crop of an image must give its whole mask; the crops are seeded, so the same
        # model scores the same.
        images = x[:n]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            _, mask = model.complete(model.crop(images)[0])
        return {"mask_iou": mask_iou(mask, object_mask(images, model.mask_threshold))}

    return SplitData(x, x, x, labels=splits.labels(split), extra_scores=scores)


def _attributed(model, splits: DataSplits, split: str, x: Tensor, y: Tensor) -> SplitData:
    invert = torch.arange(len(x)) % 2 == 1
    threshold = attribute_domains(_images(model, splits, "train"))[2]
    images, attributes, _ = attribute_domains(x, invert=invert, thickness_threshold=threshold)
    # Targets: each image asked for the next image's attributes (a fixed shuffle of the
    # split's own, as the game's targets follow the data's attribute frequencies).
    targets = attributes.roll(1, 0)

    def upright(samples: Tensor) -> Tensor:
        inverted = targets[:len(samples), 2].bool()[:, None, None, None]
        return torch.where(inverted, 1 - samples, samples)

    return SplitData((images, attributes), images, (images, targets), labels=y,
                     targets=targets, upright=upright)
