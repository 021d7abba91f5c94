"""Two unpaired data sets as one training set: what a translation game (CycleGAN) trains on.

CycleGAN's data are two collections of images with no correspondence between them (Zhu et
al. 2017, Sec. 1), possibly of different sizes. :class:`UnpairedDomains` is indexed by the
first domain: a minibatch of indices ``idx`` gives ``(a[idx], b[j])`` with ``j`` drawn
uniformly from the second domain, afresh at every call (the reference code's
``serial_batches=False``: ``index_B = random.randint(0, B_size - 1)``), so no pairing is fixed.
The draws use torch's global RNG, which the trainer seeds and checkpoints, so a resumed run
draws the same pairs.

References

1. Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
   Adversarial Networks", ICCV 2017; code ``junyanz/pytorch-CycleGAN-and-pix2pix``
   (``data/unaligned_dataset.py``).
"""

from __future__ import annotations

__all__ = ["UnpairedDomains"]

import torch
from torch import Tensor


class UnpairedDomains:
    """Domains ``a`` ``(N_a, ...)`` and ``b`` ``(N_b, ...)``, of one example shape.

    :param Tensor a: the first domain's examples (indexed by the trainer).
    :param Tensor b: the second domain's (drawn at random for each batch).
    :raises ValueError: for empty domains or domains of different example shapes.
    """

    def __init__(self, a: Tensor, b: Tensor) -> None:
        for t, name in ((a, "a"), (b, "b")):
            if not isinstance(t, Tensor) or t.dim() < 2 or len(t) == 0:
                raise ValueError(f"{name} must be a non-empty batch tensor (N, ...), got "
                                 f"{tuple(getattr(t, 'shape', ())) or type(t).__name__}")
        if a.shape[1:] != b.shape[1:]:
            raise ValueError(f"a and b must hold examples of one shape, got "
                             f"{tuple(a.shape[1:])} and {tuple(b.shape[1:])}")
        self.a, self.b = a, b

    def __len__(self) -> int:
        return len(self.a)

    def take(self, idx: Tensor | slice) -> tuple[Tensor, Tensor]:
        """``(a[idx], b[j])``, ``j`` uniform over ``b``'s examples, one per example taken."""
        a = self.a[idx]
        return a, self.b[torch.randint(len(self.b), (len(a),))]
