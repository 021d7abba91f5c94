"""The latent-variable models by name: build one, count its parameters, save and restore it.

=========  ==============================  =====================  ==============================
name       what it is                      fitted by              scored by
=========  ==============================  =====================  ==============================
``"vae"``  :class:`~ppl_models.vae.VAE`    SVI (an ELBO)          ELBO, IWAE-K (bounds, never
                                                                  exact)
=========  ==============================  =====================  ==============================

Their kind is kept apart from :mod:`ppl_models.density_models`: a density model's
``log_prob`` is exact, while :math:`\\log p(x) = \\log \\int p(x \\mid z) p(z) dz` of a latent
model has no closed form and is only *bounded* (the ELBO) or *estimated* by importance
sampling (IWAE-K). Code that reports a likelihood asks :func:`is_latent_model` first, so it
never calls such a number exact.

:func:`latent_model_state` turns a model into plain containers and tensors, safe for
``torch.load(weights_only=True)``; :func:`load_latent_model` is its inverse.
"""

from __future__ import annotations

__all__ = [
    "LATENT_MODELS",
    "build_latent_model",
    "is_latent_model",
    "latent_model_state",
    "load_latent_model",
]

from collections.abc import Sequence
from typing import Any

from ppl_models.vae import VAE

LATENT_MODELS = ("vae",)


def build_latent_model(kind: str, input_shape: Sequence[int], *, latent_dim: int = 32,
                       hidden: Sequence[int] = (400,), architecture: str = "mlp",
                       likelihood: str = "bernoulli", nade_hidden: int = 500) -> VAE:
    """A fresh, untrained latent-variable model (its weights come from torch's global RNG).

    :param str kind: one of :data:`LATENT_MODELS`.
    :param input_shape: ``(C, H, W)`` of the images.
    :param int latent_dim: size of the code ``z``.
    :param hidden: widths of the encoder's (and, reversed, the decoder's) layers.
    :param str architecture: ``"mlp"`` or ``"conv"``.
    :param str likelihood: ``"bernoulli"``, ``"continuous_bernoulli"`` or ``"nade"``.
    :param int nade_hidden: hidden units of a NADE decoder.
    :raises ValueError: for an unknown ``kind`` or arguments the VAE refuses.
    """
    if kind not in LATENT_MODELS:
        raise ValueError(f"kind must be one of {LATENT_MODELS}, got {kind!r}")
    return VAE(input_shape, latent_dim, hidden=tuple(hidden), architecture=architecture,
               likelihood=likelihood, nade_hidden=nade_hidden)


def is_latent_model(model: Any) -> bool:
    """Whether ``model`` is one of :data:`LATENT_MODELS` (its likelihood is not exact)."""
    return isinstance(model, VAE)


def latent_model_state(model: VAE) -> dict[str, Any]:
    """Configuration and tensors of ``model`` as plain containers.

    :param model: a model from :func:`build_latent_model`, trained or not.
    :return: ``{"kind": "vae", "config": VAE.config(), "tensors": state_dict}``.
    """
    if not is_latent_model(model):
        raise ValueError(f"model must be a VAE, got {type(model).__name__}")
    return {
        "kind": "vae",
        "config": model.config(),
        "tensors": {k: v.detach().clone() for k, v in model.state_dict().items()},
    }


def load_latent_model(state: dict[str, Any]) -> VAE:
    """Rebuild the model :func:`latent_model_state` described.

    :param dict state: as returned by :func:`latent_model_state` (possibly after a save/load
        round trip).
    :raises ValueError: if ``state`` is not such a dict or its tensors do not fit the model.
    """
    if not isinstance(state, dict) or state.get("kind") not in LATENT_MODELS:
        kind = state.get("kind") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"state must be a dict from latent_model_state(), got kind {kind!r}")
    try:
        config = dict(state["config"])
        shape = config.pop("input_shape")
        model = build_latent_model(state["kind"], shape, **config)
        model.load_state_dict(state["tensors"])
    except (KeyError, TypeError, RuntimeError) as e:
        raise ValueError(f"state does not describe a {state['kind']!r} model: {e}") from e
    return model
