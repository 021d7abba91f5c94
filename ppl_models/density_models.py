"""The binary density models by name: build one, count its parameters, save and restore it.

=================  ===============================  =========================  ==============
name               what it is                       fitted by                  parameters
=================  ===============================  =========================  ==============
``"independent"``  :class:`ChainRuleBernoulli`      counts (closed form)       :math:`D`
``"markov"``       :class:`ChainRuleBernoulli`      counts (closed form)       :math:`2D - 1`
``"full"``         :class:`ChainRuleBernoulli`      counts (closed form)       :math:`2^D - 1`
``"fvsbn"``        :class:`FVSBN` module            gradients (maximum lik.)   :math:`D(D+1)/2`
``"nade"``         :class:`NADE` module             gradients (maximum lik.)   :math:`2DH + D + H`
=================  ===============================  =========================  ==============

The three table models are *distributions* (fit them with ``.fit(x, alpha, beta)``, which
returns a new one); the two networks are modules whose call returns the distribution. Either
way :func:`density_of` gives the distribution to score or sample.

:func:`density_model_state` turns any of them into plain containers and tensors, safe for
``torch.load(weights_only=True)``; :func:`load_density_model` is its inverse.
"""

from __future__ import annotations

__all__ = [
    "DENSITY_MODELS",
    "TABLE_MODELS",
    "build_density_model",
    "density_model_state",
    "density_of",
    "load_density_model",
    "num_parameters",
]

from typing import Any

import torch
from pyro.distributions import TorchDistribution
from torch import nn

from ppl_models.distributions import (
    FVSBN,
    NADE,
    ChainRuleBernoulli,
    full_parents,
    independent_parents,
    markov_parents,
)

DENSITY_MODELS = ("independent", "markov", "full", "fvsbn", "nade")
#: The models fitted in closed form from counts.
TABLE_MODELS = ("independent", "markov", "full")
# Custom parent sets have no name of their own; they still round-trip.
_CUSTOM_TABLE = "chain_rule"

DensityModel = ChainRuleBernoulli | FVSBN | NADE


def build_density_model(
    kind: str, dim: int, *, hidden: int = 500, order=None, context_dim: int = 0
) -> DensityModel:
    """A fresh, unfitted density model over ``dim`` binary variables.

    :param str kind: one of :data:`DENSITY_MODELS`.
    :param int dim: number of binary variables ``D``.
    :param int hidden: NADE's hidden units (ignored by the other models).
    :param order: variable order, a permutation of ``range(dim)``; raster order if None.
    :param int context_dim: conditioning vector size (FVSBN and NADE only; 0 for none).
    :return: a :class:`ChainRuleBernoulli` with all probabilities 0.5 for the table models,
        else an ``nn.Module`` returning an ``AutoregressiveBernoulli`` when called.
    :raises ValueError: for an unknown ``kind``, a bad ``dim``/``hidden``/``order``, a context
        for a table model, or a full joint whose table is too large to allocate.
    """
    if kind not in DENSITY_MODELS:
        raise ValueError(f"kind must be one of {DENSITY_MODELS}, got {kind!r}")
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim must be a positive int, got {dim!r}")
    if kind in TABLE_MODELS:
        if context_dim:
            raise ValueError(f"context_dim must be 0 for the table model {kind!r}, "
                             f"got {context_dim}")
        return getattr(ChainRuleBernoulli, kind)(dim, order=order)
    if kind == "fvsbn":
        return FVSBN(dim, order=order, context_dim=context_dim)
    return NADE(dim, hidden, order=order, context_dim=context_dim)


def density_of(model: DensityModel, context: torch.Tensor | None = None) -> TorchDistribution:
    """The distribution a density model stands for: a table model is one already.

    :param model: as returned by :func:`build_density_model` (or fitted).
    :param context: ``(*batch, context_dim)`` for a conditional network, else None.
    """
    if isinstance(model, ChainRuleBernoulli):
        if context is not None:
            raise ValueError("context must be None for a ChainRuleBernoulli table model")
        return model
    if isinstance(model, nn.Module):
        return model(context)
    raise ValueError(f"model must be a ChainRuleBernoulli or a density module, "
                     f"got {type(model).__name__}")


def num_parameters(model: DensityModel) -> int:
    """Free parameters: CPT entries of a table model, ``D(D+1)/2`` for FVSBN (its mask
    removes the rest of ``A``), every trainable number of any other module."""
    if hasattr(model, "num_parameters"):
        return int(model.num_parameters)
    if isinstance(model, nn.Module):
        return sum(p.numel() for p in model.parameters() if p.requires_grad)
    raise ValueError(f"model must be a ChainRuleBernoulli or a density module, "
                     f"got {type(model).__name__}")


def density_model_state(model: DensityModel) -> dict[str, Any]:
    """Configuration and tensors of ``model`` as plain containers.

    Only tensors, dicts, lists, str, int and None appear, so the result can be written with
    ``torch.save`` and read back with ``weights_only=True``.

    :param model: a model from :func:`build_density_model`, fitted or not.
    :return: ``{"kind", "dim", "order", ...}`` plus ``"parents"``/``"probs"`` for a table
        model, or ``"hidden"``/``"context_dim"``/``"tensors"`` (its ``state_dict``) for a
        network.
    """
    if isinstance(model, ChainRuleBernoulli):
        return {
            "kind": _table_kind(model),
            "dim": len(model.parents),
            "order": model.order.tolist(),
            "parents": [list(pa) for pa in model.parents],
            "probs": [p.detach().clone() for p in model.probs],
        }
    if isinstance(model, FVSBN | NADE):
        state = {
            "kind": "nade" if isinstance(model, NADE) else "fvsbn",
            "dim": model.dim,
            "order": model.order.tolist(),
            "context_dim": model.context_dim,
            "tensors": {k: v.detach().clone() for k, v in model.state_dict().items()},
        }
        if isinstance(model, NADE):
            state.update(hidden=model.hidden, block_size=model.block_size)
        return state
    raise ValueError(f"model must be a ChainRuleBernoulli, FVSBN or NADE, "
                     f"got {type(model).__name__}")


def load_density_model(state: dict[str, Any]) -> DensityModel:
    """Rebuild the model :func:`density_model_state` described.

    :param dict state: as returned by :func:`density_model_state` (possibly after a
        save/load round trip).
    :raises ValueError: if ``state`` is not such a dict or its tensors do not fit the model.
    """
    if not isinstance(state, dict) or state.get("kind") not in DENSITY_MODELS + (_CUSTOM_TABLE,):
        kind = state.get("kind") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"state must be a dict from density_model_state(), got kind {kind!r}")
    try:
        if state["kind"] in TABLE_MODELS + (_CUSTOM_TABLE,):
            return ChainRuleBernoulli(state["parents"], state["probs"], state["order"])
        model = build_density_model(
            state["kind"], state["dim"], hidden=state.get("hidden", 500), order=state["order"],
            context_dim=state["context_dim"],
        )
        if isinstance(model, NADE):
            model.block_size = state["block_size"]
        model.load_state_dict(state["tensors"])
    except (KeyError, RuntimeError) as e:
        raise ValueError(f"state does not describe a {state['kind']!r} model: {e}") from e
    return model


def _table_kind(model: ChainRuleBernoulli) -> str:
    """Name of a table model's structure, or ``"chain_rule"`` for custom parent sets."""
    order, n = model.order.tolist(), len(model.parents)
    if model.parents == independent_parents(n):
        return "independent"
    if model.parents == markov_parents(order):
        return "markov"
    if model.parents == full_parents(order):
        return "full"
    return _CUSTOM_TABLE
