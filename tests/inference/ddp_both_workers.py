"""The children's entry point for the one spawn in ``conftest.py``.

It lives in a module of its own because ``mp.spawn`` pickles the function by its module's
name, and under pytest every folder's ``conftest.py`` is a module named ``conftest``: in the
full suite another folder's wins the lookup and the pickle fails.
"""

from __future__ import annotations

import ddp_adversarial_workers
import ddp_workers


def worker(rank: int, world: int, ports: tuple[int, int], outs: tuple[str, str]) -> None:
    ddp_workers.worker(rank, world, ports[0], outs[0])
    ddp_adversarial_workers.worker(rank, world, ports[1], outs[1])
