"""Train / validation / test splits of an image dataset, held together with their shape.

Validation data is kept separate from test data so that early stopping and model selection
never see the numbers that are reported.
"""

from __future__ import annotations

__all__ = ["SPLIT_NAMES", "DataSplits", "random_split"]

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch.distributions import constraints

SPLIT_NAMES = ("train", "valid", "test")


# eq=False: the generated __eq__ would compare tensors elementwise and fail on bool().
@dataclass(frozen=True, eq=False)
class DataSplits:
    """Images of one dataset split three ways.

    :param train: ``(N_train, C, H, W)`` float tensor.
    :param valid: ``(N_valid, C, H, W)`` float tensor.
    :param test: ``(N_test, C, H, W)`` float tensor.
    :param train_labels: int64 ``(N_train,)`` or ``None`` (likewise ``valid_labels``,
        ``test_labels``).
    :param image_shape: ``(C, H, W)`` shared by all splits; taken from ``train`` when omitted.
    :param name: dataset name, for reports.
    """

    train: torch.Tensor
    valid: torch.Tensor
    test: torch.Tensor
    train_labels: torch.Tensor | None = None
    valid_labels: torch.Tensor | None = None
    test_labels: torch.Tensor | None = None
    image_shape: tuple[int, int, int] | None = None
    name: str = "custom"
    #: The set each variable's values lie in: ``constraints.boolean`` for binary images,
    #: ``constraints.real`` for real-valued data; exact models compare it with their own.
    support: constraints.Constraint = constraints.boolean
    #: For uniformly dequantised data, ``y = (k + u) / levels``: the number of grey levels
    #: ``K`` drawn from, so that an NLL of ``y`` bounds the discrete ``-log P(k)`` by adding
    #: ``D log K`` (:func:`ppl_models.data.dequantize.discrete_nll_bound`); else ``None``.
    levels: int | None = None
    #: For a translation data set, the other domain (A), split likewise; these splits are
    #: the domain translated into (B), with no image of one paired with one of the other.
    source: DataSplits | None = None

    def __post_init__(self):
        # Checked once here so that models can trust the shapes they are handed.
        if self.image_shape is None:
            if not isinstance(self.train, torch.Tensor):
                raise ValueError(f"{self.name}: train must be a tensor")
            object.__setattr__(self, "image_shape", tuple(self.train.shape[1:]))
        shape = tuple(int(s) for s in self.image_shape)
        if len(shape) != 3:
            raise ValueError(f"image_shape must be (C, H, W), got {self.image_shape}")
        object.__setattr__(self, "image_shape", shape)
        for split in SPLIT_NAMES:
            x = getattr(self, split)
            if not isinstance(x, torch.Tensor) or tuple(x.shape[1:]) != shape:
                got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise ValueError(f"{self.name}: {split} must have shape (N, *{shape}), got {got}")
            y = getattr(self, f"{split}_labels")
            if y is not None and tuple(y.shape) != (x.shape[0],):
                raise ValueError(
                    f"{self.name}: {split}_labels has shape {tuple(y.shape)}, "
                    f"expected ({x.shape[0]},)"
                )

    @property
    def dim(self) -> int:
        """Number of variables per image, ``C * H * W``."""
        return math.prod(self.image_shape)

    def images(self, split: str) -> torch.Tensor:
        """The ``(N, C, H, W)`` images of ``split`` (``"train"``, ``"valid"`` or ``"test"``)."""
        if split not in SPLIT_NAMES:
            raise ValueError(f"split must be one of {SPLIT_NAMES}, got {split!r}")
        return getattr(self, split)

    def labels(self, split: str) -> torch.Tensor | None:
        """The int64 ``(N,)`` labels of ``split``, or ``None`` if the split has none."""
        self.images(split)  # validates the name
        return getattr(self, f"{split}_labels")

    def flat(self, split: str) -> torch.Tensor:
        """The images of ``split`` as vectors ``(N, D)`` with ``D = dim`` (a view when the
        images are contiguous), for models over raster-ordered variables."""
        x = self.images(split)
        return x.reshape(x.shape[0], self.dim)

    def to(self, device: torch.device | str) -> DataSplits:
        """These splits (labels and a translation set's other domain too) on ``device``;
        ``self`` when they are there already."""
        device = torch.device(device)
        if self.train.device == device:
            return self
        moved = {k: None if getattr(self, k) is None else getattr(self, k).to(device)
                 for k in (*SPLIT_NAMES, *(f"{s}_labels" for s in SPLIT_NAMES))}
        return dataclasses.replace(self, **moved,
                                   source=None if self.source is None else self.source.to(device))

    def sizes(self) -> dict[str, int]:
        """Number of images in each split."""
        return {s: getattr(self, s).shape[0] for s in SPLIT_NAMES}

    def __repr__(self) -> str:
        # The default repr would print whole tensors.
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes().items())
        labelled = self.train_labels is not None
        return (
            f"DataSplits(name={self.name!r}, image_shape={self.image_shape}, {sizes}, "
            f"labels={labelled})"
        )


def random_split(
    images: torch.Tensor,
    labels: torch.Tensor | None = None,
    *,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    name: str = "custom",
) -> DataSplits:
    """Shuffle a dataset and cut it into train / valid / test.

    Valid and test sizes are ``round(fraction * N)``; train takes the rest, so no image is lost.
    The permutation comes from a ``torch.Generator`` seeded with ``seed`` and is therefore the
    same on every run, and independent of the global random state.

    :param images: ``(N, C, H, W)`` tensor.
    :param labels: ``(N,)`` integer tensor or ``None``.
    :param fractions: ``(train, valid, test)``, non-negative, summing to 1.
    :param seed: seed of the permutation.
    :param name: dataset name stored in the result.
    :returns: :class:`DataSplits` whose splits are disjoint and cover all ``N`` images.
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images)
        raise ValueError(f"images must be a (N, C, H, W) tensor, got {shape}")
    n = images.shape[0]
    if labels is not None:
        labels = torch.as_tensor(labels)
        if tuple(labels.shape) != (n,):
            raise ValueError(f"labels must have shape ({n},), got {tuple(labels.shape)}")
        labels = labels.long()
    fractions = tuple(float(f) for f in fractions)
    if (
        len(fractions) != 3
        or any(not f >= 0 for f in fractions)
        or not math.isclose(sum(fractions), 1.0, abs_tol=1e-6)
    ):
        raise ValueError(
            f"fractions must be three non-negative numbers summing to 1, got {fractions}"
        )
    n_valid = round(fractions[1] * n)
    # min(): rounding both up (e.g. 3 images at (0, .5, .5)) must not leave train negative.
    n_test = min(round(fractions[2] * n), n - n_valid)
    n_train = n - n_valid - n_test
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed)))
    parts = torch.split(perm, [n_train, n_valid, n_test])

    def take(t):
        return [None] * 3 if t is None else [t[idx.to(t.device)] for idx in parts]

    x_tr, x_va, x_te = take(images)
    y_tr, y_va, y_te = take(labels)
    return DataSplits(
        train=x_tr,
        valid=x_va,
        test=x_te,
        train_labels=y_tr,
        valid_labels=y_va,
        test_labels=y_te,
        image_shape=tuple(images.shape[1:]),
        name=name,
    )
