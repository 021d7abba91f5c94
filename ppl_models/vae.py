r"""The variational autoencoder as a Pyro model/guide pair.

The generative model draws a code from a prior (a standard normal unless the VampPrior is
chosen, below) and an image from a decoder,

.. math:: z \sim \mathcal{N}(0, I_L), \qquad x \mid z \sim p_\theta(x \mid z),

and the amortised guide is a diagonal Gaussian whose mean and scale an encoder network reads
off the image, :math:`q_\phi(z \mid x) = \mathcal{N}(\mu_\phi(x), \mathrm{diag}\,
\sigma_\phi(x)^2)`. Training maximises the evidence lower bound (Kingma & Welling 2014, eq. 3)

.. math::

    \log p_\theta(x) \ge \mathbb{E}_{q_\phi(z \mid x)}[\log p_\theta(x \mid z)]
    - \mathrm{KL}(q_\phi(z \mid x) \,\|\, p(z)),

which Pyro's ``Trace_ELBO`` / ``TraceMeanField_ELBO`` / ``RenyiELBO`` compute from the two
programs; nothing here re-derives it (see :class:`~inference.training.svi_step.SVIStep`).

**Likelihoods.** ``"bernoulli"``: independent Bernoulli pixels with logits from the decoder,
for binary images. ``"continuous_bernoulli"``: for grey levels in [0, 1]. A Bernoulli
"likelihood" evaluated at a non-binary pixel is not a density: it lacks the normaliser
:math:`C(\lambda) = 2 \tanh^{-1}(1 - 2\lambda) / (1 - 2\lambda)` (for
:math:`\lambda \ne 1/2`), so the bound it gives is not a bound on any likelihood and its
optimum pulls means towards 0 and 1. The continuous Bernoulli
:math:`p(x \mid \lambda) = C(\lambda)\, \lambda^x (1 - \lambda)^{1 - x}` on [0, 1] restores
it (Loaiza-Ganem & Cunningham 2019). ``"nade"``: the decoder is a conditional NADE
:math:`p(x \mid z) = \prod_d p(x_d \mid x_{<d}, z)` over the *flattened* binary pixels
(Chen et al. 2017 discuss VAEs with such autoregressive decoders); the model reshapes ``x``
to ``(N, D)`` before observing it, so its site ``"x"`` holds flattened images.

**Parameters.** The parameters live in this module (``state_dict()`` is the whole trainable
state), and ``model`` and ``guide`` are ``pyro_method``\ s, so every run declares them as
Pyro ``param`` sites through ``pyro.module`` (as Pyro's own VAE example does): plain
``SVI(vae.model, vae.guide, pyro.optim.Adam(...), Trace_ELBO())`` trains the module, and so
does a torch optimiser over ``vae.parameters()`` with an ELBO's ``differentiable_loss``. Each
VAE registers under a name of its own, so two VAEs never share parameters through Pyro's
global parameter store.

**Priors.** ``"standard"``: :math:`p(z) = \mathcal{N}(0, I_L)`. ``"vampprior"``: the
variational mixture of posteriors prior of Tomczak & Welling (2018, eq. 9),

.. math:: p_\lambda(z) = \frac{1}{K} \sum_{k=1}^{K} q_\phi(z \mid u_k),

the VAE's own guide evaluated at :math:`K` learned **pseudo-inputs** :math:`u_k` of the
data's shape (``num_pseudo_inputs``; 500 in the paper). It is an equal-weight mixture of the
encoder's diagonal Gaussians, the density of a ``MixtureSameFamily`` scored by matrix
products (:class:`~ppl_models.distributions.normal_mixture.EqualNormalMixture`), so
:math:`\log p(z)` is a log-mean-exp over the :math:`K` components, and it sits at the
model's site ``"z"`` like the standard prior: every estimator that reads the model's traces
(``Trace_ELBO``, ``RenyiELBO``, the ELBO decomposition, importance sampling) and
:meth:`VAE.decoder_and_prior` (annealed importance sampling) score it without knowing which
prior it is. The pseudo-inputs are a ``PyroParam`` constrained to :math:`[0, 1]^D` (a
sigmoid of an unconstrained parameter; Tomczak & Welling clip with a hard tanh instead),
initialised uniformly in :math:`[0.01, 0.99]`, and trained with the networks by the same
optimiser (plain Pyro ``SVI`` included). The KL term :math:`\mathrm{KL}(q(z \mid x) \,\|\,
p_\lambda(z))` has no closed form: ``Trace_ELBO`` estimates it by Monte Carlo. Pyro's
``TraceMeanField_ELBO``, finding no registered KL, would silently fall back on the same
estimate while claiming the analytic one, so :class:`~inference.training.svi_step.SVIStep`
refuses ``objective="meanfield"`` for any latent site without a closed-form KL.

**Generation.** ``model(x=None, num_samples=n)`` draws ``n`` new images instead of observing
``x`` (Pyro's convention), so ``Predictive(vae.model, num_samples=S)(None, num_samples=n)``
samples the generative model.

References:

1. Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
2. Rezende, Mohamed & Wierstra, "Stochastic Backpropagation and Approximate Inference in
   Deep Generative Models", ICML 2014.
3. Loaiza-Ganem & Cunningham, "The continuous Bernoulli: fixing a pervasive error in
   variational autoencoders", NeurIPS 2019.
4. Chen, Kingma, Salimans, Duan, Dhariwal, Schulman, Sutskever & Abbeel, "Variational Lossy
   Autoencoder", ICLR 2017.
5. Tomczak & Welling, "VAE with a VampPrior", AISTATS 2018.
"""

import itertools
import math
import weakref
from collections.abc import Sequence

import pyro
import pyro.distributions as dist
import torch
import torch.nn.functional as F
from pyro.distributions import constraints
from pyro.nn import PyroModule, PyroParam, pyro_method
from torch import nn

from ppl_models.abilities import Representation, StartsFrom
from ppl_models.distributions.nade import NADE
from ppl_models.distributions.normal_mixture import EqualNormalMixture
from ppl_models.nn.conv import ConvDecoder, ConvEncoder
from ppl_models.nn.mlp import MLP, check_widths
from ppl_models.observation import DecoderDensity
from ppl_models.registry import Option, register

__all__ = ["ARCHITECTURES", "LIKELIHOODS", "PRIORS", "VAE"]

ARCHITECTURES = ("mlp", "conv")
LIKELIHOODS = ("bernoulli", "continuous_bernoulli", "nade")
PRIORS = ("standard", "vampprior")
# A distinct Pyro name per instance: the global parameter store is keyed by names, and two
# VAEs under one name would be handed each other's parameters by pyro.module.
_INSTANCES = itertools.count()
# Keeps log q(z|x) finite where softplus underflows; far below the posterior scales a trained
# VAE uses (~0.1), so it does not restrict the guide.
_MIN_SCALE = 1e-3
# Pseudo-inputs start uniform in [m, 1 - m]: their parameter is the logit, finite there.
_PSEUDO_INPUT_MARGIN = 0.01


# The command line trains on binary data, so the grey-level likelihood is not offered there.
_OPTIONS = (
    Option("latent_dim", 32, "size of the code z"),
    Option("hidden", [400], "encoder layer widths, reversed in the decoder", flag="--vae-hidden",
           nargs="+"),
    Option("architecture", "mlp", "encoder/decoder networks", type=str, choices=ARCHITECTURES),
    Option("likelihood", "bernoulli", "p(x|z): independent Bernoulli pixels, or a conditional "
           "NADE (--hidden units)", type=str, choices=("bernoulli", "nade")),
    Option("nade_hidden", 500, "hidden units of a NADE decoder", flag="--hidden"),
    Option("prior", "standard", "p(z): standard normal, or the VampPrior (a mixture of the "
           "encoder's posteriors at --num-pseudo-inputs learned pseudo-inputs)", type=str,
           choices=PRIORS),
    Option("num_pseudo_inputs", 500, "pseudo-inputs K of --prior vampprior"),
)


@register("vae", "latent", options=_OPTIONS)
class VAE(PyroModule, DecoderDensity, Representation, StartsFrom):
    """Variational autoencoder with a standard normal or VampPrior prior and a diagonal
    Gaussian guide.

    :param input_shape: ``(C, H, W)`` for images or ``(D,)`` for vectors; data ``x`` has
        shape ``(N, *input_shape)``.
    :param int latent_dim: size ``L`` of the code ``z``.
    :param hidden: widths of the fully connected layers; the decoder uses them in reverse.
        With ``architecture="conv"`` they sit between the feature map and the code.
    :param str architecture: ``"mlp"`` or ``"conv"`` (images whose height and width are
        divisible by 4, e.g. 28x28 and 8x8).
    :param str likelihood: ``"bernoulli"`` (binary data), ``"continuous_bernoulli"`` (grey
        levels in [0, 1]) or ``"nade"`` (binary data; the decoder is
        ``NADE(D, nade_hidden, context_dim=latent_dim)`` and ``architecture`` shapes the
        encoder only).
    :param int nade_hidden: hidden units of the NADE decoder.
    :param str prior: ``"standard"`` (:math:`\\mathcal{N}(0, I)`) or ``"vampprior"`` (see the
        module's docstring).
    :param int num_pseudo_inputs: ``K``, the VampPrior's pseudo-inputs (a parameter
        ``pseudo_inputs`` of shape ``(K, *input_shape)``); like ``nade_hidden``, unused by
        the other choice.
    """

    def __init__(self, input_shape: Sequence[int], latent_dim: int, *,
                 hidden: Sequence[int] = (400,), architecture: str = "mlp",
                 likelihood: str = "bernoulli", nade_hidden: int = 500,
                 prior: str = "standard", num_pseudo_inputs: int = 500):
        super().__init__(name=f"vae{next(_INSTANCES)}")
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        if prior not in PRIORS:
            raise ValueError(f"prior must be one of {PRIORS}, got {prior!r}")
        if isinstance(num_pseudo_inputs, bool) or not isinstance(num_pseudo_inputs, int) \
                or num_pseudo_inputs < 1:
            raise ValueError(f"num_pseudo_inputs must be a positive int, got "
                             f"{num_pseudo_inputs!r}")
        self.input_shape = _check_input_shape(input_shape, architecture)
        (self.latent_dim,) = check_widths((latent_dim,), "latent_dim")
        hidden = check_widths(hidden)
        self.architecture, self.likelihood = architecture, likelihood
        (nade_hidden,) = check_widths((nade_hidden,), "nade_hidden")
        # Kept so that config() can rebuild this very network shape.
        self.hidden, self.nade_hidden = hidden, nade_hidden
        self.dim = math.prod(self.input_shape)
        self._support_checked = _LastChecked()
        self.encoder = self._encoder(hidden)
        self.decoder = self._decoder(hidden, nade_hidden)
        self.prior, self.num_pseudo_inputs = prior, num_pseudo_inputs
        if prior == "vampprior":
            # Drawn after the networks, so a standard VAE's weights are what they were.
            low = _PSEUDO_INPUT_MARGIN
            init = low + (1 - 2 * low) * torch.rand(num_pseudo_inputs, *self.input_shape)
            self.pseudo_inputs = PyroParam(init, constraint=constraints.unit_interval)

    def _encoder(self, hidden: tuple[int, ...]) -> nn.Module:
        out = 2 * self.latent_dim  # loc and pre-softplus scale
        if self.architecture == "conv":
            return ConvEncoder(self.input_shape, out, hidden)
        return nn.Sequential(nn.Flatten(), MLP(self.dim, hidden, out))

    def _decoder(self, hidden: tuple[int, ...], nade_hidden: int) -> nn.Module:
        if self.likelihood == "nade":
            return NADE(self.dim, nade_hidden, context_dim=self.latent_dim)
        if self.architecture == "conv":
            return ConvDecoder(self.latent_dim, self.input_shape, hidden[::-1])
        return nn.Sequential(MLP(self.latent_dim, hidden[::-1], self.dim),
                             nn.Unflatten(1, self.input_shape))

    @property
    def config(self) -> dict:
        """The constructor's arguments as plain containers: ``VAE(**vae.config)`` builds an
        untrained twin with the same shapes (so its ``state_dict`` loads into it)."""
        return {"input_shape": list(self.input_shape), "latent_dim": self.latent_dim,
                "hidden": list(self.hidden), "architecture": self.architecture,
                "likelihood": self.likelihood, "nade_hidden": self.nade_hidden,
                "prior": self.prior, "num_pseudo_inputs": self.num_pseudo_inputs}

    # -- the probabilistic program -------------------------------------------------------

    @pyro_method
    def model(self, x: torch.Tensor | None = None, num_samples: int | None = None) -> None:
        """Generative model: ``z ~ p(z)`` at site ``"z"`` (:meth:`prior_distribution`),
        ``x ~ p(x | z)`` at site ``"x"``.

        Both sites sit in the plate ``"data"`` of size ``N``; their log-densities have shape
        ``(N,)``. With ``likelihood="nade"`` the site holds ``x.reshape(N, D)``.

        :param x: ``(N, *input_shape)`` data in the likelihood's support, observed at ``"x"``;
            ``None`` to generate.
        :param num_samples: with ``x=None``, how many images ``N`` to draw.
        """
        if x is None:
            (n,) = check_widths((num_samples,), "num_samples")
            weight = next(self.parameters())
            dtype, device, obs = weight.dtype, weight.device, None
        else:
            if num_samples is not None:
                raise ValueError("num_samples is for generation (x=None); the data's size "
                                 "is len(x)")
            x = self._check_x(x)
            n, dtype, device = x.shape[0], x.dtype, x.device
            obs = x.reshape(n, self.dim) if self.likelihood == "nade" else x
        prior = self.prior_distribution(dtype=dtype, device=device)
        with pyro.plate("data", n):
            z = pyro.sample("z", prior)
            pyro.sample("x", self.decode(z), obs=obs)

    @pyro_method
    def guide(self, x: torch.Tensor) -> None:
        """Amortised guide :math:`q(z \\mid x)`, a diagonal Gaussian at site ``"z"``.

        :param x: ``(N, *input_shape)`` data, as for :meth:`model`.
        """
        loc, scale = self.encode(x)
        with pyro.plate("data", x.shape[0]):
            pyro.sample("z", dist.Normal(loc, scale).to_event(1))

    # -- helpers -------------------------------------------------------------------------

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and standard deviation of :math:`q(z \\mid x)`, each ``(N, latent_dim)``.

        :param x: ``(N, *input_shape)`` data.
        """
        x = self._check_x(x)
        return self._posterior(x)

    def _posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`encode` without the data checks (pseudo-inputs are grey levels)."""
        # Under torch.autocast the networks' products run in lower precision; the
        # posterior's parameters (and so every log-density) stay in the data's float type.
        h = self.encoder(x).to(x.dtype)
        loc, raw = h.chunk(2, dim=-1)
        return loc, F.softplus(raw) + _MIN_SCALE

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean :math:`\\mathbb{E}_q[z \\mid x]`, ``(N, latent_dim)``, without
        gradients: the VAE's representation of ``x`` for linear probes and clustering.

        :param x: ``(N, *input_shape)`` data.
        """
        with torch.no_grad():
            return self.encode(x)[0]

    def prior_distribution(self, *, dtype: torch.dtype | None = None,
                           device: torch.device | None = None) -> dist.TorchDistribution:
        r""":math:`p(z)`, batch shape ``()``, event shape ``(latent_dim,)``.

        ``"standard"``: ``Normal(0, 1)`` over ``latent_dim`` independent dimensions, in
        ``dtype`` on ``device`` (default: the parameters'). ``"vampprior"``: the
        :class:`~ppl_models.distributions.normal_mixture.EqualNormalMixture` of the ``K``
        diagonal Gaussians
        :math:`q(z \mid u_k) = \mathcal{N}(\mu_\phi(u_k), \mathrm{diag}\,\sigma_\phi(u_k)^2)`
        with weights :math:`1/K` (Tomczak & Welling 2018, eq. 9), so

        .. math:: \log p(z) = \log \frac{1}{K} \sum_{k=1}^{K} q(z \mid u_k);

        it is built from the current pseudo-inputs and encoder, on their dtype and device,
        with gradients to both.
        """
        if self.prior == "vampprior":
            return EqualNormalMixture(*self._posterior(self.pseudo_inputs))  # (K, L) each
        if dtype is None or device is None:
            weight = next(self.parameters())
            dtype, device = dtype or weight.dtype, device or weight.device
        # torch.zeros, not torch.tensor: under JitTrace_ELBO the latter is a TracerWarning.
        zero = torch.zeros((), dtype=dtype, device=device)
        return dist.Normal(zero, torch.ones_like(zero)).expand([self.latent_dim]).to_event(1)

    def decoder_and_prior(self) -> tuple:
        """:meth:`decode` and the prior of :meth:`model` (:meth:`prior_distribution`)."""
        return self.decode, self.prior_distribution()

    def decode(self, z: torch.Tensor) -> dist.TorchDistribution:
        """The distribution :math:`p(x \\mid z)`.

        :param z: ``(*batch, latent_dim)`` codes.
        :return: batch shape ``batch``; event shape ``input_shape``, or ``(D,)`` for
            ``likelihood="nade"`` (flattened pixels).
        """
        if not torch.jit.is_tracing() and (not isinstance(z, torch.Tensor) or z.dim() < 1
                                           or z.shape[-1] != self.latent_dim):
            # (Skipped while JitTrace_ELBO traces: see _check_x.)
            shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"z must have shape (*batch, {self.latent_dim}), got {shape}")
        if self.likelihood == "nade":
            return self.decoder(z)
        flat = self.decoder(z.reshape(-1, self.latent_dim)).to(z.dtype)  # (see encode)
        logits = flat.reshape(z.shape[:-1] + self.input_shape)
        if self.likelihood == "bernoulli":
            pixels = dist.Bernoulli(logits=logits)
        else:
            pixels = dist.ContinuousBernoulli(logits=logits)
        return pixels.to_event(len(self.input_shape))

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Decode the posterior mean code: the decoder's mean, ``(N, *input_shape)``.

        The mean of the autoregressive NADE decoder has no closed form, so with
        ``likelihood="nade"`` this is one ancestral sample from :math:`p(x \\mid \\mu(x))`.

        :param x: ``(N, *input_shape)`` data.
        """
        loc, _ = self.encode(x)
        decoded = self.decode(loc)
        if self.likelihood == "nade":
            return decoded.sample().reshape(x.shape)
        return decoded.mean

    def sample(self, n: int) -> torch.Tensor:
        """Draw ``n`` images from the model: ``z ~ p(z)``, then ``x ~ p(x | z)``.

        :param int n: number of samples.
        :return: ``(n, *input_shape)``.
        """
        (n,) = check_widths((n,), "n")
        with torch.no_grad():
            if self.prior == "vampprior":
                z = self.prior_distribution().sample((n,))
            else:  # the draws the standard VAE has always made
                weight = next(self.parameters())
                z = torch.randn(n, self.latent_dim, device=weight.device, dtype=weight.dtype)
            return self.decode(z).sample().reshape((n, *self.input_shape))

    def _check_x(self, x: torch.Tensor) -> torch.Tensor:
        """Raise ``ValueError`` unless ``x`` is ``(N, *input_shape)`` in the support."""
        if torch.jit.is_tracing():
            # JitTrace_ELBO traces the program once: every Python bool taken from a traced
            # shape or value prints a TracerWarning, and the compiled graph would not repeat
            # the checks on later batches anyway. Eager calls (Trace_ELBO, encode, ...)
            # check every batch.
            return x.to(next(self.parameters()).dtype)
        expected = f"(N, {', '.join(map(str, self.input_shape))})"
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"x must be a torch.Tensor of shape {expected}, "
                             f"got {type(x).__name__}")
        if x.dim() != 1 + len(self.input_shape) or tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"x must have shape {expected} for input_shape="
                             f"{self.input_shape}, got {tuple(x.shape)}")
        if x.shape[0] == 0:
            raise ValueError("x must hold at least one example, got N = 0")
        if not x.is_floating_point():
            raise ValueError(f"x must be a floating tensor, got dtype {x.dtype}")
        # The guide and the model see the same batch in one ELBO evaluation; its values are
        # checked once. The version counter moves on any in-place write, so a changed tensor
        # is checked again.
        if not self._support_checked.holds(x):
            _check_support(x, self.likelihood)
            self._support_checked.remember(x)
        # Another float type's data is scored in the networks' own (float64 images into a
        # float32 VAE otherwise fail inside the first Linear).
        return x.to(next(self.parameters()).dtype)

    def start_from(self, model: nn.Module) -> list[nn.Parameter]:
        """Start a NADE decoder from a fitted ``NADE`` over the same pixels, with the code's
        weights (``decoder.context_net``) at zero: :math:`p(x \\mid z)` is then the NADE's
        :math:`p(x)` for every ``z``, so the VAE's marginal likelihood starts at the NADE's
        whatever the guide, and SVI adds what the code can explain.

        :param model: a NADE with ``nade_hidden`` units over ``D`` pixels, no context, and
            the decoder's variable order.
        :return: the decoder's parameters taken from ``model`` (not the code's weights).
        :raises ValueError: for another likelihood, or a model of another kind or size.
        """
        decoder = self.decoder
        if self.likelihood != "nade" or not isinstance(model, NADE) or model.context_dim \
                or (model.dim, model.hidden) != (self.dim, self.nade_hidden) \
                or not torch.equal(model.order, decoder.order):
            raise ValueError(f"a VAE with likelihood={self.likelihood!r} starts only a NADE "
                             f"decoder ({self.nade_hidden} units over {self.dim} pixels), "
                             "from a NADE of that size without context, in the decoder's "
                             f"order; got a {type(model).__name__}")
        missing, unexpected = decoder.load_state_dict(model.state_dict(), strict=False)
        assert not unexpected and all(k.startswith("context_net.") for k in missing), missing
        with torch.no_grad():
            decoder.context_net.weight.zero_()
            decoder.context_net.bias.zero_()
        return [p for name, p in decoder.named_parameters()
                if not name.startswith("context_net.")]


class _LastChecked:
    """A weak reference to the last tensor whose values passed the support check."""

    def __init__(self) -> None:
        self.ref, self.version = None, -1

    def holds(self, x: torch.Tensor) -> bool:
        return self.ref is not None and self.ref() is x and self.version == x._version

    def remember(self, x: torch.Tensor) -> None:
        self.ref, self.version = weakref.ref(x), x._version

    def __getstate__(self) -> dict:
        return {}  # a weak reference cannot be pickled; a copy simply checks afresh

    def __setstate__(self, state: dict) -> None:
        self.__init__()


def _check_input_shape(input_shape: Sequence[int], architecture: str) -> tuple[int, ...]:
    if isinstance(input_shape, Sequence) and len(input_shape) not in (1, 3):
        raise ValueError(f"input_shape must be (C, H, W) or (D,), got {tuple(input_shape)!r}")
    shape = check_widths(input_shape, "input_shape")
    if architecture == "conv" and (len(shape) != 3 or shape[1] % 4 or shape[2] % 4):
        raise ValueError("architecture='conv' needs input_shape (C, H, W) with H and W "
                         f"divisible by 4 (two stride-2 layers), got {shape}")
    return shape


def _check_support(x: torch.Tensor, likelihood: str) -> None:
    # A Bernoulli scores 0.5 (and NaN) without complaint, and the continuous Bernoulli scores
    # 1.5; neither is a likelihood of that data, so refuse it loudly. This runs on every
    # batch, so the test is one or two passes that NaN fails too (x - x^2 vanishes exactly
    # on {0, 1}; min/max propagate NaN); 3.7x faster than x.eq(0) | x.eq(1). The message
    # is built only on failure.
    grey = likelihood == "continuous_bernoulli"
    if grey:
        low, high = torch.aminmax(x)
        if low >= 0 and high <= 1:
            return
    elif not torch.addcmul(x, x, x, value=-1).any():
        return
    if torch.isnan(x).any():
        raise ValueError(f"x contains NaN ({int(torch.isnan(x).sum())} entries)")
    bad = (x < 0) | (x > 1) if grey else (x != 0) & (x != 1)
    first, count = x[bad].flatten()[0].item(), int(bad.sum())
    if grey:
        raise ValueError(f"x must hold grey levels in [0, 1] for likelihood="
                         f"'continuous_bernoulli'; found {first!r} ({count} entries outside)")
    raise ValueError(
        f"x must be binary (values in {{0, 1}}) for likelihood={likelihood!r}; found "
        f"{first!r} ({count} non-binary entries); binarise it (ppl_models.data.binarize) or "
        "use likelihood='continuous_bernoulli' for grey levels")
