r"""One Hamiltonian Monte Carlo transition for many independent chains at once.

For a potential :math:`U(z) = -\log \pi(z)` (up to a constant) and momenta
:math:`r \sim \mathcal{N}(0, I)` with kinetic energy :math:`K(r) = \tfrac12 \lVert r\rVert^2`,
the transition integrates Hamilton's equations with ``leapfrog_steps`` steps of Pyro's
velocity Verlet integrator [2] (reused, not re-derived) from :math:`(z, r)` to
:math:`(z', r')` and accepts :math:`z'` with the Metropolis probability [1]

.. math:: a = \min\bigl(1, \exp(H(z, r) - H(z', r'))\bigr), \qquad H = U + K,

which leaves :math:`\pi` invariant. Each chain accepts or rejects on its own; a proposal
whose energy is not finite is rejected.

The kinetic energy and its gradient are module-level functions, :func:`kinetic_energy` and
:func:`kinetic_grad`, so that a test can replace one (a wrong sign in the kinetic energy must
break the closed-form check of annealed importance sampling).

References

1. Neal (2011). MCMC using Hamiltonian dynamics. Handbook of Markov Chain Monte Carlo,
   ch. 5.
2. Pyro, ``pyro.ops.integrator.velocity_verlet`` and ``potential_grad``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from pyro.ops.integrator import potential_grad, velocity_verlet
from torch import Tensor

__all__ = ["hmc_transition", "kinetic_energy", "kinetic_grad"]


def kinetic_energy(r: Tensor) -> Tensor:
    r""":math:`K(r) = \tfrac12 \lVert r \rVert^2` per chain.

    :param Tensor r: momenta ``(K, N, L)``.
    :return: ``(K, N)``.
    """
    return 0.5 * r.pow(2).sum(-1)


def kinetic_grad(r: dict[str, Tensor]) -> dict[str, Tensor]:
    r""":math:`\nabla_r K = r`, in the dictionary form Pyro's integrator takes."""
    return dict(r)


def hmc_transition(z: Tensor, potential: Callable[[Tensor], Tensor], step_size: Tensor,
                   leapfrog_steps: int) -> tuple[Tensor, Tensor]:
    """One HMC transition of every chain.

    :param Tensor z: current states ``(K, N, L)``: ``K`` chains for each of ``N`` images.
    :param callable potential: ``U``: ``(K, N, L)`` states to ``(K, N)`` energies,
        differentiable in the states.
    :param Tensor step_size: leapfrog step size per image, ``(N,)``.
    :param int leapfrog_steps: leapfrog steps per transition.
    :return: the next states ``(K, N, L)`` (detached) and each chain's acceptance
        probability :math:`a` ``(K, N)``.
    """
    energy = {}

    def total(sites: dict[str, Tensor]) -> Tensor:
        # The chains are independent, so the gradient of the sum is each chain's gradient;
        # the per-chain energies are kept for the Metropolis test.
        energy["u"] = potential(sites["z"])
        return energy["u"].sum()

    z = z.detach()
    with torch.enable_grad():
        grads, _ = potential_grad(total, {"z": z})
        start = energy["u"].detach()
        r = torch.randn_like(z)
        step = step_size.reshape(-1, 1)  # broadcast over chains and latent dimensions
        z_new, r_new, _, _ = velocity_verlet({"z": z}, {"z": r}, total, kinetic_grad, step,
                                             leapfrog_steps, z_grads=grads)
        end = energy["u"].detach()
    log_accept = (start + kinetic_energy(r)) - (end + kinetic_energy(r_new["z"]))
    log_accept = log_accept.nan_to_num(nan=-math.inf, posinf=0.0).clamp(max=0.0)
    accept_prob = log_accept.exp()
    accept = torch.rand_like(accept_prob) < accept_prob
    return torch.where(accept.unsqueeze(-1), z_new["z"].detach(), z), accept_prob
