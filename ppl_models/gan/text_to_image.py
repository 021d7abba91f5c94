r"""Text-to-image GAN with a matching-aware discriminator (GAN-CLS) and GAN-INT.

Reed et al., "Generative Adversarial Text to Image Synthesis", ICML 2016. Captions are
word codes ``(N, L)`` (:func:`ppl_models.data.encode_captions`), each player embeds them with
its own :class:`~ppl_models.gan.text_encoder.TextEncoder`: ``G(z, e_G(t))`` and the
projection discriminator :math:`D(x, t) = \psi(\phi(x)) + e_D(t)^\top W \phi(x)`.

The kind plays the matching-aware game (:mod:`inference.games.matching_aware`): GAN-CLS
(sec. 4.2, Alg. 1: D also rejects real images with a wrong caption) and GAN-INT (sec. 4.3:
G also fools D at interpolated caption embeddings, :meth:`embed_text` and
:meth:`generate_from_embedding`).
"""

from __future__ import annotations

__all__ = ["TextToImageGAN"]

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ppl_models.data.captions import VOCABULARY
from ppl_models.gan.blocks import (
    ConvFeatures,
    ConvGenerator,
    check_image_shape,
    check_positive_int,
    init_weights,
)
from ppl_models.gan.networks import check_count
from ppl_models.gan.text_encoder import TextEncoder
from ppl_models.registry import Option, register

_OPTIONS = (
    Option("latent_dim", 62, "size of the generator's noise z"),
    Option("text_dim", 64, "width of the caption embeddings", flag="--t2i-text-dim"),
    Option("channels", 64, "feature maps c of the first discriminator layer",
           flag="--t2i-channels"),
    Option("hidden", 1024, "the fully connected width of both players", flag="--t2i-hidden"),
)


@register("text_to_image", "implicit", game="matching_aware", options=_OPTIONS)
class TextToImageGAN(nn.Module):
    """``G(z, t)`` and ``D(x, t)`` for ``(N, C, H, W)`` images and word codes ``(N, L)``.

    :param input_shape: ``(C, H, W)``, ``H`` and ``W`` divisible by 4.
    :param int vocabulary_size: words incl. padding (default the captioner's).
    :param int latent_dim: noise width.
    :param int text_dim: caption embedding width.
    :param str pooling: the encoders' pooling, ``"gru"`` or ``"mean"``.
    """


    def __init__(self, input_shape: Sequence[int], vocabulary_size: int = len(VOCABULARY),
                 latent_dim: int = 62, text_dim: int = 64, channels: int = 64,
                 hidden: int = 1024, pooling: str = "gru") -> None:
        super().__init__()
        self.input_shape = check_image_shape(input_shape)
        for value, name in ((vocabulary_size, "vocabulary_size"), (latent_dim, "latent_dim"),
                            (text_dim, "text_dim"), (channels, "channels"), (hidden, "hidden")):
            check_positive_int(value, name)
        self.vocabulary_size, self.latent_dim, self.text_dim = vocabulary_size, latent_dim, text_dim
        self.channels, self.hidden, self.pooling = channels, hidden, pooling
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
                "channels": self.channels, "hidden": self.hidden, "pooling": self.pooling}

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

    def embed_text(self, codes: Tensor) -> Tensor:
        """The generator's caption embeddings :math:`e_G(t)` of word codes ``(N, L)``;
        ``(N, text_dim)``, with gradients."""
        return self.g_text(codes.to(self._device()))

    def _captions(self, n: int, condition) -> Tensor:
        if condition is None:
            # One-word captions cycling through the vocabulary (0 is padding).
            return (torch.arange(n) % (self.vocabulary_size - 1) + 1)[:, None]
        if (not isinstance(condition, Tensor) or condition.dim() != 2
                or condition.is_floating_point() or len(condition) != n):
            got = tuple(getattr(condition, "shape", ())) or type(condition).__name__
            raise ValueError(f"condition must be word codes ({n}, L) (see "
                             f"ppl_models.data.encode_captions), got {got}")
        if len(condition) and (condition.min() < 0 or condition.max() >= self.vocabulary_size):
            raise ValueError(f"condition's word codes must lie in [0, {self.vocabulary_size})")
        return condition

    def generate(self, n: int, condition: Tensor | None = None) -> Tensor:
        """``n`` images ``G(z, e_G(t))``, fresh noise, with gradients.

        :param condition: word codes ``(n, L)``; default the one-word captions cycling
            through the vocabulary.
        """
        e = self.embed_text(self._captions(check_count(n), condition))
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
        """``n`` images in eval mode; ``condition`` as for :meth:`generate`."""
        was_training = self.training
        self.eval()
        try:
            return self.generate(n, condition)
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
