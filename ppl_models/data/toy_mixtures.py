"""Two-dimensional Gaussian mixtures for counting a GAN's modes (the PacGAN protocol).

================  ==========================================  ===========  ========
name              means                                       std          modes
================  ==========================================  ===========  ========
``"ring"``        8 points evenly on the unit circle          0.01         8
``"grid"``        :math:`\\{-4, -2, 0, 2, 4\\}^2`                0.05         25
================  ==========================================  ===========  ========

Components are equally weighted and isotropic. These are the 2-D mixtures of Metz et al.
(2017), Srivastava et al. (2017, VEEGAN) and Lin et al. (2018, PacGAN, Sec. 4.1), whose
metrics (:func:`inference.metrics.mode_coverage`) count a sample as high quality within three
standard deviations of its nearest mean.

References

1. Metz, Poole, Pfau & Sohl-Dickstein, "Unrolled Generative Adversarial Networks", ICLR 2017.
2. Srivastava, Valkov, Russell, Gutmann & Sutton, "VEEGAN", NeurIPS 2017.
3. Lin, Khetan, Fanti & Oh, "PacGAN: The power of two samples in generative adversarial
   networks", NeurIPS 2018.
"""

from __future__ import annotations

__all__ = ["TOY_MIXTURES", "grid_means", "ring_means", "sample_mixture", "toy_mixture"]

import math

import torch


def ring_means(n_modes: int = 8, radius: float = 1.0) -> torch.Tensor:
    """``n_modes`` points evenly on a circle of ``radius``, the first at angle 0; ``(K, 2)``."""
    if isinstance(n_modes, bool) or not isinstance(n_modes, int) or n_modes < 1:
        raise ValueError(f"n_modes must be a positive int, got {n_modes!r}")
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius!r}")
    angle = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    return (radius * torch.stack([angle.cos(), angle.sin()], dim=1)).float()


def grid_means(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    """A ``side`` x ``side`` grid centred on 0 with ``spacing`` between points; ``(side², 2)``.

    The default is PacGAN's :math:`\\{-4, -2, 0, 2, 4\\}^2`.
    """
    if isinstance(side, bool) or not isinstance(side, int) or side < 1:
        raise ValueError(f"side must be a positive int, got {side!r}")
    if not spacing > 0:
        raise ValueError(f"spacing must be positive, got {spacing!r}")
    axis = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    return torch.cartesian_prod(axis, axis)


def sample_mixture(means: torch.Tensor, std: float, n: int,
                   generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` draws from the equal-weight mixture of ``N(mean_k, std² I)``; ``(n, D)``.

    :param Tensor means: ``(K, D)`` component means.
    :param float std: the components' common standard deviation.
    :param int n: number of draws.
    :param generator: the source of randomness (default torch's global one).
    """
    if not isinstance(means, torch.Tensor) or means.dim() != 2 or len(means) == 0:
        raise ValueError(f"means must be a (K, D) tensor, got "
                         f"{tuple(means.shape) if isinstance(means, torch.Tensor) else means!r}")
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    component = torch.randint(len(means), (n,), generator=generator)
    noise = torch.randn(n, means.shape[1], generator=generator)
    return means[component] + std * noise


#: ``{name: (means (K, 2), std)}`` for the PacGAN protocol's mixtures.
TOY_MIXTURES = {"ring": (ring_means(8), 0.01), "grid": (grid_means(5), 0.05)}


def toy_mixture(name: str) -> tuple[torch.Tensor, float]:
    """``(means, std)`` of the mixture ``name`` in :data:`TOY_MIXTURES` (means a fresh copy)."""
    if name not in TOY_MIXTURES:
        raise ValueError(f"name must be one of {tuple(TOY_MIXTURES)}, got {name!r}")
    means, std = TOY_MIXTURES[name]
    return means.clone(), std
