r"""The convolutional players InfoGAN and its conditional cousins share (Chen et al. 2016,
Table 1, MNIST), for ``(C, H, W)`` images with ``H`` and ``W`` divisible by 4.

- :class:`ConvGenerator`: ``FC(hidden) - BN - ReLU - FC(2c x H/4 x W/4) - BN - ReLU -
  4x4 up-conv(c, stride 2) - BN - ReLU - 4x4 up-conv(C, stride 2) - sigmoid``;
- :class:`ConvFeatures`, the discriminator's body: ``4x4 conv(c, stride 2) - lReLU -
  4x4 conv(2c, stride 2) - BN - lReLU - FC(hidden) - BN - lReLU``, whose ``(N, hidden)``
  output the real/fake head, InfoGAN's Q head or a projection discriminator read.

Chen et al. use ``c = 64`` and ``hidden = 1024``; the images here are in [0, 1], hence the
sigmoid. Batch norms are built with their arguments named (see :mod:`ppl_models.gan.dcgan`).

References

1. Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN", NeurIPS 2016, App. C.
"""

from __future__ import annotations

__all__ = ["ConvFeatures", "ConvGenerator", "check_image_shape", "check_positive_int",
           "init_weights", "q_head"]

from collections.abc import Sequence

from torch import nn

from ppl_models.gan.dcgan import BN_EPS, BN_MOMENTUM


def check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def check_image_shape(input_shape: Sequence[int]) -> tuple[int, int, int]:
    """``(C, H, W)`` positive ints with ``H`` and ``W`` divisible by 4."""
    if (not isinstance(input_shape, Sequence) or len(input_shape) != 3
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                   for s in input_shape)):
        raise ValueError(f"input_shape must be (C, H, W) positive ints, got {input_shape!r}")
    if input_shape[1] % 4 or input_shape[2] % 4:
        raise ValueError(f"input_shape's H and W must be divisible by 4 (two stride-2 layers), "
                         f"got {tuple(input_shape)}")
    return tuple(int(s) for s in input_shape)


def init_weights(module: nn.Module) -> None:
    """:math:`\\mathcal{N}(0, 0.02^2)` weights, batch-norm scales around 1 (Radford et al.)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _bn1(n: int) -> nn.BatchNorm1d:
    return nn.BatchNorm1d(n, eps=BN_EPS, momentum=BN_MOMENTUM)


def _bn2(n: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(n, eps=BN_EPS, momentum=BN_MOMENTUM)


class ConvGenerator(nn.Sequential):
    """``(N, in_features)`` -> images ``(N, C, H, W)`` in [0, 1].

    :param int in_features: noise and code (or condition) widths together.
    :param input_shape: ``(C, H, W)``.
    :param int channels: ``c``.
    :param int hidden: the first fully connected width.
    """

    def __init__(self, in_features: int, input_shape: Sequence[int], channels: int,
                 hidden: int) -> None:
        c_in, h, w = check_image_shape(input_shape)
        c = channels
        super().__init__(
            nn.Linear(in_features, hidden, bias=False), _bn1(hidden), nn.ReLU(),
            nn.Linear(hidden, 2 * c * (h // 4) * (w // 4), bias=False),
            _bn1(2 * c * (h // 4) * (w // 4)), nn.ReLU(),
            nn.Unflatten(1, (2 * c, h // 4, w // 4)),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False), _bn2(c), nn.ReLU(),
            # No batch norm at the output (Radford et al. 2016, Sec. 3).
            nn.ConvTranspose2d(c, c_in, 4, 2, 1), nn.Sigmoid(),
        )


class ConvFeatures(nn.Sequential):
    """Images ``(N, C, H, W)`` -> features ``(N, hidden)``, the discriminator's body.

    :param input_shape: ``(C, H, W)``.
    :param int channels: ``c``.
    :param int hidden: the feature width.
    :param int extra_channels: channels appended to the image (e.g. a broadcast text
        embedding); 0 for none.
    """

    def __init__(self, input_shape: Sequence[int], channels: int, hidden: int,
                 extra_channels: int = 0) -> None:
        c_in, h, w = check_image_shape(input_shape)
        c = channels
        super().__init__(
            # No batch norm at the input (Radford et al. 2016, Sec. 3).
            nn.Conv2d(c_in + extra_channels, c, 4, 2, 1), nn.LeakyReLU(0.1),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), _bn2(2 * c), nn.LeakyReLU(0.1),
            nn.Flatten(1),
            nn.Linear(2 * c * (h // 4) * (w // 4), hidden, bias=False), _bn1(hidden),
            nn.LeakyReLU(0.1),
        )


def q_head(in_features: int, hidden: int, out_features: int) -> nn.Sequential:
    """InfoGAN's Q on the discriminator's features: ``FC(hidden) - BN - lReLU - FC(out)``;
    the last layer outputs **logits** and means, never a softmax."""
    return nn.Sequential(nn.Linear(in_features, hidden, bias=False), _bn1(hidden),
                         nn.LeakyReLU(0.1), nn.Linear(hidden, out_features))
