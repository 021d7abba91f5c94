"""Small convolutional encoder and decoder for ``(C, H, W)`` images (28x28 MNIST, 8x8 digits).

Each stride-2, 4x4 convolution with padding 1 halves the height and width exactly, and its
transposed twin doubles them back (Radford et al. 2016 use the same blocks), so ``H`` and ``W``
must be divisible by ``2 ** len(channels)``: ``28 -> 14 -> 7`` and ``8 -> 4 -> 2`` with the
default two layers. Fully connected layers of widths ``hidden`` sit between the flattened
feature map and the code.

References:

1. Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
   Generative Adversarial Networks", ICLR 2016.
"""

from collections.abc import Sequence

import torch
from torch import nn

from ppl_models.nn.mlp import MLP, check_widths

__all__ = ["ConvDecoder", "ConvEncoder"]


def _feature_shape(image_shape: Sequence[int], channels: tuple[int, ...]) -> tuple[int, int, int]:
    """Shape ``(channels[-1], H / 2^L, W / 2^L)`` of the deepest feature map."""
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (C, H, W), got {tuple(image_shape)!r}")
    c, h, w = check_widths(image_shape, "image_shape")
    factor = 2 ** len(channels)
    if h % factor or w % factor:
        raise ValueError(f"image height and width must be divisible by {factor} for "
                         f"{len(channels)} stride-2 layers, got {(h, w)}")
    return channels[-1], h // factor, w // factor


class ConvEncoder(nn.Module):
    """``(N, C, H, W) -> (N, out_features)``: strided convolutions, flatten, then an MLP.

    :param image_shape: ``(C, H, W)``.
    :param int out_features: output width (e.g. ``2 * latent_dim`` for a Gaussian code).
    :param hidden: widths of the fully connected layers after the convolutions.
    :param channels: output channels of each stride-2 convolution.
    """

    def __init__(self, image_shape: Sequence[int], out_features: int,
                 hidden: Sequence[int] = (), channels: Sequence[int] = (32, 64)):
        super().__init__()
        channels = check_widths(channels, "channels")
        features = _feature_shape(image_shape, channels)
        layers: list[nn.Module] = []
        for a, b in zip((image_shape[0], *channels[:-1]), channels, strict=True):
            layers += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.ReLU()]
        self.convs = nn.Sequential(*layers, nn.Flatten())
        self.head = MLP(features[0] * features[1] * features[2], hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.convs(x))


class ConvDecoder(nn.Module):
    """``(N, in_features) -> (N, C, H, W)``: an MLP to a feature map, then transposed convs.

    The output has no activation (logits).

    :param int in_features: code width (``latent_dim``).
    :param image_shape: ``(C, H, W)`` of the output.
    :param hidden: widths of the fully connected layers before the feature map.
    :param channels: the encoder's channels; the decoder runs through them in reverse.
    """

    def __init__(self, in_features: int, image_shape: Sequence[int],
                 hidden: Sequence[int] = (), channels: Sequence[int] = (32, 64)):
        super().__init__()
        channels = check_widths(channels, "channels")
        features = _feature_shape(image_shape, channels)
        self.head = nn.Sequential(
            MLP(in_features, hidden, features[0] * features[1] * features[2]),
            nn.ReLU(),
            nn.Unflatten(1, features),
        )
        ins = channels[::-1]
        outs = (*ins[1:], image_shape[0])
        layers: list[nn.Module] = []
        for a, b in zip(ins, outs, strict=True):
            layers += [nn.ConvTranspose2d(a, b, 4, stride=2, padding=1), nn.ReLU()]
        self.convs = nn.Sequential(*layers[:-1])  # logits: no activation after the last layer

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.convs(self.head(z))
