"""``ppl-models train`` unchanged under torchrun: 2 processes write the 1-process model."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from inference.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
ARGS = ["train", "--model", "nade", "--dataset", "digits", "--hidden", "20", "--epochs", "2",
        "--batch-size", "75", "--seed", "1"]


def _torchrun(args: list[str], out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    # --standalone picks a free port on the loopback address itself.
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node=2", "-m", "inference.cli.main", *args,
                           "--out", str(out)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


@pytest.mark.slow  # ~20 s: torchrun plus two processes importing torch and Pyro
@pytest.mark.distributed
def test_two_process_train_writes_the_one_process_model(tmp_path):
    done = _torchrun(ARGS, tmp_path / "two")
    assert done.returncode == 0, done.stderr[-2000:]
    assert main([*ARGS, "--threads", "1", "--out", str(tmp_path / "one")]) == 0
    two = torch.load(tmp_path / "two" / "model.pt", weights_only=True)
    one = torch.load(tmp_path / "one" / "model.pt", weights_only=True)
    # Float32 sums in another order (see tests/inference/test_training_distributed.py).
    for k in one["state"]:
        torch.testing.assert_close(two["state"][k], one["state"][k], atol=1e-5, rtol=1e-5)
    assert (tmp_path / "two" / "metrics.json").is_file()


@pytest.mark.slow  # ~35 s
@pytest.mark.distributed
def test_two_process_dcgan_trains_and_rank_zero_scores_it(tmp_path):
    # BatchNorm in both players; the sample metrics (FID) are computed by rank 0 alone.
    done = _torchrun(["train", "--model", "dcgan", "--dataset", "digits", "--epochs", "2",
                      "--batch-size", "64", "--dcgan-channels", "8", "--latent-dim", "16",
                      "--seed", "1"], tmp_path / "two")
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "two" / "model.pt").is_file()
    assert "fid" in (tmp_path / "two" / "metrics.json").read_text()
