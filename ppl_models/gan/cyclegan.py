r"""CycleGAN (Zhu et al. 2017): unpaired translation between two image domains A and B.

Two generators :math:`G: A \to B` and :math:`F: B \to A` and two discriminators
:math:`D_B` (real B vs :math:`G(a)`) and :math:`D_A` (real A vs :math:`F(b)`) play two
least-squares games (Mao et al. 2017; Zhu et al. Sec. 4), held together by cycle consistency
(their eq. 2) and, against colour inversion and tint, an identity term (Sec. 5.2, Taigman et
al. 2017):

.. math::
    \mathcal{L}_\text{cyc} = \mathbb{E}_a\|F(G(a)) - a\|_1 + \mathbb{E}_b\|G(F(b)) - b\|_1,
    \qquad
    \mathcal{L}_\text{id} = \mathbb{E}_b\|G(b) - b\|_1 + \mathbb{E}_a\|F(a) - a\|_1,

.. math::
    \mathcal{L}_G = \mathbb{E}_a(D_B(G(a)) - 1)^2 + \mathbb{E}_b(D_A(F(b)) - 1)^2
    + \lambda\,\mathcal{L}_\text{cyc} + 0.5\lambda\,\mathcal{L}_\text{id},\quad \lambda = 10

(their eq. 3 and the reference code's ``lambda_identity = 0.5``; :math:`\|\cdot\|_1` is the
mean absolute error per pixel, as ``nn.L1Loss``).

**Training**: the kind plays the cycle game (:mod:`inference.games.cycle`: least-squares
losses, the cycle and identity terms, a replay buffer of 50 past fakes per domain, Sec. 4
after Shrivastava et al. 2017) through :class:`inference.training.AdversarialStep` with
``betas=(0.5, 0.999)``, ``lr=2e-4``, ``lr_lambda=linear_decay(...)``. The model gives the
game the translations (:meth:`~CycleGAN.forward`) and :meth:`~CycleGAN.discriminate`, which
scores a pair ``(images of A, images of B)`` with the matching discriminators and
concatenates the patch outputs.

**Networks** at digit scale, the reference code's ``resnet`` generator and PatchGAN
discriminator with fewer layers: ``c7s1-c, d2c, d4c, R4c x blocks, u2c, uc, c7s1-C`` with
instance norm and reflection padding (a sigmoid output for images in [0, 1], not tanh), and
``C c (stride 2, no norm), C 2c (stride 2), C 4c (3x3, stride 1), 1`` patch logits, i.e.
``H/4 x W/4`` patches per image; weights from :math:`\mathcal{N}(0, 0.02^2)`.

Built from ``input_shape``, the one shape of both domains; it trains on two unpaired data
sets (:class:`~ppl_models.data.UnpairedDomains`).

References

1. Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
   Adversarial Networks", ICCV 2017; code ``junyanz/pytorch-CycleGAN-and-pix2pix``.
2. Mao et al., "Least Squares Generative Adversarial Networks", ICCV 2017.
3. Shrivastava et al., "Learning from Simulated and Unsupervised Images through Adversarial
   Training", CVPR 2017.
4. Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and
   Super-Resolution", ECCV 2016 (the residual generator).
"""

from __future__ import annotations

__all__ = ["DIRECTIONS", "CycleGAN"]

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ppl_models.gan.networks import check_count, check_unit_images
from ppl_models.registry import Option, register

#: Translation directions of :meth:`CycleGAN.translate`.
DIRECTIONS = ("a_to_b", "b_to_a")


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def image_shape_of(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """``(C, H, W)`` checked: positive ints, ``H`` and ``W`` divisible by 4 and at least 8
    (two stride-2 layers, then reflection padding needs maps wider than one pixel)."""
    if (not isinstance(image_shape, Sequence) or len(image_shape) != 3
            or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                   for s in image_shape)):
        raise ValueError(f"input_shape must be (C, H, W) positive ints, got {image_shape!r}")
    c, h, w = image_shape
    if h % 4 or w % 4 or h < 8 or w < 8:
        raise ValueError(f"input_shape's H and W must be multiples of 4 and >= 8, got "
                         f"{tuple(image_shape)}")
    return int(c), int(h), int(w)


def init_weights(module: nn.Module) -> None:
    # The reference code's init_type="normal": N(0, 0.02) weights, zero biases.
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


class ResidualBlock(nn.Module):
    """``x + conv(relu(conv(x)))`` with reflection padding and instance norm."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels),
            nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels))

    def forward(self, x: Tensor) -> Tensor:
        return x + self.body(x)


def resnet_generator(in_channels: int, out_channels: int, c: int, blocks: int) -> nn.Sequential:
    """Johnson et al.'s generator at two down/up-samplings: ``(N, in, H, W) -> (N, out, H, W)``
    in [0, 1]."""
    return nn.Sequential(
        nn.ReflectionPad2d(3), nn.Conv2d(in_channels, c, 7), nn.InstanceNorm2d(c), nn.ReLU(),
        nn.Conv2d(c, 2 * c, 3, 2, 1), nn.InstanceNorm2d(2 * c), nn.ReLU(),
        nn.Conv2d(2 * c, 4 * c, 3, 2, 1), nn.InstanceNorm2d(4 * c), nn.ReLU(),
        *(ResidualBlock(4 * c) for _ in range(blocks)),
        nn.ConvTranspose2d(4 * c, 2 * c, 3, 2, 1, output_padding=1), nn.InstanceNorm2d(2 * c),
        nn.ReLU(),
        nn.ConvTranspose2d(2 * c, c, 3, 2, 1, output_padding=1), nn.InstanceNorm2d(c),
        nn.ReLU(),
        nn.ReflectionPad2d(3), nn.Conv2d(c, out_channels, 7), nn.Sigmoid())


def patch_trunk(in_channels: int, c: int) -> nn.Sequential:
    """PatchGAN's trunk: ``(N, in, H, W) -> (N, 4c, H/4, W/4)`` features, each seeing a patch."""
    return nn.Sequential(
        nn.Conv2d(in_channels, c, 4, 2, 1), nn.LeakyReLU(0.2),  # no norm on the input layer
        nn.Conv2d(c, 2 * c, 4, 2, 1), nn.InstanceNorm2d(2 * c), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * c, 4 * c, 3, 1, 1), nn.InstanceNorm2d(4 * c), nn.LeakyReLU(0.2))


_OPTIONS = (
    Option("channels", 32, "base width c of the four networks", flag="--cyclegan-channels"),
    Option("residual_blocks", 3, "residual blocks in each generator",
           flag="--cyclegan-blocks"),
)


@register("cyclegan", "implicit", game="cycle", options=_OPTIONS)
class CycleGAN(nn.Module):
    """Two generators and two PatchGAN discriminators between image domains A and B.

    :param input_shape: ``(C, H, W)`` of both domains, ``H`` and ``W`` multiples of 4, >= 8.
    :param int channels: base width ``c`` of all four networks.
    :param int residual_blocks: residual blocks in each generator.
    """

    def __init__(self, input_shape: Sequence[int], channels: int = 32,
                 residual_blocks: int = 3) -> None:
        super().__init__()
        self.image_shape = image_shape_of(input_shape)
        self.channels = _positive_int(channels, "channels")
        self.residual_blocks = _positive_int(residual_blocks, "residual_blocks")
        c_in = self.image_shape[0]
        self.generator = nn.ModuleDict({
            d: resnet_generator(c_in, c_in, channels, residual_blocks) for d in DIRECTIONS})
        self.discriminator = nn.ModuleDict({
            d: nn.Sequential(patch_trunk(c_in, channels), nn.Conv2d(4 * channels, 1, 3, 1, 1))
            for d in ("a", "b")})
        self.apply(init_weights)

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.image_shape), "channels": self.channels,
                "residual_blocks": self.residual_blocks}

    def _check(self, x: Tensor, name: str) -> Tensor:
        if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{name} must have shape (N, {', '.join(map(str, self.image_shape))}"
                             f"), got {got}")
        return x

    def _pair(self, batch) -> tuple[Tensor, Tensor]:
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise ValueError("batch must be a pair (a, b) of image batches, one per domain")
        return self._check(batch[0], "batch[0] (domain A)"), self._check(batch[1],
                                                                        "batch[1] (domain B)")

    # -- translation ---------------------------------------------------------------------

    def forward(self, x: Tensor, direction: str = "a_to_b") -> Tensor:
        """``G(x)`` (``"a_to_b"``) or ``F(x)`` (``"b_to_a"``), differentiable; same shape."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
        return self.generator[direction](self._check(x, "x"))

    @torch.no_grad()
    def translate(self, x: Tensor, direction: str = "a_to_b") -> Tensor:
        """:meth:`forward` without gradients: ``(N, C, H, W)`` in [0, 1]."""
        return self(x, direction)

    @torch.no_grad()
    def sample(self, n: int, condition: Tensor | None = None) -> Tensor:
        """The B-domain translations of ``n`` A-domain images ``condition``.

        :param Tensor condition: ``(n, C, H, W)`` images of domain A (required: translation
            has nothing to draw from without an input).
        """
        n = check_count(n)
        if condition is None:
            raise ValueError("condition must be n images of domain A: CycleGAN translates")
        if len(self._check(condition, "condition")) != n:
            raise ValueError(f"condition must hold n = {n} images, got {len(condition)}")
        return self.translate(check_unit_images(condition, "condition"), "a_to_b")

    def example_condition(self, n: int) -> Tensor:
        """``n`` uniform-noise images: a valid ``condition`` for smoke checks."""
        return torch.rand(_positive_int(n, "n"), *self.image_shape,
                          device=next(self.parameters()).device)

    # -- the discriminators ----------------------------------------------------------------

    def discriminate(self, x: tuple[Tensor, Tensor]) -> Tensor:
        """Patch logits of a pair ``(images of A, images of B)``: :math:`D_A` on the first,
        :math:`D_B` on the second, concatenated; ``(N_a P + N_b P,)``, ``P = HW / 16``."""
        a, b = self._pair(x)
        return torch.cat([self.discriminator["a"](a).flatten(),
                          self.discriminator["b"](b).flatten()])
