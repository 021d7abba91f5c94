import itertools

import pytest
import torch


def enumerate_states(n: int) -> torch.Tensor:
    """All 2^n binary vectors, ``(2^n, n)`` float."""
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n)))


@pytest.fixture
def all_states():
    return enumerate_states


@pytest.fixture
def one_thread():
    """Torch on one thread for the test. Small networks run as fast on one thread idle and far
    faster beside other jobs (an IWAE expectation test took 33 s on two threads under load, 4 s
    on one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
