r"""Text-to-image GAN with a matching-aware discriminator (GAN-CLS) and GAN-INT.

Reed et al., "Generative Adversarial Text to Image Synthesis", ICML 2016. Captions are
word codes ``(N, L)`` (:func:`ppl_models.data.encode_captions`), each player embeds them with
its own :class:`~ppl_models.gan.text_encoder.TextEncoder`: ``G(z, e_G(t))`` and the
projection discriminator :math:`D(x, t) = \psi(\phi(x)) + e_D(t)^\top W \phi(x)`.

- *GAN-CLS* (sec. 4.2, Alg. 1): besides (real, right text) -> real and (fake, right text)
  -> fake, D learns (real, wrong text) -> fake, the wrong texts a shuffle of the batch's
  (:meth:`TextToImageGAN.extra_discriminator_loss`).
- *GAN-INT* (sec. 4.3): G is also trained to fool D at interpolated embeddings
  :math:`\beta e_1 + (1 - \beta) e_2`, :math:`\beta = 0.5`
  (:meth:`TextToImageGAN.extra_generator_loss`); no text is available there, so D is fed
  the real text of the first caption (an approximation of the paper's D-free term).
"""

from __future__ import annotations

__all__ = ["TextToImageGAN"]

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ppl_models.data.captions import VOCABULARY
from ppl_models.gan.blocks import (
    ConvFeatures,
    ConvGenerator,
    check_image_shape,
    check_positive_int,
    init_weights,
)
from ppl_models.gan.text_encoder import TextEncoder
from ppl_models.registry import Option, register

_OPTIONS = (
    Option("latent_dim", 62, "size of the generator's noise z"),
    Option("text_dim", 64, "width of the caption embeddings", flag="--t2i-text-dim"),
    Option("channels", 64, "feature maps c of the first discriminator layer",
           flag="--t2i-channels"),
    Option("hidden", 1024, "the fully connected width of both players", flag="--t2i-hidden"),
)


@register("text_to_image", "implicit", options=_OPTIONS)
class TextToImageGAN(nn.Module):
    """``G(z, t)`` and ``D(x, t)`` for ``(N, C, H, W)`` images and word codes ``(N, L)``.

    :param input_shape: ``(C, H, W)``, ``H`` and ``W`` divisible by 4.
    :param int vocabulary_size: words incl. padding (default the captioner's).
    :param int latent_dim: noise width.
    :param int text_dim: caption embedding width.
    :param str pooling: the encoders' pooling, ``"gru"`` or ``"mean"``.
    :param float beta: GAN-INT's interpolation weight.
    """

    #: Trains on ``(images, codes)`` batches, which the command line's data sets lack.
    needs_labels = True

    def __init__(self, input_shape: Sequence[int], vocabulary_size: int = len(VOCABULARY),
                 latent_dim: int = 62, text_dim: int = 64, channels: int = 64,
                 hidden: int = 1024, pooling: str = "gru", beta: float = 0.5) -> None:
        super().__init__()
        self.input_shape = check_image_shape(input_shape)
        for value, name in ((vocabulary_size, "vocabulary_size"), (latent_dim, "latent_dim"),
                            (text_dim, "text_dim"), (channels, "channels"), (hidden, "hidden")):
            check_positive_int(value, name)
        if not 0.0 <= beta <= 1.0:
            raise ValueError(f"beta must lie in [0, 1], got {beta}")
        self.vocabulary_size, self.latent_dim, self.text_dim = vocabulary_size, latent_dim, text_dim
        self.channels, self.hidden, self.pooling, self.beta = channels, hidden, pooling, beta
        self.g_text = TextEncoder(vocabulary_size, text_dim, pooling)
        self.d_text = TextEncoder(vocabulary_size, text_dim, pooling)
        self.g_net = ConvGenerator(latent_dim + text_dim, self.input_shape, channels, hidden)
        self.body = ConvFeatures(self.input_shape, channels, hidden)
        self.head = nn.Linear(hidden, 1)
        self.projection = nn.Linear(text_dim, hidden, bias=False)
        self.apply(init_weights)

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.input_shape), "vocabulary_size": self.vocabulary_size,
                "latent_dim": self.latent_dim, "text_dim": self.text_dim,
                "channels": self.channels, "hidden": self.hidden, "pooling": self.pooling,
                "beta": self.beta}

    @property
    def generator(self) -> nn.Module:
        return nn.ModuleList([self.g_text, self.g_net])

    @property
    def discriminator(self) -> nn.Module:
        return nn.ModuleList([self.d_text, self.body, self.head, self.projection])

    def _device(self) -> torch.device:
        return self.head.weight.device

    def generate_from_embedding(self, z: Tensor, embedding: Tensor) -> Tensor:
        """``G(z, e)`` for noise ``(N, latent_dim)`` and embeddings ``(N, text_dim)``."""
        return self.g_net(torch.cat([z, embedding], dim=1))

    def generate(self, codes: Tensor) -> Tensor:
        """One image per caption code row ``(N, L)``, fresh noise, with gradients."""
        e = self.g_text(codes.to(self._device()))
        return self.generate_from_embedding(
            torch.randn(len(e), self.latent_dim, device=e.device), e)

    @torch.no_grad()
    def generate_at(self, z: Tensor, codes: Tensor) -> Tensor:
        """``G(z, e_G(t))`` at the noise given, in eval mode and without gradients: what a
        figure with the noise held fixed down each column draws.

        :param Tensor z: noise ``(N, latent_dim)``.
        :param Tensor codes: word codes ``(N, L)`` (:func:`ppl_models.data.encode_captions`).
        """
        if not isinstance(z, Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got "
                             f"{tuple(getattr(z, 'shape', ()))}")
        if not isinstance(codes, Tensor) or codes.dim() != 2 or len(codes) != len(z):
            raise ValueError(f"codes must be word codes ({len(z)}, L), got "
                             f"{tuple(getattr(codes, 'shape', ()))}")
        was_training = self.training
        self.eval()
        try:
            e = self.g_text(codes.to(self._device()))
            return self.generate_from_embedding(z.to(e.device), e)
        finally:
            self.train(was_training)

    @torch.no_grad()
    def sample(self, n: int, condition: Tensor | None = None) -> Tensor:
        """``n`` images in eval mode; ``condition`` codes ``(n, L)`` (default the
        one-word captions cycling through the vocabulary)."""
        check_positive_int(n, "n")
        if condition is None:
            condition = (torch.arange(n) % (self.vocabulary_size - 1) + 1)[:, None]
        if len(condition) != n:
            raise ValueError(f"condition must hold {n} captions, got {len(condition)}")
        was_training = self.training
        self.eval()
        try:
            return self.generate(condition)
        finally:
            self.train(was_training)

    def discriminate(self, inputs: tuple[Tensor, Tensor]) -> Tensor:
        """Logits ``(N,)`` of ``(images (N, C, H, W), codes (N, L))`` pairs."""
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
            raise ValueError("discriminate takes (images, codes): the discriminator is "
                             "text-conditional")
        x, codes = inputs
        if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.input_shape))})")
        if len(codes) != len(x):
            raise ValueError(f"codes must hold {len(x)} captions, got {len(codes)}")
        features = self.body(x)
        e = self.d_text(codes.to(x.device))
        return self.head(features).squeeze(-1) + (self.projection(e) * features).sum(-1)

    def _batch(self, batch) -> tuple[Tensor, Tensor]:
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError("a text-to-image GAN trains on (images, codes) batches")
        return batch[0], batch[1]

    def adversarial_inputs(self, batch):
        """``((x, t), (G(z, t), t))``: real pairs and fakes from the same captions."""
        x, codes = self._batch(batch)
        return (x, codes), (self.generate(codes), codes)

    def extra_discriminator_loss(self, batch, real) -> Tensor:
        """GAN-CLS: (real image, wrong text) -> fake; wrong texts a batch shuffle.

        A shuffle can pair an image with an identical caption; those pairs are skipped.
        """
        x, codes = real
        perm = torch.randperm(len(x), device=x.device)
        wrong = codes[perm.to(codes.device)]
        differs = (wrong != codes).any(1).to(x.device)
        if not differs.any():
            return x.new_zeros(())
        logits = self.discriminate((x, wrong))[differs]
        return F.binary_cross_entropy_with_logits(logits, torch.zeros_like(logits))

    def extra_generator_loss(self, batch, fake) -> Tensor:
        """GAN-INT: G fools D at ``beta e1 + (1 - beta) e2`` (e2 a shuffle of e1)."""
        _, codes = self._batch(batch)
        e1 = self.g_text(codes.to(self._device()))
        e2 = e1[torch.randperm(len(e1), device=e1.device)]
        mixed = self.beta * e1 + (1 - self.beta) * e2
        images = self.generate_from_embedding(
            torch.randn(len(e1), self.latent_dim, device=e1.device), mixed)
        logits = self.discriminate((images, codes))
        return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
