r"""InfoGAN's code traversal: rows are the categorical code's values, columns a continuous
code swept over its prior's support, the noise held fixed (Chen et al. 2016, Fig. 2).

A row that does not change along the sweep, or rows that do not differ from one another,
show a code the generator ignores.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from inference.plots.image_rows import generated_row, save_image_rows

__all__ = ["code_traversal_images", "save_code_traversal", "traversal_values"]


def traversal_values(steps: int, low: float = -1.0, high: float = 1.0) -> Tensor:
    """``steps`` values evenly spaced over ``[low, high]``: the columns of a traversal."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ValueError(f"steps must be an int >= 2, got {steps!r}")
    if not low < high:
        raise ValueError(f"low must be below high, got [{low}, {high}]")
    return torch.linspace(low, high, steps)


def code_traversal_images(generate: Callable[[Tensor, Tensor, Tensor], Tensor], z: Tensor, *,
                          categories: int, continuous: int, dim: int = 0, steps: int = 8,
                          low: float = -1.0, high: float = 1.0) -> Tensor:
    r"""Images ``(K, steps, C, H, W)``: cell ``(k, j)`` is ``generate`` at noise ``z``,
    categorical code ``k`` and continuous code ``dim`` at the ``j``-th of ``steps`` values
    in ``[low, high]``, the other continuous codes at 0 (their prior's centre).

    :param callable generate: ``(z (M, D), categorical (M,) int64, continuous (M, D_c))``
        to images ``(M, C, H, W)``, e.g. ``InfoGAN.generate_at``.
    :param Tensor z: one noise vector ``(D,)``, shared by every cell.
    :param int categories: ``K``, the categorical code's values (rows).
    :param int continuous: ``D_c``, the number of continuous codes (at least 1).
    :param int dim: the continuous code swept, in ``[0, D_c)``.
    :param int steps: columns.
    """
    if not isinstance(z, Tensor) or z.dim() != 1 or len(z) == 0:
        raise ValueError(f"z must be one noise vector (D,), got "
                         f"{tuple(getattr(z, 'shape', ())) or type(z).__name__}")
    if isinstance(categories, bool) or not isinstance(categories, int) or categories < 1:
        raise ValueError(f"categories must be a positive int, got {categories!r}")
    if isinstance(continuous, bool) or not isinstance(continuous, int) or continuous < 1:
        raise ValueError(f"a traversal sweeps a continuous code: continuous must be a "
                         f"positive int, got {continuous!r}")
    if isinstance(dim, bool) or not isinstance(dim, int) or not 0 <= dim < continuous:
        raise ValueError(f"dim must be an int in [0, {continuous}), got {dim!r}")
    values = traversal_values(steps, low, high).to(z)
    noise = z.detach().expand(steps, -1)
    codes = torch.zeros(steps, continuous, dtype=z.dtype, device=z.device)
    codes[:, dim] = values
    return torch.stack([
        generated_row(generate, noise, torch.full((steps,), k, dtype=torch.long,
                                                  device=z.device), codes, n=steps)
        for k in range(categories)])


def save_code_traversal(generate: Callable[[Tensor, Tensor, Tensor], Tensor], z: Tensor,
                        path: str | os.PathLike, *, categories: int, continuous: int,
                        dim: int = 0, steps: int = 8, low: float = -1.0, high: float = 1.0,
                        title: str | None = None) -> Path:
    """Write :func:`code_traversal_images` as a PNG: a row per categorical value (titled
    ``c = k``), the swept code's value above each column.

    :param path: destination; its directory must exist.
    :return: ``path`` as a :class:`~pathlib.Path`.
    """
    rows = code_traversal_images(generate, z, categories=categories, continuous=continuous,
                                 dim=dim, steps=steps, low=low, high=high)
    values = traversal_values(steps, low, high)
    return save_image_rows(rows, path, [f"c = {k}" for k in range(categories)],
                           column_titles=[f"{v:+.1f}" for v in values.tolist()],
                           title=title or f"categorical code (rows) x continuous code {dim} "
                                          f"(columns), fixed noise")
