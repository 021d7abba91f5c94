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

**Training through** :class:`inference.training.AdversarialStep` with ``loss="least_squares"``
and ``betas=(0.5, 0.999)``, ``lr=2e-4``, ``lr_lambda=linear_decay(...)``: the model gives
the step the two domains as tuples ``real = (a, b)``, ``fake = (F(b), G(a))``;
:meth:`discriminate` scores a pair with the matching discriminators and concatenates the
patch outputs. The step's least-squares losses average over that concatenation, which is
:math:`\frac14` of the reference code's sum of two ``MSELoss`` terms for the generator;
:meth:`extra_generator_loss` is scaled by the same :math:`\frac14` so the cycle and identity
weights keep the paper's ratio to the adversarial terms. The discriminators see fakes drawn
from a :class:`ReplayBuffer` of 50 past ones (:meth:`discriminator_fake`; Sec. 4 after
Shrivastava et al. 2017).

**Networks** at digit scale, the reference code's ``resnet`` generator and PatchGAN
discriminator with fewer layers: ``c7s1-c, d2c, d4c, R4c x blocks, u2c, uc, c7s1-C`` with
instance norm and reflection padding (a sigmoid output for images in [0, 1], not tanh), and
``C c (stride 2, no norm), C 2c (stride 2), C 4c (3x3, stride 1), 1`` patch logits, i.e.
``H/4 x W/4`` patches per image; weights from :math:`\mathcal{N}(0, 0.02^2)`.

The constructor takes ``image_shape`` (not ``input_shape``): a translation model needs two
data sets, which the command line's single-dataset ``fit`` does not supply, so the kind is
built by code (the benchmark, the example) and not offered there.

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

__all__ = ["DIRECTIONS", "CycleGAN", "ReplayBuffer"]

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ppl_models.registry import register

#: Translation directions of :meth:`CycleGAN.translate`.
DIRECTIONS = ("a_to_b", "b_to_a")
# The step's least-squares losses are 1/4 of the reference code's summed MSE terms.
_ADVERSARIAL_SCALE = 0.25


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
        raise ValueError(f"image_shape must be (C, H, W) positive ints, got {image_shape!r}")
    c, h, w = image_shape
    if h % 4 or w % 4 or h < 8 or w < 8:
        raise ValueError(f"image_shape's H and W must be multiples of 4 and >= 8, got "
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


class ReplayBuffer:
    """The history of generated images the discriminator is shown (the reference code's
    ``ImagePool``): while fewer than ``size`` are stored each new image is stored and
    returned; afterwards each is, with probability 1/2, swapped for a uniformly chosen stored
    one (which is returned, the new one taking its place), else returned as it is.

    Its contents are training state only: not part of the model's ``state_dict``, so a
    resumed run starts with an empty history.

    :param int size: images kept; 0 returns every batch unchanged.
    """

    def __init__(self, size: int = 50) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"size must be an int >= 0, got {size!r}")
        self.size = size
        self.images: list[Tensor] = []

    def query(self, images: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The batch the discriminator sees in place of ``images`` ``(N, ...)``, same shape.

        :param generator: the source of the coin flips and choices (default torch's).
        """
        if not isinstance(images, Tensor) or images.dim() < 1:
            raise ValueError("images must be a batch tensor (N, ...)")
        if self.size == 0:
            return images
        out = []
        for image in images.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand((), generator=generator).item() < 0.5:
                i = int(torch.randint(self.size, (), generator=generator))
                out.append(self.images[i])
                self.images[i] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)


@register("cyclegan", "implicit")
class CycleGAN(nn.Module):
    """Two generators and two PatchGAN discriminators between image domains A and B.

    :param image_shape: ``(C, H, W)`` of both domains, ``H`` and ``W`` multiples of 4, >= 8.
    :param int channels: base width ``c`` of all four networks.
    :param int residual_blocks: residual blocks in each generator.
    :param float cycle_weight: :math:`\\lambda` (10 in the paper).
    :param float identity_ratio: the identity weight as a fraction of :math:`\\lambda`
        (0.5 in the paper; 0 drops the term).
    :param int buffer_size: fakes kept for the discriminators (50 in the paper).
    """

    def __init__(self, image_shape: Sequence[int], channels: int = 32,
                 residual_blocks: int = 3, cycle_weight: float = 10.0,
                 identity_ratio: float = 0.5, buffer_size: int = 50) -> None:
        super().__init__()
        self.image_shape = image_shape_of(image_shape)
        self.channels = _positive_int(channels, "channels")
        self.residual_blocks = _positive_int(residual_blocks, "residual_blocks")
        for value, name in ((cycle_weight, "cycle_weight"), (identity_ratio, "identity_ratio")):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        self.cycle_weight, self.identity_ratio = float(cycle_weight), float(identity_ratio)
        self.buffer_size = buffer_size
        self.buffers = {"a": ReplayBuffer(buffer_size), "b": ReplayBuffer(buffer_size)}
        c_in = self.image_shape[0]
        self.generator = nn.ModuleDict({
            d: resnet_generator(c_in, c_in, channels, residual_blocks) for d in DIRECTIONS})
        self.discriminator = nn.ModuleDict({
            d: nn.Sequential(patch_trunk(c_in, channels), nn.Conv2d(4 * channels, 1, 3, 1, 1))
            for d in ("a", "b")})
        self.apply(init_weights)

    @property
    def config(self) -> dict:
        return {"image_shape": list(self.image_shape), "channels": self.channels,
                "residual_blocks": self.residual_blocks, "cycle_weight": self.cycle_weight,
                "identity_ratio": self.identity_ratio, "buffer_size": self.buffer_size}

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
        _positive_int(n, "n")
        if condition is None:
            raise ValueError("condition must be n images of domain A: CycleGAN translates")
        if len(self._check(condition, "condition")) != n:
            raise ValueError(f"condition must hold n = {n} images, got {len(condition)}")
        return self.translate(condition, "a_to_b")

    def example_condition(self, n: int) -> Tensor:
        """``n`` uniform-noise images: a valid ``condition`` for smoke checks."""
        return torch.rand(_positive_int(n, "n"), *self.image_shape)

    # -- the game (see the module docstring) ---------------------------------------------

    def adversarial_inputs(self, batch) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
        """``real = (a, b)``, ``fake = (F(b), G(a))``: each fake in the domain it imitates."""
        a, b = self._pair(batch)
        return (a, b), (self.generator["b_to_a"](b), self.generator["a_to_b"](a))

    def discriminate(self, x: tuple[Tensor, Tensor]) -> Tensor:
        """Patch logits of a pair ``(images of A, images of B)``: :math:`D_A` on the first,
        :math:`D_B` on the second, concatenated; ``(N_a P + N_b P,)``, ``P = HW / 16``."""
        a, b = self._pair(x)
        return torch.cat([self.discriminator["a"](a).flatten(),
                          self.discriminator["b"](b).flatten()])

    def discriminator_fake(self, fake: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """Each domain's fakes swapped through its :class:`ReplayBuffer`."""
        return self.buffers["a"].query(fake[0]), self.buffers["b"].query(fake[1])

    def cycle_loss(self, a: Tensor, b: Tensor, fake_a: Tensor | None = None,
                   fake_b: Tensor | None = None) -> Tensor:
        r""":math:`\mathcal{L}_\text{cyc}` (eq. 2), per-pixel L1; pass ``fake_a = F(b)`` and
        ``fake_b = G(a)`` to reuse them."""
        fake_b = self.generator["a_to_b"](a) if fake_b is None else fake_b
        fake_a = self.generator["b_to_a"](b) if fake_a is None else fake_a
        return ((self.generator["b_to_a"](fake_b) - a).abs().mean()
                + (self.generator["a_to_b"](fake_a) - b).abs().mean())

    def identity_loss(self, a: Tensor, b: Tensor) -> Tensor:
        r""":math:`\mathcal{L}_\text{id}`: each generator fed its own target domain should
        change nothing, :math:`G(b) \approx b`, :math:`F(a) \approx a`."""
        return ((self.generator["a_to_b"](b) - b).abs().mean()
                + (self.generator["b_to_a"](a) - a).abs().mean())

    def extra_generator_loss(self, batch, fake: tuple[Tensor, Tensor]) -> Tensor:
        r""":math:`\frac14(\lambda\mathcal{L}_\text{cyc} + 0.5\lambda\mathcal{L}_\text{id})`,
        the :math:`\frac14` matching the step's adversarial scale (module docstring)."""
        a, b = self._pair(batch)
        loss = self.cycle_weight * self.cycle_loss(a, b, fake[0], fake[1])
        if self.identity_ratio > 0:
            loss = loss + self.identity_ratio * self.cycle_weight * self.identity_loss(a, b)
        return _ADVERSARIAL_SCALE * loss
