r"""Progressive GAN (Karras et al. 2018) for small square images, e.g. 7x7 -> 14x14 -> 28x28.

Both players grow one resolution at a time (Sec. 2). When a stage ``s`` is added its block is
faded in: the generator's output is

.. math:: \alpha\,\mathrm{rgb}_s(\mathrm{block}_s(h)) + (1 - \alpha)\,
          \mathrm{up}(\mathrm{rgb}_{s-1}(h)),

so :math:`\alpha = 0` is the upsampled previous stage only and :math:`\alpha = 1` the new block
only (Fig. 2); the discriminator mirrors it with average-pool downsampling. The stabilisers of
Sec. 3-4 are here too: a minibatch-standard-deviation feature map before the critic's last
block (Sec. 3), equalised learning rate (weights stored :math:`\mathcal N(0, 1)` and scaled at
run time by He's constant :math:`\sqrt{2 / \text{fan\_in}}`, Sec. 4.1) and pixel-wise feature
normalisation in the generator (Sec. 4.2). WGAN-GP is the game's ``gp`` option
(:func:`inference.objectives.adversarial.gradient_penalty`); the kind plays the growing game
(:mod:`inference.games.growing`), which advances the schedule's clock (:meth:`advance`) at
every training round.

The stage schedule is a buffer, ``progress`` (adversarial rounds seen in training), so it is
saved with the weights and a resumed run continues at the same resolution and :math:`\alpha`.
``sample(n)`` always returns full-size images ``(n, C, H, W)`` in [0, 1] (a lower stage's output
is nearest-upsampled); ``discriminate`` takes full-size images and average-pools them to the
current stage's resolution.

References

1. Karras, Aila, Laine & Lehtinen, "Progressive Growing of GANs for Improved Quality,
   Stability, and Variation", ICLR 2018.
"""

from __future__ import annotations

__all__ = ["EqualConv2d", "EqualLinear", "ProgressiveGAN", "StagedGenerator", "minibatch_stddev",
           "pixel_norm"]

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import Distribution

from ppl_models.gan.networks import check_count
from ppl_models.observation import LatentGenerator, standard_normal_prior
from ppl_models.registry import Option, register


def pixel_norm(x: Tensor, eps: float = 1e-8) -> Tensor:
    r"""Karras et al. 2018, eq. in Sec. 4.2: :math:`b = a / \sqrt{\frac1C\sum_j a_j^2 + \epsilon}`
    over channels; ``(N, C, ...)`` -> same shape."""
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)


def minibatch_stddev(x: Tensor, eps: float = 1e-8) -> Tensor:
    """Sec. 3: the std over the minibatch of every feature at every location, averaged to one
    number and appended as a constant channel; ``(N, C, H, W)`` -> ``(N, C + 1, H, W)``."""
    if x.dim() != 4:
        raise ValueError(f"x must be (N, C, H, W), got {tuple(x.shape)}")
    std = (x.var(dim=0, unbiased=False) + eps).sqrt().mean()
    return torch.cat([x, std.expand(x.shape[0], 1, *x.shape[2:])], dim=1)


class EqualLinear(nn.Module):
    r"""Linear layer with equalised learning rate (Sec. 4.1): ``weight`` ~ N(0, 1), used as
    ``weight * scale`` with ``scale = gain / sqrt(fan_in)`` (gain :math:`\sqrt 2`: He et al.)."""

    def __init__(self, in_features: int, out_features: int, gain: float = math.sqrt(2)) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.scale = gain / math.sqrt(in_features)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.scale, self.bias)


class EqualConv2d(nn.Module):
    """Convolution with equalised learning rate; fan_in = in_channels * k * k."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int,
                 gain: float = math.sqrt(2)) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.scale = gain / math.sqrt(in_channels * kernel * kernel)
        self.padding = kernel // 2

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)


def _act(x: Tensor) -> Tensor:
    return F.leaky_relu(x, 0.2)


class _GBlock(nn.Module):
    """Upsample x2 (nearest), two 3x3 convolutions, each followed by LReLU and pixel norm."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = EqualConv2d(c_in, c_out, 3), EqualConv2d(c_out, c_out, 3)

    def forward(self, x: Tensor) -> Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return pixel_norm(_act(self.conv2(pixel_norm(_act(self.conv1(x))))))


class _DBlock(nn.Module):
    """Two 3x3 convolutions with LReLU, then average-pool x2."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = EqualConv2d(c_in, c_in, 3), EqualConv2d(c_in, c_out, 3)

    def forward(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(_act(self.conv2(_act(self.conv1(x)))), 2)


class ProgressiveGenerator(nn.Module):
    """``z (N, latent_dim)`` -> pre-sigmoid images ``(N, C, b * 2**s, b * 2**s)`` at stage
    ``s`` with fade-in ``alpha``."""

    def __init__(self, c_img: int, base: int, stages: int, latent_dim: int,
                 channels: int) -> None:
        super().__init__()
        self.base, self.channels = base, channels
        self.project = EqualLinear(latent_dim, channels * base * base, gain=math.sqrt(2) / 4)
        self.conv0 = EqualConv2d(channels, channels, 3)
        self.blocks = nn.ModuleList(_GBlock(channels, channels) for _ in range(stages - 1))
        # to-RGB layers are linear (gain 1), as in the paper's code.
        self.to_rgb = nn.ModuleList(EqualConv2d(channels, c_img, 1, gain=1.0)
                                    for _ in range(stages))

    def forward(self, z: Tensor, stage: int, alpha: float) -> Tensor:
        h = pixel_norm(_act(self.project(pixel_norm(z)).view(
            -1, self.channels, self.base, self.base)))
        h = pixel_norm(_act(self.conv0(h)))
        for block in self.blocks[:stage - 1] if stage > 0 else ():
            h = block(h)
        if stage == 0:
            return self.to_rgb[0](h)
        new = self.to_rgb[stage](self.blocks[stage - 1](h))
        old = F.interpolate(self.to_rgb[stage - 1](h), scale_factor=2, mode="nearest")
        return alpha * new + (1 - alpha) * old


class StagedGenerator(nn.Module):
    """The generator at one ``(stage, alpha)``: codes ``(N, latent_dim)`` to full-size images
    ``(N, C, H, W)`` in [0, 1] (a lower stage's output nearest-upsampled by ``factor``)."""

    def __init__(self, generator: ProgressiveGenerator, stage: int, alpha: float,
                 factor: int) -> None:
        super().__init__()
        self.generator, self.stage, self.alpha, self.factor = generator, stage, alpha, factor

    def forward(self, z: Tensor) -> Tensor:
        x = torch.sigmoid(self.generator(z, self.stage, self.alpha))
        return F.interpolate(x, scale_factor=self.factor, mode="nearest") \
            if self.factor > 1 else x


class ProgressiveDiscriminator(nn.Module):
    """Images at stage ``s``'s resolution ``(N, C, b * 2**s, ...)`` -> critic scores ``(N,)``."""

    def __init__(self, c_img: int, base: int, stages: int, channels: int) -> None:
        super().__init__()
        self.from_rgb = nn.ModuleList(EqualConv2d(c_img, channels, 1) for _ in range(stages))
        # blocks[s - 1] takes stage s's resolution down to stage s - 1's.
        self.blocks = nn.ModuleList(_DBlock(channels, channels) for _ in range(stages - 1))
        self.conv = EqualConv2d(channels + 1, channels, 3)
        self.out = nn.Sequential(nn.Flatten(1), EqualLinear(channels * base * base, channels))
        self.logit = EqualLinear(channels, 1, gain=1.0)

    def forward(self, x: Tensor, stage: int, alpha: float) -> Tensor:
        h = _act(self.from_rgb[stage](x))
        if stage > 0:
            new = self.blocks[stage - 1](h)
            old = _act(self.from_rgb[stage - 1](F.avg_pool2d(x, 2)))
            h = alpha * new + (1 - alpha) * old
            for s in range(stage - 1, 0, -1):
                h = self.blocks[s - 1](h)
        h = _act(self.conv(minibatch_stddev(h)))
        return self.logit(_act(self.out(h))).squeeze(1)


def _positive(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


_OPTIONS = (
    Option("latent_dim", 64, "size of the generator's noise z", flag="--pg-latent-dim"),
    Option("channels", 64, "feature maps of every block", flag="--pg-channels"),
    Option("stages", 3, "resolutions, base * 2**s for s < stages (28x28: 7, 14, 28)"),
    Option("fade_steps", 1000, "adversarial rounds over which alpha rises 0 -> 1"),
    Option("stable_steps", 1000, "adversarial rounds at each resolution with alpha = 1"),
)


@register("progressive_gan", "implicit", game="growing", options=_OPTIONS)
class ProgressiveGAN(nn.Module, LatentGenerator):
    """Progressively grown generator and critic for ``(N, C, H, W)`` images in [0, 1].

    A :class:`~ppl_models.observation.LatentGenerator`: its samples are the current stage's
    sigmoid outputs of standard normal noise, so either observation model can be stated.

    :param input_shape: ``(C, H, W)``, square, ``H`` divisible by ``2 ** (stages - 1)``.
    :param int latent_dim: noise dimension.
    :param int channels: feature maps of every block.
    :param int stages: number of resolutions.
    :param int fade_steps: rounds of fade-in per added stage.
    :param int stable_steps: rounds at ``alpha = 1`` per stage (the first stage has only these).
    """

    def __init__(self, input_shape: Sequence[int], latent_dim: int = 64, channels: int = 64,
                 stages: int = 3, fade_steps: int = 1000, stable_steps: int = 1000) -> None:
        super().__init__()
        if (not isinstance(input_shape, Sequence) or len(input_shape) != 3
                or any(isinstance(s, bool) or not isinstance(s, int) or s < 1
                       for s in input_shape)):
            raise ValueError(f"input_shape must be (C, H, W) positive ints, got {input_shape!r}")
        c, h, w = (int(s) for s in input_shape)
        for value, name in ((latent_dim, "latent_dim"), (channels, "channels"),
                            (stages, "stages"), (fade_steps, "fade_steps"),
                            (stable_steps, "stable_steps")):
            _positive(value, name)
        if h != w or h % 2 ** (stages - 1):
            raise ValueError(f"input_shape must be square with H divisible by 2**(stages-1) "
                             f"= {2 ** (stages - 1)}, got {tuple(input_shape)}")
        self.input_shape = (c, h, w)
        self.latent_dim, self.channels, self.stages = latent_dim, channels, stages
        self.fade_steps, self.stable_steps = fade_steps, stable_steps
        base = h // 2 ** (stages - 1)
        self.generator = ProgressiveGenerator(c, base, stages, latent_dim, channels)
        self.discriminator = ProgressiveDiscriminator(c, base, stages, channels)
        # The schedule's clock, saved with the weights: resume is exact.
        self.register_buffer("progress", torch.zeros((), dtype=torch.long))

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.input_shape), "latent_dim": self.latent_dim,
                "channels": self.channels, "stages": self.stages,
                "fade_steps": self.fade_steps, "stable_steps": self.stable_steps}

    def schedule(self, step: int | None = None) -> tuple[int, float]:
        """``(stage, alpha)`` after ``step`` rounds (default ``progress``): stage 0 for
        ``stable_steps``, then per stage ``fade_steps`` with alpha rising linearly, then
        ``stable_steps`` at alpha = 1; the last stage stays at alpha = 1."""
        t = int(self.progress) if step is None else int(step)
        if t < 0:
            raise ValueError(f"step must be >= 0, got {step!r}")
        t -= self.stable_steps
        stage = 0
        while t >= 0 and stage < self.stages - 1:
            stage += 1
            if t < self.fade_steps:
                return stage, t / self.fade_steps
            t -= self.fade_steps + self.stable_steps
        return stage, 1.0

    def advance(self) -> None:
        """Move the schedule's clock on by one round (what the growing game does at every
        training round; sampling never does)."""
        self.progress += 1

    def generate(self, n: int, condition: None = None) -> Tensor:
        """``n`` images ``G(z)`` at the current stage, upsampled to ``(n, C, H, W)``,
        differentiable in the generator's parameters; ``condition`` must be ``None``."""
        if condition is not None:
            raise ValueError("condition must be None: ProgressiveGAN is unconditional")
        n = check_count(n)
        z = torch.randn(n, self.latent_dim, device=self.progress.device)
        return self.staged_generator()(z)

    def staged_generator(self) -> StagedGenerator:
        """The generator at the current stage and fade-in, to full-size images in [0, 1];
        in the generator's train or eval mode."""
        stage, _ = schedule = self.schedule()
        factor = self.input_shape[1] // (self.generator.base * 2 ** stage)
        return StagedGenerator(self.generator, *schedule, factor).train(self.generator.training)

    def generator_and_prior(self) -> tuple[nn.Module, Distribution]:
        r"""The generator at the current stage (:meth:`staged_generator`) and its prior
        :math:`\mathcal{N}(0, I)` (what :meth:`generate` draws)."""
        return self.staged_generator(), standard_normal_prior(
            self.latent_dim, next(self.generator.parameters()))

    @torch.no_grad()
    def sample(self, n: int, condition: None = None) -> Tensor:
        """``n`` images ``(n, C, H, W)`` in [0, 1], no gradients; ``condition`` must be None."""
        return self.generate(n, condition)

    def discriminate(self, x: Tensor) -> Tensor:
        """Critic scores of full-size images ``x`` ``(N, C, H, W)``, pooled to the current
        stage's resolution; ``(N,)``."""
        if x.dim() != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.input_shape))}), "
                             f"got {tuple(x.shape)}")
        stage, alpha = self.schedule()
        factor = 2 ** (self.stages - 1 - stage)
        return self.discriminator(F.avg_pool2d(x, factor) if factor > 1 else x, stage, alpha)
