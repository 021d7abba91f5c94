import itertools

import pytest
import torch


def enumerate_states(n: int) -> torch.Tensor:
    """All 2^n binary vectors, ``(2^n, n)`` float."""
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)))


@pytest.fixture
def all_states():
    return enumerate_states
