r"""Two coordinates to draw a latent space in: the first principal components of the guide
means, or the two most active units.

A map of a ``D``-dimensional code needs a plane. The principal components of the posterior
means :math:`\mu(x_i) = \mathbb{E}_{q(z \mid x_i)}[z]` keep as much of their spread as any
plane can; the two most active units (largest :math:`\operatorname{Var}_x \mu_u(x)`, the
activity of Burda et al. [1]) are actual latent coordinates, so a traversal of the same unit
can be read next to them. With ``D = 2`` both are the code itself.

References

1. Burda, Grosse, Salakhutdinov (2016). Importance Weighted Autoencoders. ICLR, section 5.2.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from inference.diagnostics.active_units import unit_activity

__all__ = ["PLANE_METHODS", "LatentPlane", "latent_plane"]

PLANE_METHODS = ("pca", "active")


@dataclass(frozen=True)
class LatentPlane:
    """Every datum's position in a plane of the latent space.

    :param Tensor coords: ``(N, 2)``, float64.
    :param tuple axis_labels: what each coordinate is, e.g. ``("PC 1", "PC 2")``.
    :param str description: one line saying which plane this is, for a figure's title.
    :param tuple dims: the latent dimensions shown, or ``None`` for principal components.
    """

    coords: Tensor
    axis_labels: tuple[str, str]
    description: str
    dims: tuple[int, int] | None


def latent_plane(guide_means: Tensor, method: str = "pca") -> LatentPlane:
    """Project ``(N, D)`` posterior means onto a plane chosen by ``method``.

    :param Tensor guide_means: ``(N, D)`` with ``N >= 2`` and ``D >= 2``, e.g.
        :attr:`~inference.diagnostics.ELBODecomposition.guide_means`.
    :param str method: ``"pca"`` (first two principal components; their signs are fixed so
        the largest loading is positive) or ``"active"`` (the two units of highest activity).
        Ignored when ``D = 2``.
    """
    if method not in PLANE_METHODS:
        raise ValueError(f"method must be one of {PLANE_METHODS}, got {method!r}")
    activity = unit_activity(guide_means)  # checks (N, D) with N >= 2
    means = guide_means.detach().double().cpu()
    if means.shape[1] < 2:
        raise ValueError(f"guide_means must have D >= 2 columns, got {means.shape[1]}")
    if means.shape[1] == 2:
        return LatentPlane(means, ("z[0]", "z[1]"), "the 2-D latent space", (0, 1))
    if method == "active":
        first, second = activity.argsort(descending=True)[:2].tolist()
        return LatentPlane(
            means[:, [first, second]], (f"z[{first}]", f"z[{second}]"),
            f"the 2 most active of {means.shape[1]} latent dims: z[{first}], z[{second}]",
            (first, second))
    centred = means - means.mean(0)
    _, singular, vt = torch.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    # An SVD's signs are arbitrary; fixing them keeps the map from flipping between runs.
    signs = axes.gather(1, axes.abs().argmax(1, keepdim=True)).sign()
    axes = axes * torch.where(signs == 0, 1.0, signs)
    share = (singular[:2] ** 2).sum() / (singular**2).sum().clamp(min=1e-300)
    return LatentPlane(
        centred @ axes.T, ("PC 1", "PC 2"),
        f"PC 1 and PC 2 of the {means.shape[1]}-D guide means ({100 * share:.0f}% of "
        "variance)", None)
