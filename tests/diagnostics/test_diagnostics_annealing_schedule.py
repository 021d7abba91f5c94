"""Annealing schedules: 0 to 1 exactly, increasing; the sigmoid is denser at both ends."""

import pytest
import torch

from inference.diagnostics import SCHEDULES, annealing_schedule


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("num_steps", [1, 2, 7, 1000])
def test_from_exactly_zero_to_exactly_one_increasing(schedule, num_steps):
    betas = annealing_schedule(schedule, num_steps)
    assert betas.shape == (num_steps + 1,) and betas.dtype == torch.float64
    assert betas[0].item() == 0.0 and betas[-1].item() == 1.0
    assert torch.all(betas.diff() > 0)


def test_linear_is_evenly_spaced_and_sigmoid_denser_at_the_ends():
    torch.testing.assert_close(annealing_schedule("linear", 4),
                               torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0], dtype=torch.float64))
    steps = annealing_schedule("sigmoid", 100).diff()
    assert steps[0] < steps[50] / 5 and steps[-1] < steps[50] / 5
    torch.testing.assert_close(steps, steps.flip(0))  # symmetric about t = T / 2


def test_unknown_schedule_and_zero_steps_are_refused():
    with pytest.raises(ValueError, match="schedule must be one of"):
        annealing_schedule("geometric", 10)
    with pytest.raises(ValueError, match="num_steps must be an int >= 1"):
        annealing_schedule("linear", 0)
