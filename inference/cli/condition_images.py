"""``sample --condition FILE``: input images for a kind that translates or completes them.

A ``.pt`` file holds a float tensor ``(N, C, H, W)`` (read with ``weights_only=True``, so no
code is run); a ``.png`` file is one image, its colours averaged to grey. Either must have
the model's image shape and values in [0, 1]; anything else is refused naming the file.
"""

from __future__ import annotations

__all__ = ["read_condition_images"]

from pathlib import Path

import torch
from torch import Tensor


def read_condition_images(path: str, shape: tuple[int, int, int]) -> Tensor:
    """The images in ``path`` as ``(N, *shape)`` floats in [0, 1].

    :raises ValueError: naming the file, for another suffix, shape or range.
    """
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"--condition: no image file {path!r}")
    if file.suffix == ".pt":
        try:
            images = torch.load(file, weights_only=True)
        except Exception as e:  # a file that is not a tensor: say so, whatever torch says
            raise ValueError(f"--condition {path}: not a tensor file ({type(e).__name__})") \
                from None
        if not isinstance(images, Tensor) or not images.is_floating_point():
            raise ValueError(f"--condition {path}: must hold a float tensor of images")
    elif file.suffix == ".png":
        from matplotlib.image import imread

        pixels = torch.as_tensor(imread(file), dtype=torch.float32)
        grey = pixels[..., :3].mean(-1) if pixels.dim() == 3 else pixels
        images = grey[None, None]
    else:
        raise ValueError(f"--condition {path}: give a .pt tensor (N, C, H, W) or a .png image")
    if images.dim() == 3:
        images = images[None]
    if tuple(images.shape[1:]) != tuple(shape):
        raise ValueError(f"--condition {path}: images of shape {tuple(images.shape[1:])}; the "
                         f"model takes {tuple(shape)}")
    if not torch.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise ValueError(f"--condition {path}: image values must lie in [0, 1]")
    return images
