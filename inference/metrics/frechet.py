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

from inference.metrics.image_input import check_images, refuse_classifier_pair


def _image_sets(real: Tensor, fake: Tensor, extractor: nn.Module, *, at_least: int = 2,
                why: str = "") -> tuple[Tensor, Tensor]:
    """Both sets checked (see :mod:`inference.metrics.image_input`) and of one image shape."""
    refuse_classifier_pair(extractor, "extractor")
    if not isinstance(extractor, nn.Module):
        raise ValueError(f"extractor must be an nn.Module mapping images to features, got "
                         f"{type(extractor).__name__}")
    # What the images are is checked before how many there are: a wrong array is the
    # likelier mistake, and its message the more useful.
    real, fake = check_images(real, "real", at_least=0), check_images(fake, "fake", at_least=0)
    if real.shape[1:] != fake.shape[1:]:
        # The extractor would score each set as it is, in a feature space that means
        # something for one image size at most.
        raise ValueError(f"real and fake must be images of the same (C, H, W), got real "
                         f"{tuple(real.shape[1:])} and fake {tuple(fake.shape[1:])}")
    for name, x in (("real", real), ("fake", fake)):
        if len(x) < at_least:
            raise ValueError(f"{name} must hold at least {at_least} images{why}, got {len(x)}")
    return real, fake


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

    :param Tensor real: reference images ``(N, C, H, W)``, floats in [0, 1], ``N > F``.
    :param Tensor fake: images to score, same ``(C, H, W)``, ``N > F``.
    :param nn.Module extractor: maps images to ``(N, F)``; has ``num_features`` (``F``).
        The classifier of :func:`~inference.metrics.feature_classifier`, not its
        ``(classifier, info)`` pair.
    :raises ValueError: for images that are not floats in [0, 1], sets of different image
        shapes, ``F`` or fewer images in a set, or images of a shape the extractor refuses.
    :return: ``{"fid", "n_real", "n_fake", "extractor", "extractor_sha256",
        "num_features"}``.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

    refuse_classifier_pair(extractor, "extractor")
    features = int(extractor.num_features) if isinstance(extractor, nn.Module) else 0
    # N images give a covariance of rank at most N - 1: with fewer than F + 1 the F x F
    # covariances are singular and the distance is an artefact of the estimate (2 images per
    # set on 64 features gave 1190).
    real, fake = _image_sets(real, fake, extractor, at_least=max(features + 1, 2),
                             why=f" (one more than the extractor's {features} features)")
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

    # The unbiased MMD needs two images per subset, not a full-rank covariance.
    real, fake = _image_sets(real, fake, extractor)
    if isinstance(subsets, bool) or not isinstance(subsets, int) or subsets < 1:
        raise ValueError(f"subsets must be a positive int, got {subsets!r}")
    smaller = min(len(real), len(fake))
    if subset_size is not None and (isinstance(subset_size, bool)
                                    or not isinstance(subset_size, int)
                                    or not 2 <= subset_size <= smaller):
        raise ValueError(f"subset_size must be an int from 2 to the smaller set's {smaller} "
                         f"images, got {subset_size!r}")
    size = subset_size or min(smaller, 1000)
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
