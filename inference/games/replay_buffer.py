"""The history of generated images a discriminator is shown (Shrivastava et al. 2017;
Zhu et al. 2017, Sec. 4): the reference CycleGAN code's ``ImagePool``, as game state.

While fewer than ``size`` images are stored each new one is stored and returned; afterwards
each is, with probability 1/2, swapped for a uniformly chosen stored one (which is returned,
the new one taking its place), else returned as it is. The stored images are in
:meth:`ReplayBuffer.state_dict`, so a resumed run shows the discriminator the same history.

References

1. Shrivastava et al., "Learning from Simulated and Unsupervised Images through Adversarial
   Training", CVPR 2017.
2. Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
   Adversarial Networks", ICCV 2017.
"""

from __future__ import annotations

__all__ = ["ReplayBuffer"]

from typing import Any

import torch
from torch import Tensor


class ReplayBuffer:
    """Past fakes, swapped into the batches the discriminator sees.

    :param int size: images kept; 0 returns every batch unchanged.
    """

    def __init__(self, size: int = 50) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"size must be an int >= 0, got {size!r}")
        self.size = size
        self.images: list[Tensor] = []

    def query(self, images: Tensor) -> Tensor:
        """The batch the discriminator sees in place of ``images`` ``(N, ...)``, same shape
        (coin flips and choices from torch's global RNG, which the trainer checkpoints)."""
        if not isinstance(images, Tensor) or images.dim() < 1:
            raise ValueError("images must be a batch tensor (N, ...)")
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand(()).item() < 0.5:
                i = int(torch.randint(self.size, ()))
                out.append(self.images[i])
                self.images[i] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)

    def state_dict(self) -> dict[str, Any]:
        """``{"images": (M, ...) tensor of the stored images, M <= size}``."""
        return {"images": torch.stack(self.images) if self.images else torch.zeros(0)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        :raises ValueError: for more images than ``size`` or a state without ``images``.
        """
        images = state_dict.get("images") if isinstance(state_dict, dict) else None
        if not isinstance(images, Tensor) or len(images) > self.size:
            raise ValueError(f"a replay buffer's state must hold at most {self.size} images, "
                             f"got {type(images).__name__}")
        self.images = [] if images.numel() == 0 else [i.clone() for i in images]
