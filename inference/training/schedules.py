r"""Learning-rate schedules as plain functions of the update count.

:func:`linear_decay` is CycleGAN's (Zhu et al. 2017, Sec. 4, "Training details"): the rate is
kept for the first ``decay_start`` updates (their 100 epochs) and then falls linearly to zero
over the rest (their next 100),

.. math:: \eta_t = \eta_0 \cdot \min\Big(1, \frac{T - t}{T - t_0}\Big),\quad t_0 \le t \le T.

References

1. Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
   Adversarial Networks", ICCV 2017.
"""

from __future__ import annotations

__all__ = ["linear_decay"]

from collections.abc import Callable


def linear_decay(total: int, decay_start: int) -> Callable[[int], float]:
    """``f(t)``: 1 up to ``decay_start``, then linearly to 0 at ``total`` (and 0 after).

    :param int total: updates in the whole run, ``T``.
    :param int decay_start: updates at the full rate, ``t_0`` (``0 <= t_0 < T``).
    """
    for value, name in ((total, "total"), (decay_start, "decay_start")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    if not decay_start < total:
        raise ValueError(f"decay_start must be < total, got {decay_start} and {total}")

    def factor(t: int) -> float:
        return max(0.0, min(1.0, (total - t) / (total - decay_start)))

    return factor
