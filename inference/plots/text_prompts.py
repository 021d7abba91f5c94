"""A text-conditioned generator's prompts with their samples: each prompt is a row's title,
its samples beside it, the same noise down each column."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from inference.plots.image_rows import generated_row, save_image_rows

__all__ = ["prompt_images", "save_text_prompts"]


def prompt_images(generate: Callable[[Tensor, list[str]], Tensor], z: Tensor,
                  prompts: Sequence[str]) -> Tensor:
    """Images ``(len(prompts), K, C, H, W)``: cell ``(r, j)`` is ``generate`` at noise
    ``z[j]`` and prompt ``prompts[r]``.

    :param callable generate: ``(z (M, D), prompts: M strings)`` to images
        ``(M, C, H, W)``, e.g. ``lambda z, p: model.generate_at(z, encode_captions(p))``.
    :param Tensor z: ``(K, D)`` noise, one vector per column.
    :param prompts: the rows' texts.
    """
    if not isinstance(z, Tensor) or z.dim() != 2 or 0 in z.shape:
        raise ValueError(f"z must be (K, D) noise, one vector per column, got "
                         f"{tuple(getattr(z, 'shape', ())) or type(z).__name__}")
    if isinstance(prompts, str):
        raise ValueError("prompts must be a sequence of strings, not one string")
    prompts = list(prompts)
    if not prompts or not all(isinstance(p, str) for p in prompts):
        raise ValueError(f"prompts must be a non-empty sequence of strings, got {prompts!r}")
    return torch.stack([generated_row(generate, z.detach(), [p] * len(z), n=len(z))
                        for p in prompts])


def save_text_prompts(generate: Callable[[Tensor, list[str]], Tensor], z: Tensor,
                      prompts: Sequence[str], path: str | os.PathLike, *,
                      title: str | None = None) -> Path:
    """Write :func:`prompt_images` as a PNG, each prompt to the left of its samples.

    :param path: destination; its directory must exist.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    rows = prompt_images(generate, z, prompts)
    return save_image_rows(rows, path, list(prompts),
                           title=title or "prompts and their samples, the same noise down "
                                          "each column")
