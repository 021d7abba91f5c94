r"""Inverse temperatures :math:`0 = \beta_0 < \beta_1 < \dots < \beta_T = 1` for annealing.

Annealed importance sampling [1] moves from the prior :math:`p(z)` to the posterior along the
geometric path :math:`\pi_t(z) \propto p(z)\, p(x \mid z)^{\beta_t}`. Two schedules:

``"linear"``
    :math:`\beta_t = t / T`.
``"sigmoid"``
    the schedule of Grosse et al. [2] and Wu et al. [3], denser at both ends where the
    path's distributions change fastest:

    .. math::

        \tilde\beta_t = \sigma\bigl(\delta\,(2t/T - 1)\bigr), \qquad
        \beta_t = \frac{\tilde\beta_t - \tilde\beta_0}{\tilde\beta_T - \tilde\beta_0},
        \qquad \delta = 4.

References

1. Neal (2001). Annealed importance sampling. Statistics and Computing 11(2), 125-139.
2. Grosse, Ghahramani, Adams (2015). Sandwiching the marginal likelihood using bidirectional
   Monte Carlo. arXiv:1511.02543.
3. Wu, Burda, Salakhutdinov, Grosse (2017). On the quantitative analysis of decoder-based
   generative models. ICLR.
"""

from __future__ import annotations

import torch
from torch import Tensor

from inference.diagnostics.paired_trace import check_count

__all__ = ["SCHEDULES", "annealing_schedule"]

SCHEDULES = ("sigmoid", "linear")
# Grosse et al. (2015) and Wu et al. (2017) both use delta = 4.
_SIGMOID_DELTA = 4.0


def annealing_schedule(schedule: str, num_steps: int,
                       dtype: torch.dtype = torch.float64) -> Tensor:
    r"""The inverse temperatures of a schedule.

    :param str schedule: one of :data:`SCHEDULES`.
    :param int num_steps: :math:`T \ge 1`, the number of increments.
    :param dtype: the result's floating dtype.
    :return: ``(T + 1,)``, increasing from exactly 0 to exactly 1.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES}, got {schedule!r}")
    check_count(num_steps, "num_steps")
    t = torch.linspace(0.0, 1.0, num_steps + 1, dtype=torch.float64)
    if schedule == "sigmoid":
        s = torch.sigmoid(_SIGMOID_DELTA * (2 * t - 1))
        t = (s - s[0]) / (s[-1] - s[0])
    # Exact end points whatever the round-off: the path must start at the prior and end at
    # the posterior.
    t[0], t[-1] = 0.0, 1.0
    return t.to(dtype)
