r"""A fitted model/guide pair as an ArviZ ``InferenceData``.

The guide's draws :math:`z_s \sim q(z \mid x_i)` for chosen data points become the
``posterior`` group (one chain of ``S`` draws, dimensions ``datum`` and ``<site>_dim``), their
importance log-weights :math:`\log p(x_i, z_s) - \log q(z_s \mid x_i)` the ``sample_stats``
variable ``log_importance_weight`` (aligned draw for draw, ready for :func:`arviz.psislw`), and
an optional training ELBO history the custom group ``elbo_history`` (dimension ``step``).
The guide's draws are independent, not a Markov chain, so ArviZ's ESS and R-hat of the
posterior group describe the Monte Carlo error of the draws, not convergence [1].

References

1. Kumar, Carroll, Hartikainen, Martin (2019). ArviZ a unified library for exploratory
   analysis of Bayesian models in Python. JOSS 4(33).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import arviz as az
import numpy as np
import xarray as xr
from torch import Tensor

from inference.diagnostics.paired_trace import (
    check_count,
    check_data,
    find_site_roles,
    trace_pair,
)
from inference.diagnostics.seeded import check_seed, seeded

__all__ = ["to_inference_data"]


def to_inference_data(model: Callable, guide: Callable, x: Tensor, *, num_draws: int = 500,
                      indices: Sequence[int] | None = None,
                      latent_sites: Sequence[str] | None = None,
                      observed_site: str | None = None,
                      elbo_history: Sequence[float] | None = None,
                      seed: int | None = None) -> az.InferenceData:
    """Build ``InferenceData`` from guide draws for the data points ``x[indices]``.

    The draws are taken in one pass under ``pyro.plate("particles", num_draws)``, so the
    sites must broadcast over a leading particle dimension. Each latent site's dimensions
    right of the data plate are flattened into ``<site>_dim``.

    :param callable model: ``model(x)`` with one observed site in a plate over the data.
    :param callable guide: ``guide(x)``.
    :param Tensor x: the data, ``(N, ...)``.
    :param int num_draws: draws ``S`` per data point.
    :param indices: rows of ``x`` to export (default all); they label the ``datum`` axis.
    :param latent_sites: sites to export (default every latent site).
    :param observed_site: the observed site's name, needed only if there are several.
    :param elbo_history: ELBO per epoch (or step), stored as group ``elbo_history``.
    :param seed: seeds the draws (the caller's RNG is left as it was).
    :return: groups ``posterior`` (``(1, S, n, R)`` per site), ``sample_stats``
        (``log_importance_weight``, ``(1, S, n)``) and, if given, ``elbo_history``.
    """
    check_data(x)
    check_count(num_draws, "num_draws")
    check_seed(seed)
    rows = _rows(indices, len(x))
    history = _history(elbo_history)
    data = x[rows]
    roles = find_site_roles(model, guide, data, observed_site=observed_site,
                            latent_sites=latent_sites)
    with seeded(seed):
        pair = trace_pair(model, guide, data, roles, num_particles=num_draws)
    posterior, dims = {}, {"log_importance_weight": ["datum"]}
    for name in roles.latent_sites:
        site = pair.guide_trace.nodes[name]
        draws = pair.per_datum(site["value"], name, event_ndim=len(site["fn"].event_shape),
                               keep_dims=True)
        posterior[name] = draws.cpu().double().numpy()[None]
        dims[name] = ["datum", f"{name}_dim"]
    log_weight = pair.log_weight().cpu().double().numpy()[None]
    idata = az.from_dict(posterior=posterior,
                         sample_stats={"log_importance_weight": log_weight},
                         coords={"datum": rows}, dims=dims,
                         attrs={"observed_site": roles.observed_site,
                                "draws": "independent guide draws q(z|x)"})
    if history is not None:
        steps = np.arange(1, len(history) + 1)
        idata.add_groups({"elbo_history": xr.Dataset({"elbo": ("step", history)},
                                                      coords={"step": steps})})
    return idata


def _rows(indices, n: int) -> list[int]:
    if indices is None:
        return list(range(n))
    if isinstance(indices, Tensor):
        indices = indices.tolist()
    bad = (isinstance(indices, str | bytes) or len(indices) == 0
           or any(isinstance(i, bool) or not isinstance(i, int | np.integer) or not 0 <= i < n
                  for i in indices))
    if bad or len(set(indices)) != len(indices):
        raise ValueError(f"indices must be distinct ints in [0, {n}), got {indices!r}")
    return [int(i) for i in indices]


def _history(elbo_history) -> np.ndarray | None:
    if elbo_history is None:
        return None
    try:
        values = np.asarray([float(v) for v in elbo_history], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError("elbo_history must be a sequence of numbers") from e
    if len(values) == 0 or not all(math.isfinite(v) for v in values):
        raise ValueError("elbo_history must be a non-empty sequence of finite numbers")
    return values
