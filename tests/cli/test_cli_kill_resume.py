"""A run killed in the middle of writing a checkpoint resumes to the very same model."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import torch

from inference.training import load_checkpoint

ARGS = ["train", "--model", "fvsbn", "--dataset", "digits", "--epochs", "3", "--lr", "0.01",
        "--threads", "1"]


def _killer() -> str:
    # The same SIGKILL-at-the-k-th-rename script the kill/resume benchmark runs.
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "kill_resume.py"
    spec = importlib.util.spec_from_file_location("kill_resume", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.KILLER


def _train(*argv, kill_at=None):
    code = ["-c", _killer(), str(kill_at)] if kill_at else ["-m", "inference.cli.main"]
    return subprocess.run([sys.executable, *code, *map(str, argv)], capture_output=True,
                          text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_kill_during_a_checkpoint_write_then_resume_is_bit_identical(tmp_path):
    straight = _train(*ARGS, "--out", tmp_path / "straight")
    assert straight.returncode == 0, straight.stderr
    run = tmp_path / "killed"
    # Writes per epoch: best.pt (when improved) then last.pt; the 4th replace is epoch 2's
    # last.pt when both epochs improve, else a later write: either way mid-run.
    killed = _train(*ARGS, "--out", run, kill_at=4)
    assert killed.returncode == -9
    checkpoints = run / "checkpoints"
    assert list(checkpoints.glob(".*.tmp")), "the kill should leave the temporary behind"
    assert load_checkpoint(checkpoints / "last.pt")["epoch"] in (1, 2)
    resumed = _train(*ARGS, "--out", run, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert not list(checkpoints.glob(".*.tmp"))
    a = load_checkpoint(tmp_path / "straight" / "model.pt")["state"]
    b = load_checkpoint(run / "model.pt")["state"]
    assert all(torch.equal(a[k], b[k]) for k in a)
