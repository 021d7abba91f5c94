r"""The GAN game as plain functions: losses of logits, the optimal discriminator, the value.

Goodfellow et al. (2014, eq. 1) write the game between a generator :math:`G` and a
discriminator :math:`D` as

.. math:: \min_G \max_D V(D, G) = \mathbb{E}_{x \sim p_\text{data}}[\log D(x)]
          + \mathbb{E}_{z}[\log(1 - D(G(z)))].

For a fixed :math:`G` the best discriminator is (their Prop. 1)

.. math:: D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)},

and against it the value is :math:`-\log 4 + 2\,\mathrm{JSD}(p_\text{data} \| p_g)` (their
Thm. 1), minimised exactly when :math:`p_g = p_\text{data}`. :func:`optimal_discriminator` and
:func:`game_value` compute these for densities known at the same points, so the theory can be
checked on small problems.

Every loss below takes the discriminator's **logits** (pre-sigmoid outputs, or a critic's raw
scores), shape ``(N,)``, and returns a scalar to *minimise*; working on logits keeps
:math:`\log D = -\mathrm{softplus}(-\ell)` and :math:`\log(1 - D) = -\mathrm{softplus}(\ell)`
finite where :math:`D` saturates. They compose with any other loss (e.g. an ELBO) in one
optimiser step. :data:`LOSSES` names the (discriminator, generator) pairs:

==================  ==============================================  ==========================
name                discriminator minimises                         generator minimises
==================  ==============================================  ==========================
``minimax``         :math:`-V` (eq. 1)                              :math:`E\log(1-D(G(z)))`
``non_saturating``  :math:`-V`                                      :math:`-E\log D(G(z))`
``least_squares``   :math:`\frac12(\ell_r-1)^2+\frac12\ell_f^2`        :math:`\frac12(\ell_f-1)^2`
``wasserstein``     :math:`E\ell_f-E\ell_r`                          :math:`-E\ell_f`
``hinge``           :math:`E[1-\ell_r]_+ + E[1+\ell_f]_+`             :math:`-E\ell_f`
==================  ==============================================  ==========================

The minimax generator loss *saturates*: its gradient in the fake logit is
:math:`-\sigma(\ell_f) \to 0` when the discriminator rejects the samples
(:math:`D(G(z)) \to 0`), early in training; the non-saturating one has gradient
:math:`-\sigma(-\ell_f) \to -1` there (Goodfellow et al. 2014, Sec. 3).

References

1. Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair, Courville & Bengio,
   "Generative Adversarial Nets", NeurIPS 2014.
2. Mao, Li, Xie, Lau, Wang & Smolley, "Least Squares Generative Adversarial Networks",
   ICCV 2017.
3. Arjovsky, Chintala & Bottou, "Wasserstein GAN", ICML 2017.
4. Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville, "Improved Training of Wasserstein
   GANs", NeurIPS 2017 (the gradient penalty, their eq. 3).
5. Lim & Ye, "Geometric GAN", 2017; Miyato et al., "Spectral Normalization", ICLR 2018
   (the hinge loss).
6. Mescheder, Geiger & Nowozin, "Which Training Methods for GANs do actually Converge?",
   ICML 2018 (the R1 penalty, their eq. 9).
"""

from __future__ import annotations

__all__ = [
    "LOSSES",
    "MINIMUM_VALUE",
    "discriminator_fake_loss",
    "discriminator_loss",
    "game_value",
    "generator_loss",
    "gradient_penalty",
    "hinge_discriminator_loss",
    "hinge_generator_loss",
    "jensen_shannon",
    "least_squares_discriminator_loss",
    "least_squares_generator_loss",
    "minimax_discriminator_loss",
    "minimax_generator_loss",
    "non_saturating_generator_loss",
    "optimal_discriminator",
    "r1_penalty",
    "wasserstein_discriminator_loss",
    "wasserstein_generator_loss",
]

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor


def _logits(t: Tensor, name: str) -> Tensor:
    if not isinstance(t, Tensor) or not t.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor of logits, got "
                         f"{type(t).__name__ if not isinstance(t, Tensor) else t.dtype}")
    if t.numel() == 0:
        raise ValueError(f"{name} must hold at least one logit")
    return t


# -- the losses ------------------------------------------------------------------------------

def minimax_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r""":math:`-V(D, G)`: binary cross-entropy with real labelled 1 and fake 0 (eq. 1).

    :param Tensor real_logits: logits of data points, ``(N,)``.
    :param Tensor fake_logits: logits of generated points, ``(M,)``.
    :return: ``softplus(-real).mean() + softplus(fake).mean()``, a scalar.
    """
    _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def minimax_generator_loss(fake_logits: Tensor) -> Tensor:
    r""":math:`\mathbb{E}\log(1 - D(G(z)))`, the generator's side of eq. 1 (saturating).

    :param Tensor fake_logits: logits of generated points, ``(M,)``.
    :return: ``-softplus(fake).mean()``, a scalar.
    """
    return -F.softplus(_logits(fake_logits, "fake_logits")).mean()


def non_saturating_generator_loss(fake_logits: Tensor) -> Tensor:
    r""":math:`-\mathbb{E}\log D(G(z))` (Goodfellow et al. 2014, Sec. 3): same fixed points as
    the minimax loss, strong gradients when :math:`D` rejects the samples.

    :param Tensor fake_logits: logits of generated points, ``(M,)``.
    :return: ``softplus(-fake).mean()``, a scalar.
    """
    return F.softplus(-_logits(fake_logits, "fake_logits")).mean()


def least_squares_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""LSGAN's discriminator loss with targets ``b = 1`` (real) and ``a = 0`` (fake) on the
    raw outputs (Mao et al. 2017, eq. 2 with a = 0, b = c = 1).

    :param Tensor real_logits: raw outputs on data, ``(N,)``.
    :param Tensor fake_logits: raw outputs on generated points, ``(M,)``.
    """
    _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    return 0.5 * (real_logits - 1).pow(2).mean() + 0.5 * fake_logits.pow(2).mean()


def least_squares_generator_loss(fake_logits: Tensor) -> Tensor:
    r"""LSGAN's generator loss :math:`\frac12 \mathbb{E}(D(G(z)) - 1)^2` (c = 1).

    :param Tensor fake_logits: raw outputs on generated points, ``(M,)``.
    """
    return 0.5 * (_logits(fake_logits, "fake_logits") - 1).pow(2).mean()


def wasserstein_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The critic's loss :math:`\mathbb{E}f(G(z)) - \mathbb{E}f(x)` (Arjovsky et al. 2017);
    it estimates :math:`-W_1` only for a 1-Lipschitz critic (add :func:`gradient_penalty`).

    :param Tensor real_logits: critic scores of data, ``(N,)``.
    :param Tensor fake_logits: critic scores of generated points, ``(M,)``.
    """
    _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    return fake_logits.mean() - real_logits.mean()


def wasserstein_generator_loss(fake_logits: Tensor) -> Tensor:
    r""":math:`-\mathbb{E}f(G(z))`.

    :param Tensor fake_logits: critic scores of generated points, ``(M,)``.
    """
    return -_logits(fake_logits, "fake_logits").mean()


def hinge_discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r""":math:`\mathbb{E}[1 - \ell_r]_+ + \mathbb{E}[1 + \ell_f]_+` (Lim & Ye 2017).

    :param Tensor real_logits: scores of data, ``(N,)``.
    :param Tensor fake_logits: scores of generated points, ``(M,)``.
    """
    _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()


def hinge_generator_loss(fake_logits: Tensor) -> Tensor:
    r""":math:`-\mathbb{E}\ell_f`, as for the Wasserstein critic.

    :param Tensor fake_logits: scores of generated points, ``(M,)``.
    """
    return -_logits(fake_logits, "fake_logits").mean()


#: ``{name: (discriminator_loss(real_logits, fake_logits), generator_loss(fake_logits))}``.
LOSSES: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "minimax": (minimax_discriminator_loss, minimax_generator_loss),
    "non_saturating": (minimax_discriminator_loss, non_saturating_generator_loss),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss),
    "wasserstein": (wasserstein_discriminator_loss, wasserstein_generator_loss),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss),
}


def _pair(loss: str):
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {loss!r}")
    return LOSSES[loss]


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor,
                       loss: str = "non_saturating") -> Tensor:
    """The discriminator's loss of the game named ``loss`` (a key of :data:`LOSSES`)."""
    return _pair(loss)[0](real_logits, fake_logits)


def generator_loss(fake_logits: Tensor, loss: str = "non_saturating") -> Tensor:
    """The generator's loss of the game named ``loss`` (a key of :data:`LOSSES`)."""
    return _pair(loss)[1](fake_logits)


#: The fake half of each discriminator loss of :data:`LOSSES`: every one of them is a mean
#: over the real logits plus a mean over the fake ones, so this is the loss of a batch that
#: the discriminator must call fake and nothing else.
_FAKE_HALVES: dict[str, Callable[[Tensor], Tensor]] = {
    "minimax": lambda f: F.softplus(f).mean(),
    "non_saturating": lambda f: F.softplus(f).mean(),
    "least_squares": lambda f: 0.5 * f.pow(2).mean(),
    "wasserstein": lambda f: f.mean(),
    "hinge": lambda f: F.relu(1 + f).mean(),
}


def discriminator_fake_loss(fake_logits: Tensor, loss: str = "non_saturating") -> Tensor:
    r"""The fake half of the discriminator's loss of the game named ``loss``: what the
    discriminator pays for ``fake_logits`` of inputs it must reject, such as GAN-CLS's real
    image with a wrong caption (Reed et al. 2016, Alg. 1) or Puzzle-GAN's real image with
    swapped parts. ``discriminator_loss(r, f) - discriminator_fake_loss(f)`` depends on
    ``r`` only, for every loss.

    :param Tensor fake_logits: logits (or critic scores) ``(M,)``.
    :param str loss: a key of :data:`LOSSES`.
    """
    _pair(loss)
    return _FAKE_HALVES[loss](_logits(fake_logits, "fake_logits"))


# -- the game on explicit densities -------------------------------------------------------

def _densities(p_data: Tensor, p_model: Tensor) -> tuple[Tensor, Tensor]:
    for t, name in ((p_data, "p_data"), (p_model, "p_model")):
        if not isinstance(t, Tensor) or not t.is_floating_point():
            raise ValueError(f"{name} must be a floating-point tensor")
        if torch.isnan(t).any() or (t < 0).any():
            raise ValueError(f"{name} must be non-negative and not NaN")
    if p_data.shape != p_model.shape:
        raise ValueError(f"p_data and p_model must have the same shape, got "
                         f"{tuple(p_data.shape)} and {tuple(p_model.shape)}")
    return p_data, p_model


def optimal_discriminator(p_data: Tensor, p_model: Tensor) -> Tensor:
    r""":math:`D^*(x) = p_\text{data}(x) / (p_\text{data}(x) + p_g(x))` (Goodfellow et al.
    2014, Prop. 1), pointwise.

    :param Tensor p_data: data density (or probabilities) at some points, any shape.
    :param Tensor p_model: the generator's density at the same points, same shape.
    :return: :math:`D^*` at those points, same shape; ``0.5`` where both densities vanish
        (there :math:`D^*` is arbitrary: the value does not depend on it).
    """
    p_data, p_model = _densities(p_data, p_model)
    total = p_data + p_model
    return torch.where(total > 0, p_data / total.clamp_min(torch.finfo(total.dtype).tiny),
                       torch.full_like(total, 0.5))


def _probability_vectors(p_data: Tensor, p_model: Tensor) -> tuple[Tensor, Tensor]:
    p_data, p_model = _densities(p_data, p_model)
    if p_data.dim() == 0:
        raise ValueError("p_data and p_model must be probability vectors (..., K)")
    atol = 1e-4 if p_data.dtype == torch.float32 else 1e-10
    for t, name in ((p_data, "p_data"), (p_model, "p_model")):
        if not torch.allclose(t.sum(-1), torch.ones((), dtype=t.dtype), atol=atol):
            raise ValueError(f"{name} must sum to 1 over its last dimension, got sums "
                             f"{t.sum(-1)}")
    return p_data, p_model


def jensen_shannon(p: Tensor, q: Tensor) -> Tensor:
    r""":math:`\mathrm{JSD}(p \| q) = \frac12 \mathrm{KL}(p \| m) + \frac12 \mathrm{KL}(q \| m)`,
    :math:`m = (p + q) / 2`, in nats, for probability vectors over the last dimension
    (with :math:`0 \log 0 = 0`).

    :return: shape ``p.shape[:-1]``; between 0 and :math:`\log 2`.
    """
    p, q = _probability_vectors(p, q)
    m = (p + q) / 2
    # xlogy(p, p / m) is 0 where p is 0, whatever m is.
    kl_pm = (torch.xlogy(p, p) - torch.xlogy(p, m)).sum(-1)
    kl_qm = (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(-1)
    return 0.5 * (kl_pm + kl_qm)


def game_value(p_data: Tensor, p_model: Tensor, discriminator: Tensor | None = None) -> Tensor:
    r"""The value :math:`V(D, G) = \sum_x p_\text{data}(x)\log D(x) + p_g(x)\log(1 - D(x))` of
    eq. 1 over a finite set of points.

    At :math:`D^*` (``discriminator=None``) it equals :math:`-\log 4 + 2\,\mathrm{JSD}`
    (Thm. 1); any other discriminator gives at most that (it is the maximum over D).

    :param Tensor p_data: probabilities of the points under the data, ``(..., K)``, summing
        to 1. For a continuous density pass quadrature weights, e.g. ``p(x_i) dx``
        normalised.
    :param Tensor p_model: the generator's probabilities of the same points, ``(..., K)``.
    :param discriminator: :math:`D(x)` in [0, 1] at those points, ``(..., K)``; default
        :math:`D^*`.
    :type discriminator: Tensor or None
    :return: the value in nats, shape ``(...)``; ``-inf`` if ``D`` is 0 where data has mass
        (or 1 where the model has).
    """
    p_data, p_model = _probability_vectors(p_data, p_model)
    if discriminator is None:
        discriminator = optimal_discriminator(p_data, p_model)
    elif (not isinstance(discriminator, Tensor) or discriminator.shape != p_data.shape
          or torch.isnan(discriminator).any()
          or (discriminator < 0).any() or (discriminator > 1).any()):
        raise ValueError(f"discriminator must be a tensor of probabilities in [0, 1] shaped "
                         f"like p_data {tuple(p_data.shape)}")
    return (torch.xlogy(p_data, discriminator)
            + torch.xlogy(p_model, 1 - discriminator)).sum(-1)


#: :math:`-\log 4`, the value of the game at its global optimum :math:`p_g = p_\text{data}`.
MINIMUM_VALUE = -math.log(4.0)


# -- gradient penalties ---------------------------------------------------------------------

def _input_gradient(outputs: Tensor, inputs: Tensor, name: str) -> Tensor:
    if not inputs.requires_grad:
        raise ValueError(f"{name} must require grad (call {name}.requires_grad_() before the "
                         "discriminator sees it)")
    (grad,) = torch.autograd.grad(outputs.sum(), inputs, create_graph=True)
    return grad.flatten(1)


def r1_penalty(real_logits: Tensor, real: Tensor) -> Tensor:
    r"""R1: :math:`\mathbb{E}_{x \sim p_\text{data}} \|\nabla_x D(x)\|^2` (Mescheder et al.
    2018, eq. 9 without its :math:`\gamma / 2`; multiply by that yourself).

    :param Tensor real_logits: the discriminator's logits of ``real``, ``(N,)``, computed
        from ``real`` with ``real.requires_grad`` set.
    :param Tensor real: the data points, ``(N, ...)``.
    :return: a differentiable scalar (the graph is kept, so it trains the discriminator).
    """
    _logits(real_logits, "real_logits")
    return _input_gradient(real_logits, real, "real").pow(2).sum(1).mean()


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                     generator: torch.Generator | None = None) -> Tensor:
    r"""WGAN-GP: :math:`\mathbb{E}_{\hat x}(\|\nabla_{\hat x} f(\hat x)\| - 1)^2` on
    :math:`\hat x = \epsilon x + (1 - \epsilon)\tilde x`, :math:`\epsilon \sim U[0, 1]` per
    pair (Gulrajani et al. 2017, eq. 3 without its :math:`\lambda`).

    :param critic: maps ``(N, ...)`` to scores ``(N,)``.
    :param Tensor real: data points, ``(N, ...)``.
    :param Tensor fake: generated points, same shape (detached or not).
    :param generator: the source of :math:`\epsilon` (default torch's global one).
    :return: a differentiable scalar.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")
    eps = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), generator=generator,
                     dtype=real.dtype, device=real.device)
    mixed = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(mixed)
    grad = _input_gradient(scores, mixed, "mixed")
    return (grad.norm(dim=1) - 1).pow(2).mean()
