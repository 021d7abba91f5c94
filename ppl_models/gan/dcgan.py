r"""DCGAN (Radford et al. 2016) for small square images: 28x28 MNIST and 8x8 digits.

The architecture follows their Sec. 3 guidelines:

- strided convolutions in the discriminator, fractionally strided (transposed) ones in the
  generator, no pooling and no fully connected hidden layers;
- batch normalisation in both networks except the generator's output layer and the
  discriminator's input layer;
- ReLU in the generator (its output squashed), LeakyReLU with slope 0.2 in the discriminator;
- weights drawn from :math:`\mathcal{N}(0, 0.02^2)` (batch-norm scales from
  :math:`\mathcal{N}(1, 0.02^2)`), and Adam with learning rate 2e-4 and :math:`\beta_1 = 0.5`
  (given to :class:`inference.training.AdversarialStep`, which owns the optimisers).

Images here are in [0, 1], so the generator ends in a sigmoid rather than their tanh on
[-1, 1] (the same function up to an affine map: :math:`\sigma(2a) = (\tanh a + 1) / 2`).

For an ``H x W`` image (``H`` and ``W`` divisible by 4) the generator projects ``z`` to a
``4c x H/4 x W/4`` map with one transposed convolution whose kernel is that size, then doubles
it twice (``4c -> 2c -> C``); the discriminator mirrors it (``C -> c -> 2c``, then a
``H/4 x W/4`` convolution to one logit). 28x28 gives 7x7 maps, 8x8 gives 2x2.

Every ``BatchNorm2d`` is built with its arguments named (``eps=BN_EPS, momentum=BN_MOMENTUM``):
PyTorch-GAN's ``BatchNorm2d(128, 0.8)`` passes 0.8 as ``eps``, where its authors meant the
momentum; ``tests/gan/test_dcgan.py`` checks every layer's values.

References

1. Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
   Generative Adversarial Networks", ICLR 2016.
"""

from __future__ import annotations

__all__ = ["BN_EPS", "BN_MOMENTUM", "DCGAN"]

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.distributions import Distribution

from ppl_models.gan.networks import check_count
from ppl_models.observation import LatentGenerator, standard_normal_prior
from ppl_models.registry import Option, register

#: torch's defaults, passed by name so that neither can land in the other's place.
BN_EPS = 1e-5
BN_MOMENTUM = 0.1


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


def _init_weights(module: nn.Module) -> None:
    # Radford et al. 2016, Sec. 4: N(0, 0.02) weights; batch-norm scales around 1.
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _shape(input_shape: Sequence[int]) -> tuple[int, int, int]:
    if (not isinstance(input_shape, Sequence) or len(input_shape) != 3
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                   for s in input_shape)):
        raise ValueError(f"input_shape must be (C, H, W) positive ints, got {input_shape!r}")
    c, h, w = input_shape
    if h % 4 or w % 4:
        raise ValueError(f"input_shape's H and W must be divisible by 4 (two stride-2 layers), "
                         f"got {tuple(input_shape)}")
    return int(c), int(h), int(w)


_OPTIONS = (
    Option("latent_dim", 100, "size of the generator's noise z"),
    Option("channels", 64, "feature maps c of the first discriminator layer (the generator "
           "uses 4c, 2c)", flag="--dcgan-channels"),
)


@register("dcgan", "implicit", game="standard", options=_OPTIONS)
class DCGAN(nn.Module, LatentGenerator):
    r"""Convolutional generator and discriminator for ``(N, C, H, W)`` images in [0, 1].

    A :class:`~ppl_models.observation.LatentGenerator`: ``G(z)``, :math:`z \sim
    \mathcal{N}(0, I)`, ends in a sigmoid, so either observation model can be stated.

    :param input_shape: ``(C, H, W)``, ``H`` and ``W`` divisible by 4.
    :param int latent_dim: noise dimension.
    :param int channels: base width ``c``.
    """

    def __init__(self, input_shape: Sequence[int], latent_dim: int = 100,
                 channels: int = 64) -> None:
        super().__init__()
        c_in, h, w = _shape(input_shape)
        for value, name in ((latent_dim, "latent_dim"), (channels, "channels")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.input_shape = (c_in, h, w)
        self.latent_dim = latent_dim
        self.channels = channels
        base = (h // 4, w // 4)
        c = channels
        self.generator = nn.Sequential(
            nn.Unflatten(1, (latent_dim, 1, 1)),
            nn.ConvTranspose2d(latent_dim, 4 * c, base, 1, 0, bias=False), _bn(4 * c),
            nn.ReLU(),
            nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False), _bn(2 * c), nn.ReLU(),
            # The output layer: no batch norm (Radford et al. 2016, Sec. 3).
            nn.ConvTranspose2d(2 * c, c_in, 4, 2, 1), nn.Sigmoid(),
        )
        self.discriminator = nn.Sequential(
            # The input layer: no batch norm.
            nn.Conv2d(c_in, c, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), _bn(2 * c), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 1, base, 1, 0), nn.Flatten(0),
        )
        self.apply(_init_weights)

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.input_shape), "latent_dim": self.latent_dim,
                "channels": self.channels}

    def generator_and_prior(self) -> tuple[nn.Module, Distribution]:
        r"""The generator, codes ``(M, latent_dim)`` to images ``(M, C, H, W)`` in [0, 1], and
        its prior :math:`\mathcal{N}(0, I)` (what :meth:`generate` draws)."""
        return self.generator, standard_normal_prior(
            self.latent_dim, next(self.generator.parameters()))

    def generate(self, n: int, condition: None = None) -> Tensor:
        """``n`` images ``G(z)``, differentiable in the generator's parameters;
        ``(n, C, H, W)``.

        :param condition: must be ``None`` (the model is unconditional).
        """
        if condition is not None:
            raise ValueError("condition must be None: DCGAN is unconditional")
        n = check_count(n)
        device = next(self.generator.parameters()).device
        return self.generator(torch.randn(n, self.latent_dim, device=device))

    @torch.no_grad()
    def sample(self, n: int, condition: None = None) -> Tensor:
        """``n`` images in eval mode (batch norm on its running statistics), no gradients.

        :param condition: must be ``None`` (the model is unconditional).
        """
        was_training = self.generator.training
        self.generator.eval()
        try:
            return self.generate(n, condition)
        finally:
            self.generator.train(was_training)

    def discriminate(self, x: Tensor) -> Tensor:
        """Logits of images ``x`` ``(N, C, H, W)``; ``(N,)``."""
        if x.dim() != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.input_shape))}), "
                             f"got {tuple(x.shape)}")
        return self.discriminator(x)
