r"""The adversarial autoencoder (Makhzani et al. 2016): a VAE whose KL term is replaced by a
discriminator matching the aggregated posterior to the prior.

The encoder and decoder are the VAE's (:class:`~ppl_models.vae.VAE`): the guide
:math:`q_\phi(z \mid x)` is its amortised diagonal Gaussian, the decoder
:math:`p_\theta(x \mid z)` its Bernoulli (or continuous Bernoulli) pixels. Instead of
:math:`\mathrm{KL}(q_\phi(z \mid x) \| p(z))` per datum, which needs a prior with a tractable
KL, a discriminator :math:`D` on codes plays the GAN game between samples of the prior
(labelled real) and of the **aggregated posterior**
:math:`q(z) = \mathbb{E}_{p_\text{data}(x)} q_\phi(z \mid x)` (labelled fake); the encoder is
the generator. Training alternates (their Sec. 2): the reconstruction phase minimises
:math:`-\mathbb{E}_q \log p_\theta(x \mid z)`, the regularisation phase updates :math:`D`, then
the encoder to fool it. Here both encoder terms share one update: the kind's game
(:mod:`inference.games.autoencoder`) adds :math:`\lambda\,\ell_G(D(z))` to the
reconstruction term (:meth:`AAE.reconstruction_nll`) evaluated at the same codes
(:meth:`AAE.encode_sample`). At the
game's optimum :math:`q(z) = p(z)` (Goodfellow et al. 2014, Thm. 1), so samples decode prior
draws, :math:`x = \mathrm{dec}(z), z \sim p(z)`.

Priors: ``"gaussian"`` (:math:`\mathcal{N}(0, I)`) and ``"mixture"`` (10 equally weighted
Gaussians, means on a circle of radius 4 in the first two code dimensions, standard deviation
0.5 there and 1 elsewhere; their Fig. 4 uses a 2-D mixture of 10 for MNIST). Only a sample of
the prior is needed -- a prior without a closed-form KL is the point.

As a Pyro program: :meth:`~AAE.guide` is the VAE's guide and :meth:`~AAE.model` draws ``z`` from the
chosen prior, so Pyro's traces and the ELBO (whose KL term this model replaces) remain
available for comparison; the AAE has no tractable bound once the KL is dropped, so it is
registered in the ``implicit`` family and scored by sample metrics.

References

1. Makhzani, Shlens, Jaitly, Goodfellow & Frey, "Adversarial Autoencoders", ICLR 2016
   (workshop); arXiv:1511.05644.
2. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
"""

from __future__ import annotations

__all__ = ["AAE", "PRIORS"]

import math
from collections.abc import Sequence

import pyro
import pyro.distributions as dist
import torch
from torch import Tensor, nn

from ppl_models.abilities import Representation
from ppl_models.gan.networks import check_count
from ppl_models.nn.mlp import check_widths
from ppl_models.observation import DecoderDensity
from ppl_models.registry import Option, register
from ppl_models.vae import VAE

PRIORS = ("gaussian", "mixture")
_N_COMPONENTS = 10
_RADIUS = 4.0
_COMPONENT_STD = 0.5

_OPTIONS = (
    Option("latent_dim", 8, "size of the code z"),
    Option("hidden", [400], "encoder layer widths, reversed in the decoder", flag="--vae-hidden",
           nargs="+"),
    Option("prior", "gaussian", "p(z) the aggregated posterior is matched to", type=str,
           choices=PRIORS),
)


@register("aae", "implicit", game="autoencoder", options=_OPTIONS)
class AAE(nn.Module, DecoderDensity, Representation):
    """VAE encoder/decoder plus a code discriminator.

    :param input_shape: ``(C, H, W)`` or ``(D,)``, as for the VAE.
    :param int latent_dim: code size ``L`` (at least 2 for the mixture prior).
    :param hidden: encoder widths (reversed in the decoder).
    :param str prior: one of :data:`PRIORS`.
    :param disc_hidden: the discriminator's hidden widths (LeakyReLU 0.2).
    :param str likelihood: the VAE's ``"bernoulli"`` or ``"continuous_bernoulli"``.
    """

    def __init__(self, input_shape: Sequence[int], latent_dim: int = 8,
                 hidden: Sequence[int] = (400,), prior: str = "gaussian",
                 disc_hidden: Sequence[int] = (256, 256),
                 likelihood: str = "bernoulli") -> None:
        super().__init__()
        if prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, got {prior!r}")
        if likelihood not in ("bernoulli", "continuous_bernoulli"):
            raise ValueError(f"likelihood must be 'bernoulli' or 'continuous_bernoulli', got "
                             f"{likelihood!r}")
        self.vae = VAE(input_shape, latent_dim, hidden=hidden, likelihood=likelihood)
        if prior == "mixture" and self.vae.latent_dim < 2:
            raise ValueError(f"latent_dim must be >= 2 for the mixture prior, got {latent_dim}")
        self.prior, self.likelihood = prior, likelihood
        self.disc_hidden = check_widths(disc_hidden, "disc_hidden")
        widths = (self.vae.latent_dim, *self.disc_hidden, 1)
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
            layers.append(nn.Linear(a, b))
            if i < len(widths) - 2:
                layers.append(nn.LeakyReLU(0.2))
        self.discriminator = nn.Sequential(*layers)
        angle = torch.arange(_N_COMPONENTS) * (2 * math.pi / _N_COMPONENTS)
        means = torch.zeros(_N_COMPONENTS, self.vae.latent_dim)
        if prior == "mixture":
            means[:, 0], means[:, 1] = _RADIUS * angle.cos(), _RADIUS * angle.sin()
        scales = torch.ones(self.vae.latent_dim)
        if prior == "mixture":
            scales[:2] = _COMPONENT_STD
        # Buffers: they move with the module and are saved, but are not trained.
        self.register_buffer("mixture_means", means, persistent=False)
        self.register_buffer("mixture_scales", scales, persistent=False)

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.vae.input_shape), "latent_dim": self.vae.latent_dim,
                "hidden": list(self.vae.hidden), "prior": self.prior,
                "disc_hidden": list(self.disc_hidden), "likelihood": self.likelihood}

    @property
    def latent_dim(self) -> int:
        return self.vae.latent_dim

    @property
    def generator(self) -> nn.Module:
        """The generator player: encoder and decoder (the encoder plays against ``D``; the
        decoder is trained by the reconstruction term in the same update)."""
        return self.vae

    # -- the prior --------------------------------------------------------------------------

    def prior_distribution(self) -> dist.TorchDistribution:
        """:math:`p(z)`, batch shape ``()``, event shape ``(L,)``."""
        if self.prior == "gaussian":
            zero = self.mixture_means.new_zeros(self.latent_dim)
            return dist.Normal(zero, torch.ones_like(zero)).to_event(1)
        mixing = dist.Categorical(logits=self.mixture_means.new_zeros(_N_COMPONENTS))
        components = dist.Normal(self.mixture_means,
                                 self.mixture_scales.expand_as(self.mixture_means)).to_event(1)
        return dist.MixtureSameFamily(mixing, components)

    def decoder_and_prior(self) -> tuple:
        """The VAE's decoder and :meth:`prior_distribution`: the Bernoulli (or continuous
        Bernoulli) decoder is the AAE's stated observation model."""
        return self.vae.decode, self.prior_distribution()

    # -- the Pyro program -----------------------------------------------------------------

    def model(self, x: Tensor) -> None:
        """``z ~ p(z)`` (the chosen prior) at site ``"z"``, ``x ~ p(x | z)`` at ``"x"``."""
        x = self.vae._check_x(x)
        with pyro.plate("data", x.shape[0]):
            z = pyro.sample("z", self.prior_distribution())
            pyro.sample("x", self.vae.decode(z), obs=x)

    def guide(self, x: Tensor) -> None:
        """:math:`q(z \\mid x)`, the VAE's amortised diagonal Gaussian."""
        self.vae.guide(x)

    # -- what the autoencoder game reads (inference.games.autoencoder) ----------------------

    def encode_sample(self, x: Tensor) -> Tensor:
        """A reparameterised draw of :math:`q(z \\mid x)` per image, ``(N, L)``,
        differentiable in the encoder."""
        loc, scale = self.vae.encode(x)
        return loc + scale * torch.randn_like(loc)

    def discriminate(self, z: Tensor) -> Tensor:
        """Logits of codes ``z`` ``(N, L)``; ``(N,)``."""
        if not isinstance(z, Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got "
                             f"{tuple(getattr(z, 'shape', ())) or type(z).__name__}")
        return self.discriminator(z).squeeze(-1)

    def reconstruction_nll(self, x: Tensor, z: Tensor) -> Tensor:
        """:math:`-\\frac1N\\sum_i \\log p_\\theta(x_i \\mid z_i)`, nats per image, at codes
        ``z`` ``(N, L)`` of images ``x``."""
        return -self.vae.decode(z).log_prob(self.vae._check_x(x)).mean()

    def features(self, x: Tensor) -> Tensor:
        """The code of ``x``: the mean of :math:`q(z \\mid x)`, ``(N, L)``, without gradients.

        The mean, not a draw, so that a linear probe or k-means sees the same features for
        the same image; the adversarial game shapes these codes to the prior's geometry
        (with the mixture prior, one component per cluster), not a KL term.

        :param x: ``(N, *input_shape)`` data, as for :meth:`guide`.
        """
        return self.vae.features(x)

    @torch.no_grad()
    def sample(self, n: int, condition: Tensor | None = None) -> Tensor:
        """``n`` images: ``z ~ p(z)``, ``x ~ p(x | z)``; ``(n, *input_shape)``."""
        if condition is not None:
            raise ValueError("condition must be None: the AAE is unconditional")
        n = check_count(n)
        z = self.prior_distribution().sample((n,))
        return self.vae.decode(z).sample().reshape(n, *self.vae.input_shape)
