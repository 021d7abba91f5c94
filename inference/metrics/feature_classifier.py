"""A small digit classifier trained here, whose penultimate layer is the feature space of the
sample metrics (FID, KID, precision / recall / density / coverage, class histograms).

Inception features (Heusel et al. 2017) are for 299x299 natural images and need a download;
a digit classifier trained locally on the same data the models see is the customary offline
substitute for MNIST-like data (e.g. Lucic et al. 2018 use a LeNet on MNIST). Its training is
seeded and deterministic given the machine, its weights' SHA-256 is recorded beside every
number computed with it, and it is cached so it is trained once per (dataset, seed).

References

1. Heusel, Ramsauer, Unterthiner, Nessler & Hochreiter, "GANs Trained by a Two Time-Scale
   Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017 (FID).
2. Lucic, Kurach, Michalski, Gelly & Bousquet, "Are GANs Created Equal? A Large-Scale Study",
   NeurIPS 2018.
"""

from __future__ import annotations

__all__ = ["FeatureClassifier", "default_cache_dir", "feature_classifier"]

import hashlib
import os
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ppl_models.cache_folder import default_cache_dir
from ppl_models.data import load_dataset

#: Bump when the architecture or the training recipe changes: old cache files are ignored.
RECIPE = 1


class FeatureClassifier(nn.Module):
    """Three convolutions and two linear layers for ``(N, C, H, W)`` images in [0, 1].

    ``forward(x)`` returns the ``num_features`` penultimate activations ``(N, F)`` (what
    torchmetrics' ``feature=`` argument expects); :meth:`logits` the class scores
    ``(N, num_classes)``.

    :param int in_channels: image channels ``C``.
    :param int num_classes: number of labels.
    :param int num_features: width of the feature layer.
    :param image_shape: ``(C, H, W)`` of the images it was trained on, or None for any
        size. The adaptive pooling accepts any size, so without this an 8x8 classifier
        would read 28x28 images into features that mean nothing for them.
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10,
                 num_features: int = 64, image_shape: tuple[int, int, int] | None = None
                 ) -> None:
        super().__init__()
        self.in_channels, self.num_classes = in_channels, num_classes
        self.image_shape = None if image_shape is None else tuple(int(s) for s in image_shape)
        # torchmetrics reads this instead of probing with a 3x299x299 uint8 image.
        self.num_features = num_features
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
            # 2x2 for both 8x8 (-> 2x2 already) and 28x28 (7x7 -> 2x2) inputs.
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(32 * 4, num_features), nn.ReLU(),
        )
        self.head = nn.Linear(num_features, num_classes)

    def _check(self, x: Tensor) -> Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"x must be images (N, {self.in_channels}, H, W), got "
                             f"{tuple(x.shape)}")
        if self.image_shape is not None and tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"images of shape {tuple(x.shape[1:])} given to a classifier "
                             f"trained on {self.image_shape} images: its features and labels "
                             "mean nothing for them (use the classifier of their data set)")
        return x.float()

    def forward(self, x: Tensor) -> Tensor:
        return self.body(self._check(x))

    def logits(self, x: Tensor) -> Tensor:
        return self.head(self.forward(x))

    @torch.no_grad()
    def predict(self, x: Tensor, batch_size: int = 1000) -> Tensor:
        """Most likely class of each image, ``(N,)`` int64, in eval mode."""
        self.eval()
        device = self.head.weight.device  # images from a model on another device come here
        return torch.cat([self.logits(b.to(device)).argmax(1) for b in x.split(batch_size)])

    @torch.no_grad()
    def features(self, x: Tensor, batch_size: int = 1000) -> Tensor:
        """Feature vectors ``(N, num_features)`` in eval mode, batched."""
        self.eval()
        device = self.head.weight.device  # images from a model on another device come here
        return torch.cat([self.forward(b.to(device)) for b in x.split(batch_size)])

    @property
    def weights_sha256(self) -> str:
        """SHA-256 of the parameters' float32 bytes in ``state_dict`` order (names what a
        metric was computed with; two machines may train different weights)."""
        h = hashlib.sha256()
        for name, t in self.state_dict().items():
            h.update(name.encode())
            h.update(t.detach().cpu().contiguous().float().numpy().tobytes())
        return h.hexdigest()


def _train(images: Tensor, labels: Tensor, *, seed: int, epochs: int,
           batch_size: int = 64, lr: float = 2e-3) -> FeatureClassifier:
    g = torch.Generator().manual_seed(seed)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = FeatureClassifier(images.shape[1], int(labels.max()) + 1,
                                  image_shape=tuple(images.shape[1:]))
    finally:
        torch.random.set_rng_state(state)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, epochs * -(-len(images) // batch_size))
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(images), generator=g)
        for idx in order.split(batch_size):
            loss = F.cross_entropy(model.logits(images[idx]), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model


_EPOCHS = {"digits": 30, "mnist5k": 15}


def feature_classifier(dataset: str = "digits", *, seed: int = 0,
                       cache_dir: str | os.PathLike | None = None,
                       epochs: int | None = None, data_path: str | os.PathLike | None = None
                       ) -> tuple[FeatureClassifier, dict[str, Any]]:
    """The feature classifier of ``dataset``, trained on its train split (grey levels, the
    ``seed``-th random split) on first use and cached in ``cache_dir``.

    :param str dataset: a name :func:`ppl_models.data.load_dataset` knows with labels
        (``"digits"`` for 8x8, ``"mnist5k"`` or ``"mnist"`` for 28x28).
    :param int seed: seeds the split, the initial weights and the batch order.
    :param cache_dir: where the weights are kept (default :func:`default_cache_dir`).
    :param epochs: training epochs (default 30 for digits, 15 otherwise).
    :param data_path: the files of a file-based dataset.
    :return: ``(classifier, info)``; ``info`` holds ``name``, ``dataset``, ``seed``,
        ``weights_sha256``, ``test_accuracy`` and ``cached`` (whether it was read back).
    """
    epochs = epochs or _EPOCHS.get(dataset, 15)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = cache / f"feature_classifier_{dataset}_seed{seed}_e{epochs}_r{RECIPE}.pt"
    splits = load_dataset(dataset, path=data_path, binarize=None, seed=seed)
    if splits.train_labels is None or splits.test_labels is None:
        raise ValueError(f"dataset {dataset!r} has no labels to train a classifier on")
    cached = path.is_file()
    if cached:
        saved = torch.load(path, weights_only=True)
        # The image shape is not in the cached config (files written before it was known
        # stay valid): it is the data set's, which the cache file is named by.
        model = FeatureClassifier(**saved["config"], image_shape=tuple(splits.train.shape[1:]))
        model.load_state_dict(saved["state"])
        model.eval()
    else:
        model = _train(splits.train, splits.train_labels, seed=seed, epochs=epochs)
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        # Written whole, then renamed: a concurrent reader never sees half a file.
        torch.save({"config": {"in_channels": model.in_channels,
                               "num_classes": model.num_classes,
                               "num_features": model.num_features},
                    "state": model.state_dict()}, tmp)
        os.replace(tmp, path)
    accuracy = float((model.predict(splits.test) == splits.test_labels).float().mean())
    info = {"name": f"FeatureClassifier({dataset}, seed={seed}, epochs={epochs})",
            "dataset": dataset, "seed": seed, "weights_sha256": model.weights_sha256,
            "test_accuracy": accuracy, "cached": cached, "path": str(path)}
    return model, info
