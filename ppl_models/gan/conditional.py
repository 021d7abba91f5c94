r"""A label-conditioned GAN (Mirza & Osindero 2014) with a projection discriminator (Miyato &
Koyama 2018) or an input-embedding one.

Both players see the label :math:`y \in \{0, \dots, K-1\}`. The generator draws
:math:`x = G(z, e_G(y))` from noise :math:`z \sim \mathcal{N}(0, I)` concatenated with a
learned label embedding :math:`e_G(y)`; the game is eq. 1 of Goodfellow et al. with both
players conditioned (Mirza & Osindero 2014, eq. 2):

.. math:: \min_G \max_D \mathbb{E}_{x, y \sim p_\text{data}}[\log D(x, y)]
          + \mathbb{E}_{z, y}[\log(1 - D(G(z, y), y))].

The discriminator is one of

- ``"projection"`` (Miyato & Koyama 2018, eq. 3): the logit is
  :math:`\psi(\phi(x)) + e_D(y)^\top \phi(x)` with :math:`\phi` the convolutional body of
  :mod:`ppl_models.gan.blocks`, :math:`\psi` a linear head and :math:`e_D` a class embedding:
  the inner product is the log-ratio term of the optimal conditional discriminator;
- ``"embedding"``: the label as ``K`` one-hot channels appended to the image at the input,
  the concatenation of Mirza & Osindero (2014).

Training batches are ``(images, labels)``; the fakes of a batch are drawn with the batch's
labels, so both players see the data's class frequencies (the conditional game,
:mod:`inference.games.conditional`). ``discriminate`` takes the pair ``(x, y)``.

References

1. Mirza & Osindero, "Conditional Generative Adversarial Nets", arXiv:1411.1784, 2014.
2. Miyato & Koyama, "cGANs with Projection Discriminator", ICLR 2018 (eq. 3).
3. Chen et al., "InfoGAN", NeurIPS 2016, App. C (the convolutional players).
"""

from __future__ import annotations

__all__ = ["ConditionalGAN", "DISCRIMINATORS", "check_labels"]

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ppl_models.abilities import ControlFigure
from ppl_models.gan.blocks import (
    ConvFeatures,
    ConvGenerator,
    check_image_shape,
    check_positive_int,
    init_weights,
)
from ppl_models.gan.networks import check_count
from ppl_models.registry import Option, register

DISCRIMINATORS = ("projection", "embedding")


def check_labels(labels, num_classes: int, n: int | None = None) -> Tensor:
    """``labels`` as int64 ``(n,)`` in ``[0, num_classes)``, else a ValueError saying why."""
    if (not isinstance(labels, Tensor) or labels.dim() != 1 or labels.is_floating_point()
            or labels.dtype == torch.bool or labels.is_complex()):
        raise ValueError(f"labels must be a 1-D integer tensor, got "
                         f"{getattr(labels, 'dtype', type(labels).__name__)} of shape "
                         f"{tuple(getattr(labels, 'shape', ()))}")
    if n is not None and len(labels) != n:
        raise ValueError(f"labels must hold {n} values, got {len(labels)}")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0].item()
        raise ValueError(f"label {bad} is out of range: labels must lie in "
                         f"[0, {num_classes})")
    return labels.long()


_OPTIONS = (
    Option("latent_dim", 62, "size of the generator's noise z"),
    Option("num_classes", 10, "number of labels K"),
    Option("discriminator", "projection", "how D sees the label", type=str,
           choices=DISCRIMINATORS, flag="--conditional-discriminator"),
    Option("channels", 64, "feature maps c of the first discriminator layer",
           flag="--conditional-channels"),
    Option("hidden", 1024, "the fully connected width of both players",
           flag="--conditional-hidden"),
)


@register("conditional_gan", "implicit", game="conditional", options=_OPTIONS)
class ConditionalGAN(nn.Module, ControlFigure):
    """``G(z, y)`` and ``D(x, y)`` for ``(N, C, H, W)`` images in [0, 1] with labels.

    :param input_shape: ``(C, H, W)``, ``H`` and ``W`` divisible by 4.
    :param int num_classes: ``K``.
    :param int latent_dim: noise width.
    :param str discriminator: one of :data:`DISCRIMINATORS`.
    :param int channels: base width ``c``.
    :param int hidden: fully connected width (and the projection's embedding width).
    :param int embedding_dim: the generator's label embedding width (default ``K``).
    """


    def __init__(self, input_shape: Sequence[int], num_classes: int = 10, latent_dim: int = 62,
                 discriminator: str = "projection", channels: int = 64, hidden: int = 1024,
                 embedding_dim: int | None = None) -> None:
        super().__init__()
        self.input_shape = check_image_shape(input_shape)
        embedding_dim = num_classes if embedding_dim is None else embedding_dim
        for value, name in ((num_classes, "num_classes"), (latent_dim, "latent_dim"),
                            (channels, "channels"), (hidden, "hidden"),
                            (embedding_dim, "embedding_dim")):
            check_positive_int(value, name)
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        if discriminator not in DISCRIMINATORS:
            raise ValueError(f"discriminator must be one of {DISCRIMINATORS}, got "
                             f"{discriminator!r}")
        self.num_classes, self.latent_dim, self.kind_of_d = num_classes, latent_dim, discriminator
        self.channels, self.hidden, self.embedding_dim = channels, hidden, embedding_dim
        self.label_embedding = nn.Embedding(num_classes, embedding_dim)
        self.g_net = ConvGenerator(latent_dim + embedding_dim, self.input_shape, channels,
                                   hidden)
        extra = num_classes if discriminator == "embedding" else 0
        self.body = ConvFeatures(self.input_shape, channels, hidden, extra_channels=extra)
        self.head = nn.Linear(hidden, 1)
        if discriminator == "projection":
            self.projection = nn.Embedding(num_classes, hidden)
        self.apply(init_weights)
        # N(0, 1) label embeddings: at N(0, 0.02) the label would start out all but ignored.
        nn.init.normal_(self.label_embedding.weight)
        if discriminator == "projection":
            # Like the head, N(0, 0.02): nn.Embedding's N(0, 1) makes embed(y) . phi(x) a sum
            # of `hidden` unit-variance terms, logits of std ~12 at init, and a D that wins
            # before G has learned anything (measured: label accuracy stuck at chance).
            nn.init.normal_(self.projection.weight, 0.0, 0.02)

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.input_shape), "num_classes": self.num_classes,
                "latent_dim": self.latent_dim, "discriminator": self.kind_of_d,
                "channels": self.channels, "hidden": self.hidden,
                "embedding_dim": self.embedding_dim}

    @property
    def generator(self) -> nn.Module:
        """The generator player: its label embedding and ``G``."""
        return nn.ModuleList([self.label_embedding, self.g_net])

    @property
    def discriminator(self) -> nn.Module:
        """The discriminator player: body, head (and the projection's embedding)."""
        parts = [self.body, self.head]
        return nn.ModuleList(parts + ([self.projection] if hasattr(self, "projection") else []))

    # -- generation -----------------------------------------------------------------------

    def _device(self) -> torch.device:
        return self.head.weight.device

    def generate_from(self, z: Tensor, labels: Tensor) -> Tensor:
        """``G(z, y)``: images ``(N, C, H, W)``, differentiable in the generator."""
        if not isinstance(z, Tensor) or z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got "
                             f"{tuple(getattr(z, 'shape', ()))}")
        y = check_labels(labels, self.num_classes, len(z)).to(z.device)
        return self.g_net(torch.cat([z, self.label_embedding(y)], dim=1))

    @torch.no_grad()
    def generate_at(self, z: Tensor, labels: Tensor) -> Tensor:
        """``G(z, y)`` at the noise given, in eval mode and without gradients: what a grid
        with the noise held fixed down each column draws.

        :param Tensor z: noise ``(N, latent_dim)``.
        :param Tensor labels: int64 ``(N,)`` in ``[0, K)``.
        :raises ValueError: for labels out of range or of the wrong shape.
        """
        was_training = self.training
        self.eval()
        try:
            return self.generate_from(z.to(self._device()) if isinstance(z, Tensor) else z,
                                      labels)
        finally:
            self.train(was_training)

    @torch.no_grad()
    def control_figure_inputs(self, columns: int = 8) -> dict:
        """The rows of this model's conditional grid, for a report: row ``y`` at label ``y``,
        column ``j`` at the noise vector ``z_j`` (drawn from the global RNG), the same down
        each column, so that only the label changes from row to row.

        :return: ``{"name", "rows": (K, columns, C, H, W), "row_titles", "column_titles",
            "title"}``.
        """
        check_positive_int(columns, "columns")
        z = torch.randn(columns, self.latent_dim, device=self._device())
        rows = torch.stack([
            self.generate_at(z, torch.full((columns,), y, dtype=torch.long,
                                           device=self._device()))
            for y in range(self.num_classes)])
        return {"name": "conditional_grid", "rows": rows,
                "row_titles": [f"label {y}" for y in range(self.num_classes)],
                "column_titles": None,
                "title": "a row per label, the same noise down each column"}

    def generate(self, n: int, condition: Tensor | None = None) -> Tensor:
        """``n`` images ``G(z, y)``, fresh noise, with gradients.

        :param condition: labels ``y`` ``(n,)``; default ``0, 1, ..., K-1, 0, ...`` (every
            class as often as ``n`` allows).
        :raises ValueError: for labels out of range or of the wrong shape.
        """
        n = check_count(n)
        labels = (torch.arange(n, device=self._device()) % self.num_classes
                  if condition is None else check_labels(condition, self.num_classes, n))
        return self.generate_from(torch.randn(n, self.latent_dim, device=self._device()),
                                  labels.to(self._device()))

    @torch.no_grad()
    def sample(self, n: int, condition: Tensor | None = None) -> Tensor:
        """``n`` images in eval mode, no gradients; ``condition`` as for :meth:`generate`."""
        was_training = self.training
        self.eval()
        try:
            return self.generate(n, condition)
        finally:
            self.train(was_training)

    # -- the discriminator ----------------------------------------------------------------

    def discriminate(self, inputs: tuple[Tensor, Tensor]) -> Tensor:
        """Logits ``(N,)`` of the pairs ``inputs = (x, y)``: images ``(N, C, H, W)`` and
        their labels ``(N,)``."""
        if not isinstance(inputs, (tuple, list)) or len(inputs) != 2:
            raise ValueError("discriminate takes (images, labels): the discriminator is "
                             "conditional")
        x, y = inputs
        if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.input_shape))}), "
                             f"got {tuple(getattr(x, 'shape', ()))}")
        y = check_labels(y, self.num_classes, len(x)).to(x.device)
        if self.kind_of_d == "embedding":
            maps = F.one_hot(y, self.num_classes).to(x)[:, :, None, None]
            x = torch.cat([x, maps.expand(-1, -1, *x.shape[2:])], dim=1)
            return self.head(self.body(x)).squeeze(-1)
        features = self.body(x)
        # Miyato & Koyama (2018), eq. 3: psi(phi(x)) + embed(y) . phi(x).
        return (self.head(features).squeeze(-1)
                + (self.projection(y) * features).sum(-1))
