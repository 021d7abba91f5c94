r"""Observation models that turn a generator into a density.

A GAN's generator :math:`G` maps noise :math:`z \sim p(z)` to an image and defines no
density of its own. Stating an observation model makes it one (Wu et al. [1]):

.. math::

    p(x) = \int p(x \mid G(z))\, p(z)\, dz, \qquad
    p(x \mid G(z)) = \mathcal{N}(x;\, G(z),\, \sigma^2 I)
    \quad\text{or}\quad \prod_d \mathrm{Bernoulli}(x_d;\, G(z)_d),

the same integral a VAE's decoder defines, so the generator can be scored on the latent
family's likelihood axis (by annealed importance sampling, for instance). The Gaussian's
:math:`\sigma` is part of the stated model; Wu et al. choose it on validation data. The
Bernoulli reads the generator's output in [0, 1] as pixel probabilities, clamped to
:math:`[\epsilon, 1 - \epsilon]` (a sigmoid output saturates to exactly 0 or 1 in floating
point, which would give a pixel that disagrees zero density): one pixel then costs at most
:math:`-\log \epsilon` nats.

:class:`GaussianObservation` and :class:`BernoulliObservation` map the generator's output (the
context) to the distribution (:func:`observation_model` builds one by its name in
:data:`OBSERVATION_MODELS`); :class:`ObservedGenerator` composes one with a generator into a
:class:`~ppl_models.distributions.lazy.LazyDistribution` from codes to images, a decoder like
a VAE's.

Two abilities are declared here, by inheritance (never discovered by probing):
:class:`DecoderDensity`, a model that states its own :math:`p(x \mid z)` and :math:`p(z)` (the
VAE, the AAE), and :class:`LatentGenerator`, an implicit model whose sampler is a plain
:math:`x = G(z)`, :math:`z \sim p(z)` with a stated prior (DCGAN, the MLP GAN, the progressive
GAN), which becomes a density once an observation model is stated. A conditional generator
(labels, captions, input images) or one with a discrete code (InfoGAN) is neither.

References

1. Wu, Burda, Salakhutdinov, Grosse (2017). On the quantitative analysis of decoder-based
   generative models. ICLR.
"""

from __future__ import annotations

__all__ = ["OBSERVATION_MODELS", "BernoulliObservation", "DecoderDensity", "GaussianObservation",
           "LatentGenerator", "ObservedGenerator", "observation_model", "standard_normal_prior"]

import math

import pyro.distributions as dist
import torch
from pyro.distributions import TorchDistribution
from torch import Tensor, nn
from torch.distributions import Distribution

from ppl_models.distributions.lazy import LazyDistribution

#: The observation models a generator can be given, by name: ``"bernoulli"`` (its outputs in
#: [0, 1] read as pixel probabilities, a mass on binary images) and ``"gaussian"`` (its
#: outputs as means, a density on :math:`\mathbb{R}^D` with a stated :math:`\sigma`).
OBSERVATION_MODELS = ("bernoulli", "gaussian")


class DecoderDensity:
    r"""Declares that a model states :math:`p(x) = \int p(x \mid z)\, p(z)\, dz`: its
    decoder and prior are what annealed importance sampling anneals between.

    A kind inherits this to say so (the VAE, the AAE); code that needs the density asks
    ``isinstance(model, DecoderDensity)``, never probes for the methods. A GAN's generator
    is one only once an observation model is stated (:class:`LatentGenerator`,
    :class:`ObservedGenerator`).
    """

    def decoder_and_prior(self):
        r"""``(decoder, prior)``: ``decoder(z)`` maps codes ``(*batch, L)`` to
        :math:`p(x \mid z)` of batch shape ``batch``; ``prior`` is :math:`p(z)`, batch shape
        ``()``, event shape ``(L,)``, on the model's dtype and device."""
        raise NotImplementedError


class LatentGenerator:
    r"""Declares that an implicit model samples by :math:`x = G(z)`, :math:`z \sim p(z)`,
    with nothing else drawn or given: a plain unconditional generator and a stated prior.

    With an observation model :math:`p(x \mid G(z))` (:class:`ObservedGenerator`) it defines
    :math:`p(x) = \int p(x \mid G(z))\, p(z)\, dz`, which annealed importance sampling
    estimates (Wu et al. [1]). A kind inherits this to say so and states, as data, which
    observation models its output can parametrise (:attr:`observations`); code asks
    ``isinstance(model, LatentGenerator)``, never probes for the method.

    :cvar observations: a subset of :data:`OBSERVATION_MODELS`: ``"bernoulli"`` only for a
        generator whose outputs lie in [0, 1] (a sigmoid output layer), ``"gaussian"`` for
        any real-valued output.
    """

    observations: tuple[str, ...] = OBSERVATION_MODELS

    def generator_and_prior(self) -> tuple[nn.Module, Distribution]:
        r"""``(generator, prior)``: ``generator`` maps codes ``(M, L)`` to outputs
        ``(M, *shape)`` (the shape of the kind's samples), exactly the map ``sample`` applies;
        ``prior`` is the law ``sample`` draws codes from, batch shape ``()``, event shape
        ``(L,)``, on the model's dtype and device. The generator follows the model's train
        or eval mode (:class:`ObservedGenerator` needs eval)."""
        raise NotImplementedError


def standard_normal_prior(latent_dim: int, like: Tensor) -> Distribution:
    r""":math:`\mathcal{N}(0, I_L)` as a distribution of event shape ``(L,)``, on ``like``'s
    dtype and device: the prior of a generator that draws ``torch.randn(n, L)``."""
    return dist.Normal(like.new_zeros(latent_dim), 1.0).to_event(1)


def observation_model(name: str, sigma: float | None = None) -> LazyDistribution:
    r"""The observation model called ``name`` (one of :data:`OBSERVATION_MODELS`).

    :param str name: ``"bernoulli"`` or ``"gaussian"``.
    :param sigma: the Gaussian's :math:`\sigma > 0`; must be ``None`` for the Bernoulli.
    :raises ValueError: for another name, a Gaussian without ``sigma`` or a Bernoulli with
        one.
    """
    if name not in OBSERVATION_MODELS:
        raise ValueError(f"observation must be one of {', '.join(OBSERVATION_MODELS)}, got "
                         f"{name!r}")
    if name == "bernoulli":
        if sigma is not None:
            raise ValueError("sigma applies to the gaussian observation model, not bernoulli")
        return BernoulliObservation()
    if sigma is None:
        raise ValueError("the gaussian observation model needs its sigma")
    return GaussianObservation(sigma)


class GaussianObservation(LazyDistribution):
    r""":math:`x \mid m \sim \mathcal{N}(m, \sigma^2 I)`.

    :param float sigma: the noise's standard deviation :math:`\sigma > 0` (a buffer).
    """

    def __init__(self, sigma: float) -> None:
        super().__init__()
        if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) \
                or not math.isfinite(sigma) or sigma <= 0:
            raise ValueError(f"sigma must be a positive finite number, got {sigma!r}")
        self.register_buffer("sigma", torch.tensor(float(sigma)))

    def forward(self, context: Tensor | None = None, event_dim: int | None = None
                ) -> TorchDistribution:
        """The distribution around the means ``context``.

        :param context: means ``(*batch, *event_shape)``.
        :param event_dim: how many right-most dimensions are the event (default: all but
            the first).
        """
        mean, event_dim = _check_context(context, event_dim)
        scale = self.sigma.to(mean).expand(mean.shape)  # dtype and device
        return dist.Normal(mean, scale).to_event(event_dim)


class BernoulliObservation(LazyDistribution):
    r""":math:`x_d \mid p \sim \mathrm{Bernoulli}(p_d)`, :math:`p` clamped to
    :math:`[\epsilon, 1 - \epsilon]`.

    :param float eps: the clamp :math:`\epsilon \in (0, 1/2)`.
    """

    def __init__(self, eps: float = 1e-6) -> None:
        super().__init__()
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not 0 < eps < 0.5:
            raise ValueError(f"eps must be a number in (0, 0.5), got {eps!r}")
        self.eps = float(eps)

    def forward(self, context: Tensor | None = None, event_dim: int | None = None
                ) -> TorchDistribution:
        """The pixels with probabilities ``context``.

        :param context: probabilities in [0, 1], ``(*batch, *event_shape)``.
        :param event_dim: as for :class:`GaussianObservation`.
        """
        probs, event_dim = _check_context(context, event_dim)
        return dist.Bernoulli(probs=probs.clamp(self.eps, 1 - self.eps)).to_event(event_dim)


class ObservedGenerator(LazyDistribution):
    r"""A generator with a stated observation model: codes to :math:`p(x \mid G(z))`.

    :param generator: ``(M, L)`` noise to ``(M, *image_shape)`` outputs, e.g. a DCGAN's
        ``generator``. It must be in eval mode (batch normalisation on its running
        statistics), or the density of one image would depend on the others in the batch.
    :param observation: a :class:`GaussianObservation` or :class:`BernoulliObservation`.
    """

    def __init__(self, generator: nn.Module, observation: LazyDistribution) -> None:
        super().__init__()
        if not isinstance(generator, nn.Module):
            raise ValueError(f"generator must be an nn.Module, got {type(generator).__name__}")
        if not isinstance(observation, (GaussianObservation, BernoulliObservation)):
            raise ValueError("observation must be a GaussianObservation or a "
                             f"BernoulliObservation, got {type(observation).__name__}")
        self.generator, self.observation = generator, observation

    def forward(self, context: Tensor | None = None) -> TorchDistribution:
        """:math:`p(x \\mid G(z))`.

        :param context: codes ``z`` ``(*batch, L)``.
        :return: batch shape ``batch``, event shape the generator's image shape.
        """
        if not isinstance(context, Tensor) or context.dim() < 1:
            raise ValueError("context must be codes z of shape (*batch, L)")
        if self.generator.training:
            raise ValueError("generator must be in eval mode (call generator.eval()): in "
                             "training mode batch normalisation couples the images")
        batch, latent = context.shape[:-1], context.shape[-1]
        out = self.generator(context.reshape(-1, latent))
        image = out.shape[1:]
        return self.observation(out.reshape(*batch, *image), event_dim=len(image))


def _check_context(context, event_dim) -> tuple[Tensor, int]:
    if not isinstance(context, Tensor) or context.dim() < 1 or not context.is_floating_point():
        raise ValueError("context must be a floating tensor (*batch, *event_shape)")
    if event_dim is None:
        event_dim = context.dim() - 1
    if isinstance(event_dim, bool) or not isinstance(event_dim, int) \
            or not 0 <= event_dim <= context.dim():
        raise ValueError(f"event_dim must be an int in [0, {context.dim()}], got {event_dim!r}")
    return context, event_dim
