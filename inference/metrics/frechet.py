r"""FID and KID through torchmetrics, on the features of a locally trained classifier.

:math:`\mathrm{FID} = \|\mu_r - \mu_g\|^2 + \mathrm{tr}(\Sigma_r + \Sigma_g -
2(\Sigma_r\Sigma_g)^{1/2})` between Gaussians fitted to the two feature sets (Heusel et al.
2017); KID is the unbiased squared MMD with the cubic polynomial kernel
:math:`k(a, b) = (a^\top b / d + 1)^3`, averaged over random subsets (Bińkowski et al. 2018).

``torchmetrics`` computes both; the feature extractor is given as its ``feature=`` module
(its ``num_features`` attribute spares torchmetrics its 3x299x299 probe), so nothing is
downloaded and neither torchvision nor torch-fidelity is needed. Numbers are comparable only
between runs with the same extractor: every result names it (``extractor``) with its weights'
hash.

References

1. Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
   Equilibrium", NeurIPS 2017.
2. Bińkowski, Sutherland, Arbel & Gretton, "Demystifying MMD GANs", ICLR 2018.
"""

from __future__ import annotations

__all__ = ["frechet_distance", "kernel_distance"]

import warnings
from typing import Any

import torch
from torch import Tensor, nn


def _images(x: Tensor, name: str) -> Tensor:
    if not isinstance(x, Tensor) or x.dim() != 4:
        raise ValueError(f"{name} must be images (N, C, H, W), got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    if len(x) < 2:
        raise ValueError(f"{name} must hold at least 2 images, got {len(x)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} must be finite")
    return x.float()


def _describe(extractor: nn.Module) -> dict[str, Any]:
    sha = getattr(extractor, "weights_sha256", None)
    return {"extractor": type(extractor).__name__, "extractor_sha256": sha,
            "num_features": int(extractor.num_features)}


# Both sets are whole on the calling process: torchmetrics' default would gather states from
# every rank of an initialised process group at compute(), and under torchrun only rank 0
# scores (the others have finished), so it would wait for ranks that never come.
_LOCAL = {"sync_on_compute": False}


class _Frozen(nn.Module):
    """The extractor in eval mode without gradients: what torchmetrics calls."""

    def __init__(self, extractor: nn.Module) -> None:
        super().__init__()
        self.extractor = extractor
        self.num_features = int(extractor.num_features)

    @torch.no_grad()
    def forward(self, x: Tensor) -> Tensor:
        self.extractor.eval()
        return self.extractor(x)


def frechet_distance(real: Tensor, fake: Tensor, extractor: nn.Module,
                     batch_size: int = 1000) -> dict[str, Any]:
    """FID between two image sets in ``extractor``'s feature space.

    :param Tensor real: reference images ``(N, C, H, W)`` in [0, 1].
    :param Tensor fake: images to score, same ``(C, H, W)``.
    :param nn.Module extractor: maps images to ``(N, F)``; has ``num_features``.
    :return: ``{"fid", "n_real", "n_fake", "extractor", "extractor_sha256",
        "num_features"}``.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

    real, fake = _images(real, "real"), _images(fake, "fake")
    metric = FrechetInceptionDistance(feature=_Frozen(extractor), normalize=True,
                                      **_LOCAL)
    for b in real.split(batch_size):
        metric.update(b, real=True)
    for b in fake.split(batch_size):
        metric.update(b, real=False)
    return {"fid": float(metric.compute()), "n_real": len(real), "n_fake": len(fake),
            **_describe(extractor)}


def kernel_distance(real: Tensor, fake: Tensor, extractor: nn.Module, *, subsets: int = 50,
                    subset_size: int | None = None, seed: int = 0,
                    batch_size: int = 1000) -> dict[str, Any]:
    """KID (mean and standard deviation over ``subsets`` random subsets).

    :param int subset_size: images per subset (default: the smaller set's size, at most
        1000).
    :param int seed: seeds the subsets (torchmetrics draws them from torch's global RNG,
        which is restored afterwards).
    :return: ``{"kid", "kid_std", "subsets", "subset_size", ...}`` as :func:`frechet_distance`.
    """
    from torchmetrics.image.kid import KernelInceptionDistance

    real, fake = _images(real, "real"), _images(fake, "fake")
    size = subset_size or min(len(real), len(fake), 1000)
    with warnings.catch_warnings():
        # Its warning that it keeps all features: at these sizes that is the point.
        warnings.simplefilter("ignore", UserWarning)
        metric = KernelInceptionDistance(feature=_Frozen(extractor), subsets=subsets,
                                         subset_size=size, normalize=True, **_LOCAL)
    for b in real.split(batch_size):
        metric.update(b, real=True)
    for b in fake.split(batch_size):
        metric.update(b, real=False)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        mean, std = metric.compute()
    finally:
        torch.random.set_rng_state(state)
    return {"kid": float(mean), "kid_std": float(std), "subsets": subsets, "subset_size": size,
            "n_real": len(real), "n_fake": len(fake), **_describe(extractor)}
