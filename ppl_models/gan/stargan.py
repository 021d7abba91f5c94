r"""StarGAN (Choi et al. 2018): one generator translating among many domains, told the target.

The generator :math:`G(x, c)` takes an image and a target-domain vector :math:`c` (here
``K`` binary attributes, as CelebA's in the paper, tiled over the image as extra input
channels); the discriminator has two heads on one trunk: a critic :math:`D_\text{src}` (real
vs fake, patch scores) and a domain classifier :math:`D_\text{cls}` (``K`` attribute logits).
With :math:`c'` the labels of the real image :math:`x` (their eqs. 2-7):

.. math::
    \mathcal{L}_D = -\mathcal{L}_\text{adv} + \lambda_\text{cls}\,
        \mathbb{E}\,\mathrm{BCE}(D_\text{cls}(x), c') + \lambda_\text{gp}\,\mathcal{L}_\text{gp},

.. math::
    \mathcal{L}_G = \mathcal{L}_\text{adv} + \lambda_\text{cls}\,
        \mathbb{E}\,\mathrm{BCE}(D_\text{cls}(G(x, c)), c)
        + \lambda_\text{rec}\,\mathbb{E}\|x - G(G(x, c), c')\|_1,

with the Wasserstein adversarial loss and gradient penalty (their eq. 8), :math:`\lambda_\text{cls}
= 1`, :math:`\lambda_\text{rec} = 10`, :math:`\lambda_\text{gp} = 10`; BCE is summed over the
attributes and averaged over images (the reference code's
``binary_cross_entropy_with_logits(..., size_average=False) / N``). The reconstruction term
(cycle consistency back to the source labels) is what keeps the input's content.

**Training**: the kind plays the StarGAN game (:mod:`inference.games.star`: the losses
above, ``loss="wasserstein", gp=10``, targets drawn per round by shuffling the batch's own
labels, as the reference code's ``label_org[randperm]``) through
:class:`inference.training.AdversarialStep` with ``d_steps=5, lr=1e-4, betas=(0.5, 0.999)``
(their Sec. 4.3). The critic's score of an image is the *mean* of its patch scores, and the
penalty holds that mean to gradient norm 1. The reference code penalises the gradient of the
patches' *sum*, which at 128 pixels is 4 patches; at 28 pixels the trunk leaves 49, and a sum
constrained to norm 1 leaves the mean's adversarial gradient 49 times weaker beside the
reconstruction term. Measured here (seed 0, 6 epochs of 20,000 images, ``channels=16``, lr
5e-4): with the sum, the critic's gap stayed <= 0.11 and the outputs grey blurs even for
target = source (L1 0.41 to the input); with the mean, the gap was 0.9-3.1 and the outputs
are digits.

**Identity term** (optional, the game's ``identity_weight``; not in the paper):
:math:`\lambda_\text{id} \|G(x, c') - x\|_1`, CycleGAN's identity loss told the image's own
labels. The reconstruction term alone is met by a round trip that hides the content in the fake
(translations to the image's own labels changed it by L1 0.18 per pixel, and the
``mnist5k`` classifier read the digit kept in 20 % of translations, seed 0 after 6 epochs
of 20,000 images, ``channels=16``, lr 5e-4); with :math:`\lambda_\text{id} = 10` the same
run kept it in 48 % (own-label change 0.04) and met the attributes better (thick 95 %
against 80 %). The paper's 200,000 iterations are out of a CPU's reach; the term buys
content preservation early.

**Networks**: the residual generator of :mod:`ppl_models.gan.cyclegan` (instance norm,
sigmoid output) on ``C + K`` input channels, as the paper's, plus the target tiled in
again at the bottleneck through a 1x1 convolution with *no* normalisation after it. Without
that second entry the label is lost: a tiled label is a spatially constant channel, a
convolution of it (reflection padding keeps it constant) is a constant per output channel,
and the instance norm that follows subtracts exactly that constant. Measured here: with the
input tiling alone, changing the target moved the output by ~1e-7 per pixel (float noise);
the paper's zero padding lets the label through only at the borders. The discriminator's
trunk has no
normalisation (the paper's, Appendix: a gradient penalty is per-sample, which batch- or
instance-level statistics would couple) and LeakyReLU(0.01).

A generator that ignores its target label is a reported failure of StarGAN
implementations; :func:`inference.metrics.translation.target_sensitivity` measures it and
``tests/gan/test_stargan.py`` shows it catches a generator whose label inputs are cut.

Built from ``input_shape``; it trains on ``(images, attributes)`` batches.

References

1. Choi, Choi, Kim, Ha, Kim & Choo, "StarGAN: Unified Generative Adversarial Networks for
   Multi-Domain Image-to-Image Translation", CVPR 2018; code ``yunjey/stargan``.
2. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
"""

from __future__ import annotations

__all__ = ["StarGAN"]

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ppl_models.gan.cyclegan import image_shape_of, init_weights, resnet_generator
from ppl_models.gan.networks import check_count, check_unit_images
from ppl_models.registry import Option, register


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


class _Generator(nn.Module):
    """:math:`G(x, c)`: encoder on ``[x, tile(c)]``, the target injected again at the
    bottleneck (1x1 conv, ReLU, no norm: see the module docstring), residual decoder."""

    def __init__(self, c_in: int, num_domains: int, c: int, blocks: int) -> None:
        super().__init__()
        layers = list(resnet_generator(c_in + num_domains, c_in, c, blocks))
        split = 9  # pad, conv, norm, relu, then two (conv, norm, relu) downsamplings
        self.encoder = nn.Sequential(*layers[:split])
        self.inject = nn.Conv2d(4 * c + num_domains, 4 * c, 1)
        self.decoder = nn.Sequential(*layers[split:])

    @staticmethod
    def _tile(target: Tensor, like: Tensor) -> Tensor:
        return target[:, :, None, None].expand(-1, -1, *like.shape[-2:])

    def forward(self, x: Tensor, target: Tensor) -> Tensor:
        h = self.encoder(torch.cat([x, self._tile(target, x)], 1))
        h = torch.relu(self.inject(torch.cat([h, self._tile(target, h)], 1)))
        return self.decoder(h)


class _Discriminator(nn.Module):
    """Trunk ``C -> c -> 2c`` (stride 2) ``-> 4c`` (3x3), then the two heads."""

    def __init__(self, image_shape: tuple[int, int, int], c: int, num_domains: int) -> None:
        super().__init__()
        c_in, h, w = image_shape
        self.trunk = nn.Sequential(
            nn.Conv2d(c_in, c, 4, 2, 1), nn.LeakyReLU(0.01),
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.LeakyReLU(0.01),
            nn.Conv2d(2 * c, 4 * c, 3, 1, 1), nn.LeakyReLU(0.01))
        self.src = nn.Conv2d(4 * c, 1, 3, 1, 1)
        # One kernel over the whole H/4 x W/4 map: a logit per attribute (the paper's conv2).
        self.cls = nn.Conv2d(4 * c, num_domains, (h // 4, w // 4))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = self.trunk(x)
        return self.src(h).flatten(), self.cls(h).flatten(1)


_OPTIONS = (
    Option("channels", 32, "base width c of the generator and critic",
           flag="--stargan-channels"),
    Option("residual_blocks", 3, "residual blocks in the generator", flag="--stargan-blocks"),
)


@register("stargan", "implicit", game="star", options=_OPTIONS)
class StarGAN(nn.Module):
    """One label-conditioned generator and a critic with a domain classifier.

    :param input_shape: ``(C, H, W)``, ``H`` and ``W`` multiples of 4, >= 8.
    :param int num_domains: ``K``, binary attributes in a target vector.
    :param int channels: base width ``c``.
    :param int residual_blocks: residual blocks in the generator.
    """

    def __init__(self, input_shape: Sequence[int], num_domains: int = 3, channels: int = 32,
                 residual_blocks: int = 3) -> None:
        super().__init__()
        self.image_shape = image_shape_of(input_shape)
        self.num_domains = _positive_int(num_domains, "num_domains")
        self.channels = _positive_int(channels, "channels")
        self.residual_blocks = _positive_int(residual_blocks, "residual_blocks")
        c_in = self.image_shape[0]
        self.generator = _Generator(c_in, num_domains, channels, residual_blocks)
        self.discriminator = _Discriminator(self.image_shape, channels, num_domains)
        self.apply(init_weights)

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.image_shape), "num_domains": self.num_domains,
                "channels": self.channels, "residual_blocks": self.residual_blocks}

    def _check(self, x: Tensor, name: str = "x") -> Tensor:
        if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != self.image_shape:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{name} must have shape (N, {', '.join(map(str, self.image_shape))}"
                             f"), got {got}")
        return x

    def check_target(self, target: Tensor, n: int, name: str = "target") -> Tensor:
        """``target`` if it is a float ``(n, K)`` tensor of 0s and 1s, else a ValueError
        naming ``name``."""
        if (not isinstance(target, Tensor) or target.shape != (n, self.num_domains)
                or not target.is_floating_point()
                or not ((target == 0) | (target == 1)).all()):
            got = (f"{target.dtype} of shape {tuple(target.shape)}"
                   if isinstance(target, Tensor) else type(target).__name__)
            if isinstance(target, Tensor) and target.is_floating_point() \
                    and target.shape == (n, self.num_domains):
                got += " with values other than 0 and 1"
            raise ValueError(f"{name} must be a float ({n}, {self.num_domains}) tensor of 0s "
                             f"and 1s, got {got}")
        return target

    # -- translation ---------------------------------------------------------------------

    def forward(self, x: Tensor, target: Tensor) -> Tensor:
        """:math:`G(x, c)`, differentiable: ``x`` ``(N, C, H, W)``, ``target`` ``(N, K)``."""
        x = self._check(x)
        target = self.check_target(target, len(x))
        return self.generator(x, target)

    @torch.no_grad()
    def translate(self, x: Tensor, target: Tensor) -> Tensor:
        """:meth:`forward` without gradients."""
        return self(x, target)

    @torch.no_grad()
    def sample(self, n: int, condition: tuple[Tensor, Tensor] | None = None) -> Tensor:
        """Translations of ``n`` images to their targets, ``condition = (x, target)``."""
        n = check_count(n)
        if not isinstance(condition, (tuple, list)) or len(condition) != 2:
            raise ValueError("condition must be (images, target): StarGAN translates")
        images, target = condition
        if len(self._check(images, "condition's images")) != n:
            raise ValueError(f"condition must hold n = {n} images, got {len(images)}")
        return self.translate(check_unit_images(images, "condition's images"), target)

    def example_condition(self, n: int) -> tuple[Tensor, Tensor]:
        """Uniform-noise images and random targets: a valid ``condition`` for smoke checks."""
        n = _positive_int(n, "n")
        device = next(self.parameters()).device
        return (torch.rand(n, *self.image_shape, device=device),
                torch.randint(0, 2, (n, self.num_domains), device=device).float())

    # -- the discriminator's heads -----------------------------------------------------------

    def discriminate(self, x: Tensor) -> Tensor:
        """Critic scores :math:`D_\\text{src}(x)`, ``(N,)``: the mean of the image's
        ``HW / 16`` patch scores (see the module docstring for why the mean)."""
        return self.discriminator(self._check(x))[0].view(len(x), -1).mean(1)

    def classify(self, x: Tensor) -> Tensor:
        """Attribute logits :math:`D_\\text{cls}(x)`, ``(N, K)``."""
        return self.discriminator(self._check(x))[1]
