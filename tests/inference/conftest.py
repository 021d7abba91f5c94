"""One spawn of two gloo processes for every two-process test in this folder.

Starting two Python processes that import torch and Pyro costs several seconds on the shared
2-core machine, so the scenarios of :mod:`ddp_workers` (MLE, SVI, the Trainer) and of
:mod:`ddp_adversarial_workers` run one after the other in the same two children; each test
module's ``run`` fixture reads its part.
"""

from __future__ import annotations

import socket
import time

import ddp_both_workers
import ddp_workers
import pytest
import torch.multiprocessing as mp

WORLD = 2
SPAWN_TIMEOUT = 300  # seconds; every scenario takes ~25 s on the shared 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ddp_dirs(tmp_path_factory):
    """``{"mle_svi": dir, "adversarial": dir}``, each holding ``rank{r}.pt`` per rank."""
    dirs = {"mle_svi": tmp_path_factory.mktemp("ddp"),
            "adversarial": tmp_path_factory.mktemp("ddp_adversarial")}
    # A one-process checkpoint for the two-process run to refuse.
    ddp_workers.fit_nade(7, 3, 1, ckpt=dirs["mle_svi"] / "single")
    context = mp.spawn(ddp_both_workers.worker, args=(WORLD, (_free_port(), _free_port()),
                                      (str(dirs["mle_svi"]), str(dirs["adversarial"]))),
                       nprocs=WORLD, join=False)
    deadline = time.monotonic() + SPAWN_TIMEOUT
    # join(timeout) returns False while the children run: a rank that hangs fails the tests
    # instead of the suite.
    while not context.join(timeout=max(deadline - time.monotonic(), 0.1)):
        if time.monotonic() > deadline:
            for p in context.processes:
                p.kill()
            pytest.fail(f"the two ranks did not finish within {SPAWN_TIMEOUT} s")
    return dirs
