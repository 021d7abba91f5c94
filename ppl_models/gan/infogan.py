r"""InfoGAN (Chen et al. 2016): a GAN whose generator input is split into noise and a code
that the samples must carry, measured by a variational bound on the mutual information.

The generator draws :math:`x = G(z, c)` from noise :math:`z \sim \mathcal{N}(0, I)` and a
structured code :math:`c = (c_\text{cat}, c_\text{cont})`: a categorical code over ``K``
values (one-hot into :math:`G`) and ``D_c`` continuous codes, each uniform on :math:`[-1, 1]`
(their Sec. 7.1: ``K = 10``, ``D_c = 2`` on MNIST). An auxiliary :math:`Q(c \mid x)` shares
the discriminator's body and adds its own head (their Sec. 5): logits over the ``K`` values
and the means of a unit-variance factored Gaussian over the continuous codes (as their code
does, ``fix_std``). The game (their eq. 6) is

.. math:: \min_{G, Q} \max_D V(D, G) - \lambda L_I(G, Q), \qquad
          L_I = \mathbb{E}_{c, z}[\log Q(c \mid G(z, c))] + H(c) \le I(c; G(z, c)),

:math:`L_I` computed by :func:`inference.objectives.mutual_information.mutual_information`
(eq. 5), with :math:`\lambda = 1` for both codes. The information term
updates :math:`G` and :math:`Q` (its head and the body it shares with :math:`D`) and never
:math:`D`'s real/fake head, whose path it does not pass through; the kind plays the
information game (:mod:`inference.games.information`), which reads :meth:`sample_codes`,
:meth:`~InfoGAN.generate_from` and :meth:`~InfoGAN.q`.

Read as a classifier, :meth:`predict_code` (the argmax of :math:`Q(c_\text{cat} \mid x)`)
groups real digits by class up to a permutation, which Chen et al. report at about 5 % error.

References

1. Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN: Interpretable
   Representation Learning by Information Maximizing Generative Adversarial Nets",
   NeurIPS 2016 (eq. 5, eq. 6, Sec. 7.1, App. C Table 1).
"""

from __future__ import annotations

__all__ = ["Codes", "InfoGAN"]

from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ppl_models.abilities import ControlFigure, Representation
from ppl_models.gan.blocks import (
    ConvFeatures,
    ConvGenerator,
    check_image_shape,
    check_positive_int,
    init_weights,
    q_head,
)
from ppl_models.gan.networks import check_count
from ppl_models.registry import Option, register

#: The continuous codes' prior: uniform on [LOW, HIGH] (Chen et al. 2016, Sec. 7.1).
LOW, HIGH = -1.0, 1.0


class Codes(NamedTuple):
    """What one batch of fakes was drawn from.

    :ivar categorical: ``(N,)`` int64 in ``[0, K)``.
    :ivar continuous: ``(N, D_c)`` in ``[-1, 1]``.
    """

    categorical: Tensor
    continuous: Tensor


_OPTIONS = (
    Option("latent_dim", 62, "size of the incompressible noise z (Chen et al.: 62)"),
    Option("categories", 10, "values K of the categorical code"),
    Option("continuous", 2, "number of continuous codes, each uniform on [-1, 1]"),
    Option("channels", 64, "feature maps c of the first discriminator layer",
           flag="--infogan-channels"),
    Option("hidden", 1024, "the fully connected width of both players",
           flag="--infogan-hidden"),
)


@register("infogan", "implicit", game="information", options=_OPTIONS)
class InfoGAN(nn.Module, Representation, ControlFigure):
    """Generator ``G(z, c)``, discriminator ``D(x)`` and ``Q(c | x)`` on ``D``'s body.

    :param input_shape: ``(C, H, W)``, ``H`` and ``W`` divisible by 4.
    :param int latent_dim: noise width.
    :param int categories: ``K``, the categorical code's values (at least 2).
    :param int continuous: ``D_c``, continuous codes (0 for none).
    :param int channels: base width ``c``.
    :param int hidden: fully connected width.
    :param int q_hidden: Q head's hidden width (Chen et al.: 128).
    """

    def __init__(self, input_shape: Sequence[int], latent_dim: int = 62, categories: int = 10,
                 continuous: int = 2, channels: int = 64, hidden: int = 1024,
                 q_hidden: int = 128) -> None:
        super().__init__()
        self.input_shape = check_image_shape(input_shape)
        for value, name in ((latent_dim, "latent_dim"), (categories, "categories"),
                            (channels, "channels"), (hidden, "hidden"),
                            (q_hidden, "q_hidden")):
            check_positive_int(value, name)
        if categories < 2:
            raise ValueError(f"categories must be at least 2, got {categories}")
        if isinstance(continuous, bool) or not isinstance(continuous, int) or continuous < 0:
            raise ValueError(f"continuous must be a non-negative int, got {continuous!r}")
        self.latent_dim, self.categories, self.continuous = latent_dim, categories, continuous
        self.channels, self.hidden, self.q_hidden = channels, hidden, q_hidden
        self.g_net = ConvGenerator(latent_dim + categories + continuous, self.input_shape,
                                   channels, hidden)
        self.body = ConvFeatures(self.input_shape, channels, hidden)
        self.head = nn.Linear(hidden, 1)
        # Logits over the K values, then the continuous codes' means (unit variance).
        self.q_head = q_head(hidden, q_hidden, categories + continuous)
        self.apply(init_weights)

    @property
    def config(self) -> dict:
        return {"input_shape": list(self.input_shape), "latent_dim": self.latent_dim,
                "categories": self.categories, "continuous": self.continuous,
                "channels": self.channels, "hidden": self.hidden, "q_hidden": self.q_hidden}

    # -- the players' parameters --------------------------------------------------------

    @property
    def generator(self) -> nn.Module:
        """The generator player: ``G``."""
        return self.g_net

    @property
    def discriminator(self) -> nn.Module:
        """The discriminator player: the shared body, the real/fake head and Q's head."""
        return nn.ModuleList([self.body, self.head, self.q_head])

    # -- codes and generation -------------------------------------------------------------

    @property
    def continuous_support(self) -> tuple[float, float]:
        """``(low, high)``: each continuous code's prior is uniform on this interval."""
        return LOW, HIGH

    def sample_codes(self, n: int, categorical: Tensor | None = None) -> tuple[Tensor, Codes]:
        """Noise ``(n, latent_dim)`` and codes from their priors: ``c_cat`` uniform on
        ``[0, K)`` (or ``categorical``), ``c_cont`` uniform on ``[-1, 1]^{D_c}``."""
        n = check_count(n)
        device = self.head.weight.device
        if categorical is None:
            categorical = torch.randint(self.categories, (n,), device=device)
        else:
            categorical = self._check_categorical(categorical, n)
        continuous = torch.rand(n, self.continuous, device=device) * (HIGH - LOW) + LOW
        return torch.randn(n, self.latent_dim, device=device), Codes(categorical, continuous)

    def _check_categorical(self, c: Tensor, n: int) -> Tensor:
        if (not isinstance(c, Tensor) or c.shape != (n,) or c.is_floating_point()
                or c.dtype == torch.bool):
            raise ValueError(f"the categorical code must be integer indices of shape ({n},), "
                             f"got {getattr(c, 'shape', c)!r}")
        if n and (c.min() < 0 or c.max() >= self.categories):
            raise ValueError(f"the categorical code must lie in [0, {self.categories}), got "
                             f"values in [{c.min().item()}, {c.max().item()}]")
        return c.to(self.head.weight.device)

    def generate_from(self, z: Tensor, codes: Codes) -> Tensor:
        """``G(z, c)``: images ``(N, C, H, W)``, differentiable in ``G``'s parameters."""
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        cat = self._check_categorical(codes.categorical, len(z))
        if codes.continuous.shape != (len(z), self.continuous):
            raise ValueError(f"continuous codes must have shape ({len(z)}, {self.continuous}),"
                             f" got {tuple(codes.continuous.shape)}")
        one_hot = F.one_hot(cat, self.categories).to(z)
        return self.g_net(torch.cat([z, one_hot, codes.continuous.to(z)], dim=1))

    @torch.no_grad()
    def generate_at(self, z: Tensor, categorical: Tensor, continuous: Tensor) -> Tensor:
        """``G(z, c)`` at the codes given, in eval mode and without gradients: what a
        traversal draws (the noise held fixed while a code changes).

        :param Tensor z: noise ``(N, latent_dim)``.
        :param Tensor categorical: int64 ``(N,)`` in ``[0, K)``.
        :param Tensor continuous: ``(N, D_c)``, the prior's support being ``[-1, 1]``.
        """
        was_training = self.training
        self.eval()
        try:
            device = self.head.weight.device
            return self.generate_from(z.to(device), Codes(categorical, continuous.to(device)))
        finally:
            self.train(was_training)

    @torch.no_grad()
    def control_figure_inputs(self, columns: int = 8) -> dict:
        """The rows of this model's code traversal, for a report: row ``k`` at categorical
        code ``k``, columns the first continuous code at ``columns`` values evenly spaced over
        ``[-1, 1]`` (the others at 0), one noise vector drawn from the global RNG for every
        cell (Chen et al. 2016, Fig. 2). Without continuous codes the columns are noise
        vectors instead.

        :return: ``{"name", "rows": (K, columns, C, H, W), "row_titles", "column_titles",
            "title"}``.
        """
        check_positive_int(columns, "columns")
        device = self.head.weight.device
        if self.continuous:
            z = torch.randn(self.latent_dim, device=device).expand(columns, -1)
            values = torch.linspace(LOW, HIGH, columns, device=device)
            continuous = torch.zeros(columns, self.continuous, device=device)
            continuous[:, 0] = values
            column_titles = [f"{v:+.1f}" for v in values.tolist()]
            what = "the first continuous code (columns), fixed noise"
        else:
            z = torch.randn(columns, self.latent_dim, device=device)
            continuous = torch.zeros(columns, 0, device=device)
            column_titles, what = None, "noise (columns, the same down each)"
        rows = torch.stack([
            self.generate_at(z, torch.full((columns,), k, dtype=torch.long, device=device),
                             continuous) for k in range(self.categories)])
        return {"name": "code_traversal", "rows": rows,
                "row_titles": [f"c = {k}" for k in range(self.categories)],
                "column_titles": column_titles,
                "title": f"categorical code (rows) x {what}"}

    def generate(self, n: int, condition: Tensor | None = None) -> Tensor:
        """``n`` images from codes drawn from their priors (the categorical code
        ``condition`` ``(n,)`` if given), with gradients."""
        z, codes = self.sample_codes(n, categorical=condition)
        return self.generate_from(z, codes)

    @torch.no_grad()
    def sample(self, n: int, condition: Tensor | None = None) -> Tensor:
        """``n`` images in eval mode, no gradients.

        :param condition: optional categorical codes ``(n,)`` to draw with; default drawn
            uniformly (the model is unsupervised: a code is not a label until matched).
        """
        was_training = self.training
        self.eval()
        try:
            return self.generate(n, condition)
        finally:
            self.train(was_training)

    # -- the discriminator and Q ----------------------------------------------------------

    def _check_x(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.dim() != 4 or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.input_shape))}), "
                             f"got {tuple(getattr(x, 'shape', ()))}")
        return x

    def discriminate(self, x: Tensor) -> Tensor:
        """Real/fake logits of images ``(N, C, H, W)``; ``(N,)``."""
        return self.head(self.body(self._check_x(x))).squeeze(-1)

    def q(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """:math:`Q(c \\mid x)`: categorical **logits** ``(N, K)`` and the continuous codes'
        Gaussian means ``(N, D_c)`` (unit standard deviation)."""
        out = self.q_head(self.body(self._check_x(x)))
        return out[:, :self.categories], out[:, self.categories:]

    @torch.no_grad()
    def predict_code(self, x: Tensor, batch_size: int = 1000) -> Tensor:
        """The most probable categorical code of each image, in eval mode; ``(N,)`` int64."""
        was_training = self.training
        self.eval()
        try:
            return torch.cat([self.q(x[i:i + batch_size])[0].argmax(-1)
                              for i in range(0, len(x), batch_size)])
        finally:
            self.train(was_training)

    @torch.no_grad()
    def features(self, x: Tensor, batch_size: int = 1000) -> Tensor:
        """The shared body's feature vector of ``x``: ``(N, hidden)`` (``hidden`` = 1024 by
        default), the layer both the real/fake head and Q's head read (Chen et al. 2016,
        Sec. 5), in eval mode and without gradients.

        :param x: images ``(N, C, H, W)`` matching ``input_shape``.
        :param int batch_size: rows per pass through the body.
        """
        self._check_x(x)
        check_positive_int(batch_size, "batch_size")
        was_training = self.training
        self.eval()
        try:
            device = self.head.weight.device
            return torch.cat([self.body(x[i:i + batch_size].to(device))
                              for i in range(0, len(x), batch_size)])
        finally:
            self.train(was_training)
