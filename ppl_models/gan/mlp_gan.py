r"""A fully connected GAN for low-dimensional vectors (the toy 2-D mixtures), with packing.

The generator maps :math:`z \sim \mathcal{N}(0, I_{d_z})` through an MLP (ReLU) to
:math:`x \in \mathbb{R}^D` (no output activation); the discriminator is an MLP (LeakyReLU 0.2)
to one logit (Goodfellow et al. 2014).

**Packing** (PacGAN-m, Lin et al. 2018, Sec. 3): the discriminator sees ``m`` samples at
once, all real or all fake, concatenated into one ``m D`` vector. A generator that drops modes
produces packs whose joint law differs from the data's by much more than single samples do
(their Thm. 3), so the discriminator penalises mode collapse. ``pack=1`` is the plain GAN.

References

1. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
2. Lin, Khetan, Fanti & Oh, "PacGAN: The power of two samples in generative adversarial
   networks", NeurIPS 2018.
"""

from __future__ import annotations

__all__ = ["GAN"]

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.distributions import Distribution

from ppl_models.gan.networks import check_count
from ppl_models.nn.mlp import check_widths
from ppl_models.observation import LatentGenerator, standard_normal_prior
from ppl_models.registry import Option, register


def _mlp(widths: Sequence[int], activation) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


_OPTIONS = (
    Option("latent_dim", 2, "size of the generator's noise z"),
    Option("hidden", [128, 128, 128], "generator and discriminator layer widths",
           flag="--gan-hidden", nargs="+"),
    Option("pack", 1, "PacGAN-m: samples the discriminator sees at once (1: a plain GAN)"),
)


@register("gan", "implicit", game="standard", options=_OPTIONS)
class GAN(nn.Module, LatentGenerator):
    """MLP generator and (packed) discriminator for ``(N, dim)`` data.

    A :class:`~ppl_models.observation.LatentGenerator` whose outputs are unbounded (no output
    activation): only a Gaussian observation model can be stated.

    :param int dim: data dimension ``D``.
    :param int latent_dim: noise dimension.
    :param hidden: hidden widths of both networks.
    :param int pack: PacGAN's ``m``; batches are cut to a multiple of it.
    """

    def __init__(self, dim: int, latent_dim: int = 2, hidden: Sequence[int] = (128, 128, 128),
                 pack: int = 1) -> None:
        super().__init__()
        self.dim = _positive_int(dim, "dim")
        self.latent_dim = _positive_int(latent_dim, "latent_dim")
        self.hidden = check_widths(hidden)
        self.pack = _positive_int(pack, "pack")
        self.generator = _mlp((latent_dim, *self.hidden, dim), nn.ReLU)
        self.discriminator = _mlp((pack * dim, *self.hidden, 1),
                                  lambda: nn.LeakyReLU(0.2))

    #: The generator's outputs are any real numbers, not probabilities.
    observations = ("gaussian",)

    @property
    def config(self) -> dict:
        return {"dim": self.dim, "latent_dim": self.latent_dim, "hidden": list(self.hidden),
                "pack": self.pack}

    def _device(self) -> torch.device:
        return next(self.generator.parameters()).device

    def generator_and_prior(self) -> tuple[nn.Module, Distribution]:
        r"""The generator, codes ``(M, latent_dim)`` to points ``(M, D)``, and its prior
        :math:`\mathcal{N}(0, I)` (what :meth:`generate` draws)."""
        return self.generator, standard_normal_prior(
            self.latent_dim, next(self.generator.parameters()))

    def generate(self, n: int, condition: None = None) -> Tensor:
        """``n`` draws ``G(z)``, differentiable in the generator's parameters; ``(n, D)``.

        :param condition: must be ``None`` (the model is unconditional).
        """
        if condition is not None:
            raise ValueError("condition must be None: this GAN is unconditional")
        n = check_count(n)
        return self.generator(torch.randn(n, self.latent_dim, device=self._device()))

    @torch.no_grad()
    def sample(self, n: int, condition: None = None) -> Tensor:
        """``n`` draws from the generator, without gradients; ``(n, D)``.

        :param condition: must be ``None`` (the model is unconditional).
        """
        return self.generate(n, condition)

    def discriminate(self, x: Tensor) -> Tensor:
        """Logits of ``x`` ``(N, D)`` in packs of ``pack`` consecutive rows; ``(N // pack,)``:
        the last ``N % pack`` rows, which fill no pack, are not scored (a batch of data and
        one of fakes of the same size then lose the same number of rows).

        :raises ValueError: if ``x`` is not ``(N, D)`` with ``N >= pack``.
        """
        if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (N, {self.dim}), got "
                             f"{tuple(getattr(x, 'shape', ())) or type(x).__name__}")
        if len(x) < self.pack:
            raise ValueError(f"x must hold at least pack={self.pack} rows, got {len(x)}")
        n = len(x) - len(x) % self.pack
        return self.discriminator(x[:n].reshape(-1, self.pack * self.dim)).squeeze(-1)
