"""A label-conditioned generator's grid: a row per label, a column per noise vector, the
same noise down each column, so that only the label changes from row to row."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from inference.plots.image_rows import generated_row, save_image_rows

__all__ = ["conditional_grid_images", "save_conditional_grid"]


def conditional_grid_images(generate: Callable[[Tensor, Tensor], Tensor], z: Tensor,
                            labels: Sequence[int]) -> Tensor:
    """Images ``(len(labels), K, C, H, W)``: cell ``(r, j)`` is ``generate`` at noise
    ``z[j]`` and label ``labels[r]``.

    :param callable generate: ``(z (M, D), labels (M,) int64)`` to images ``(M, C, H, W)``,
        e.g. ``ConditionalGAN.generate_at``.
    :param Tensor z: ``(K, D)`` noise, one vector per column.
    :param labels: the rows' labels (ints).
    """
    if not isinstance(z, Tensor) or z.dim() != 2 or 0 in z.shape:
        raise ValueError(f"z must be (K, D) noise, one vector per column, got "
                         f"{tuple(getattr(z, 'shape', ())) or type(z).__name__}")
    labels = list(labels)
    if not labels or any(isinstance(y, bool) or not isinstance(y, int) for y in labels):
        raise ValueError(f"labels must be a non-empty sequence of ints, got {labels!r}")
    return torch.stack([
        generated_row(generate, z.detach(), torch.full((len(z),), y, dtype=torch.long,
                                                       device=z.device), n=len(z))
        for y in labels])


def save_conditional_grid(generate: Callable[[Tensor, Tensor], Tensor], z: Tensor,
                          labels: Sequence[int], path: str | os.PathLike, *,
                          title: str | None = None) -> Path:
    """Write :func:`conditional_grid_images` as a PNG, each row titled with its label.

    :param path: destination; its directory must exist.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    rows = conditional_grid_images(generate, z, labels)
    return save_image_rows(rows, path, [f"label {y}" for y in labels],
                           title=title or "a row per label, the same noise down each column")
