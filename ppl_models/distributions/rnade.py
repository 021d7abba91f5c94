r"""RNADE: the real-valued neural autoregressive density estimator.

A density over :math:`\mathbb{R}^D` by the chain rule in a fixed order :math:`\sigma`,
each conditional a mixture of :math:`C` Gaussians whose parameters come from NADE's shared
hidden state (Uria, Murray & Larochelle 2013, sec. 2), in ordered coordinates:

.. math::

    a_1 = c, \qquad a_{k+1} = a_k + W_{:,k}\, x_k
        \quad\text{(NADE's running sum)},

    h_k = \mathrm{sigm}(\rho_k\, a_k)
        \quad\text{(the per-position activation rescaling)},

    p(x_k \mid x_{<k}) = \sum_{j=1}^{C} \pi_{k,j}\,
        \mathcal{N}\!\left(x_k;\ \mu_{k,j},\ \sigma_{k,j}^2\right),

    \pi_k = \mathrm{softmax}(V^{\pi}_k{}^\top h_k + b^{\pi}_k), \quad
    \mu_k = V^{\mu}_k{}^\top h_k + b^{\mu}_k, \quad
    \sigma_k = \exp(V^{\sigma}_k{}^\top h_k + b^{\sigma}_k).

The rescaling :math:`\rho_k` (one learned scalar per position, started at 1) is there
because :math:`a_k` is a sum of :math:`k-1` terms, so without it the hidden units of late
positions tend to saturate (the paper's motivation, sec. 2, as we read it). The equations
above are the paper's model (its equations for :math:`a_d`, :math:`h_d`, the mixture and its
three parametrisations) in our notation; the published equation numbers are not repeated
here because they were not re-checked against the PDF.

The teacher-forced pass computes every :math:`a_k` at once as an exclusive cumulative sum,
``(N, D, H)``, which is cheap at the sizes RNADE is used at (tabular data, 8x8 patches);
sampling is sequential by definition.

A ``context`` shifts the hidden bias and the output biases through a linear map, giving a
conditional RNADE :math:`p(x \mid z)`, as for :class:`~ppl_models.distributions.NADE`.

References:

1. Uria, Murray & Larochelle, "RNADE: The real-valued neural autoregressive
   density-estimator", NIPS 2013.
2. Larochelle & Murray, "The Neural Autoregressive Distribution Estimator", AISTATS 2011.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.distributions import constraints

from ppl_models.abilities import DataInitialised
from ppl_models.distributions.autoregressive import check_order, order_config
from ppl_models.distributions.lazy import ContextDistribution, LazyDistribution
from ppl_models.registry import Option, register

__all__ = ["RNADE", "RNADEDistribution", "mixture_log_prob"]


def mixture_log_prob(logits: Tensor, mu: Tensor, log_sigma: Tensor, x: Tensor) -> Tensor:
    r"""Log-density of a 1-D Gaussian mixture per position, :math:`\log\sum_j\pi_j
    \mathcal{N}(x; \mu_j, \sigma_j^2)`.

    :param logits: ``(..., C)`` unnormalised log mixture weights.
    :param mu: ``(..., C)`` means.
    :param log_sigma: ``(..., C)`` log standard deviations.
    :param x: ``(...)`` points.
    :return: ``(...)`` log-densities in nats.
    """
    z = (x.unsqueeze(-1) - mu) * torch.exp(-log_sigma)
    log_normal = -0.5 * z * z - log_sigma - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log_softmax(logits, -1) + log_normal, -1)


def check_real(value: Tensor, dim: int, name: str = "x") -> None:
    """Raise ``ValueError`` unless ``value`` is a finite floating tensor ``(*batch, dim)``."""
    if not isinstance(value, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.dim() < 1 or value.shape[-1] != dim:
        raise ValueError(f"{name} must have shape (*batch, {dim}), got {tuple(value.shape)}")
    if not value.is_floating_point():
        raise ValueError(f"{name} must be a floating tensor, got dtype {value.dtype}")
    if not torch.isfinite(value).all():
        bad = int((~torch.isfinite(value)).sum())
        raise ValueError(f"{name} contains NaN or infinite values ({bad} entries); RNADE "
                         "is a density on R^D")


@register("rnade", "exact",
          options=(Option("hidden", 500, "hidden units"),
                   Option("components", 10, "Gaussian components per conditional (RNADE)")))
class RNADE(LazyDistribution, DataInitialised):
    """RNADE over ``dim`` real variables: ``RNADE(dim, hidden, components)()`` is a Pyro
    distribution over :math:`\\mathbb{R}^{dim}` with exact ``log_prob`` (nats, a density)
    and ancestral ``sample``.

    :param int dim: number of variables ``D``.
    :param int hidden: shared hidden units ``H``.
    :param int components: Gaussians per conditional ``C``.
    :param order: variable order (permutation of ``range(dim)``), raster if None.
    :param int context_dim: size of an optional conditioning vector; 0 for none.
    """

    def __init__(self, dim: int, hidden: int, components: int, order=None,
                 context_dim: int = 0):
        super().__init__()
        for name, value in (("dim", dim), ("hidden", hidden), ("components", components)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(context_dim, bool) or not isinstance(context_dim, int) or context_dim < 0:
            raise ValueError(f"context_dim must be an integer >= 0, got {context_dim!r}")
        self.dim, self.hidden, self.components = dim, hidden, components
        self.context_dim = context_dim
        order = check_order(order, dim)
        self.register_buffer("order", order)
        self.register_buffer("inverse_order", torch.argsort(order))
        d, h, c = dim, hidden, components
        # Row k belongs to position k (ordered coordinates), as in NADE.
        self.W = nn.Parameter(torch.randn(d, h) / math.sqrt(d))
        self.c = nn.Parameter(torch.zeros(h))
        self.rho = nn.Parameter(torch.ones(d))
        # V[k] : (H, 3C) -> logits, means and log-sigmas of position k's mixture.
        self.V = nn.Parameter(torch.randn(d, h, 3 * c) * (0.1 / math.sqrt(h)))
        # Means spread over [-1, 1] so the components start distinct (standardised data).
        bias = torch.zeros(d, 3 * c)
        bias[:, c: 2 * c] = torch.linspace(-1, 1, c) if c > 1 else 0.0
        self.b = nn.Parameter(bias)
        self.context_net = nn.Linear(context_dim, h + 3 * c * d) if context_dim else None

    @property
    def config(self) -> dict:
        return {"dim": self.dim, "hidden": self.hidden, "components": self.components,
                "order": order_config(self.order), "context_dim": self.context_dim}

    def forward(self, context: Tensor | None = None) -> RNADEDistribution:
        """The distribution :math:`p(x \\mid context)`.

        :param context: ``(*batch, context_dim)`` or None.
        """
        return RNADEDistribution(self, context)

    @torch.no_grad()
    def init_bias_from_data(self, x: Tensor) -> None:
        """Start every conditional near the data's marginal: component means at the
        marginal's quantiles, widths at its spread (a start, not a fit).

        :param x: ``(N, D)`` training data.
        """
        check_real(x, self.dim, "x")
        x = x.reshape(-1, self.dim)[:, self.order]
        c = self.components
        q = torch.linspace(0.5 / c, 1 - 0.5 / c, c, dtype=x.dtype)
        self.b[:, c: 2 * c] = torch.quantile(x, q, dim=0).T.to(self.b)
        spread = x.std(0).clamp_min(1e-3) / math.sqrt(c)
        self.b[:, 2 * c:] = spread.log().unsqueeze(1).to(self.b)

    # --- the conditioner, ordered coordinates -----------------------------------------
    def _biases(self, context: Tensor | None):
        """Hidden bias ``(N|1, H)`` and output bias ``(N|1, D, 3C)``."""
        c, b = self.c.unsqueeze(0), self.b.unsqueeze(0)
        if context is None:
            return c, b
        shift = self.context_net(context)
        return c + shift[:, : self.hidden], b + shift[:, self.hidden:].reshape(-1, *b.shape[1:])

    def ordered_params(self, x: Tensor, context: Tensor | None = None):
        """Mixture parameters of every conditional (teacher forcing), ordered coordinates.

        :param x: ``(N, D)`` in ordered coordinates.
        :param context: ``(N, context_dim)`` or None.
        :return: ``(logits, mu, log_sigma)``, each ``(N, D, C)``; position ``k`` depends on
            ``x[:, :k]`` only.
        """
        c, b = self._biases(context)
        # a_k = c + sum_{j<k} x_j W_j: an exclusive cumulative sum over positions.
        steps = x.unsqueeze(-1) * self.W
        a = torch.cat([torch.zeros_like(steps[:, :1]), steps[:, :-1].cumsum(1)], 1)
        h = torch.sigmoid(self.rho[:, None] * (a + c.unsqueeze(1)))
        out = torch.einsum("ndh,dhk->ndk", h, self.V) + b
        return out.split(self.components, -1)

    def _check_context(self, context):
        if self.context_dim == 0:
            if context is not None:
                raise ValueError("RNADE was built with context_dim=0 but a context was given")
            return None
        if context is None:
            raise ValueError(f"RNADE needs a context of shape (*batch, {self.context_dim})")
        if not isinstance(context, Tensor) or context.dim() < 1 \
                or context.shape[-1] != self.context_dim:
            shape = tuple(context.shape) if isinstance(context, Tensor) else type(context)
            raise ValueError(f"context must have shape (*batch, {self.context_dim}), "
                             f"got {shape}")
        # As NADE and FVSBN refuse them: a NaN context made every log-density NaN.
        if not context.is_floating_point():
            raise ValueError(f"context must be a floating tensor, got dtype {context.dtype}")
        if not torch.isfinite(context).all():
            raise ValueError("context contains NaN or infinite values")
        return context

    def log_prob_x(self, x: Tensor, context: Tensor | None = None) -> Tensor:
        """:math:`\\log p(x \\mid context)`, ``(*batch)``, natural coordinates."""
        batch = x.shape[:-1]
        if context is not None:
            try:
                batch = torch.broadcast_shapes(batch, context.shape[:-1])
            except RuntimeError as e:
                raise ValueError(f"context's batch shape {tuple(context.shape[:-1])} does not "
                                 f"broadcast with the data's {tuple(batch)}") from e
            context = context.expand(batch + context.shape[-1:]).reshape(-1, self.context_dim)
        flat = x.expand(batch + x.shape[-1:]).reshape(-1, self.dim)[:, self.order]
        logits, mu, log_sigma = self.ordered_params(flat, context)
        return mixture_log_prob(logits, mu, log_sigma, flat).sum(-1).reshape(batch)

    def sample_x(self, shape: torch.Size, context: Tensor | None = None) -> Tensor:
        """Ancestral samples ``shape + (D,)``: position by position, each from its mixture."""
        n = math.prod(shape)
        if context is not None:
            context = context.expand(tuple(shape) + context.shape[-1:]).reshape(n, -1)
        c, b = self._biases(context)
        b = b.expand(n, -1, -1)
        a = c.expand(n, self.hidden).clone()
        x = self.W.new_empty(n, self.dim)
        k_c = self.components
        for k in range(self.dim):
            out = torch.sigmoid(self.rho[k] * a) @ self.V[k] + b[:, k]
            logits, mu, log_sigma = out.split(k_c, -1)
            j = torch.distributions.Categorical(logits=logits).sample()
            pick = j.unsqueeze(-1)
            x[:, k] = (mu.gather(-1, pick) + log_sigma.gather(-1, pick).exp()
                       * torch.randn_like(pick, dtype=mu.dtype)).squeeze(-1)
            a = a + x[:, k: k + 1] * self.W[k]
        return x[:, self.inverse_order].reshape(tuple(shape) + (self.dim,))


class RNADEDistribution(ContextDistribution):
    """The exact density over :math:`\\mathbb{R}^D` an :class:`RNADE` defines.

    :param RNADE model: the conditioner holding the parameters.
    :param context: ``(*batch, context_dim)`` or None; its leading shape is the batch shape.
    """

    support = constraints.independent(constraints.real, 1)
    has_rsample = False

    def log_prob(self, value: Tensor) -> Tensor:
        """Exact :math:`\\log p(x)` (nats), ``broadcast(value.shape[:-1], batch_shape)``."""
        check_real(value, self.model.dim, "value")
        lp = self.model.log_prob_x(value, self.context)
        return lp.expand(torch.broadcast_shapes(lp.shape, self.batch_shape))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)[:-1]
        with torch.no_grad():
            return self.model.sample_x(shape, self.context)
