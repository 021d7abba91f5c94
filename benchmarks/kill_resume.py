"""Kill ``ppl-models train`` at every checkpoint write and at random moments; resume; compare.

Each kill is a SIGKILL (no cleanup): either inside ``save_checkpoint`` just before the
temporary file is renamed over ``last.pt``/``best.pt`` (``--write-kills``: the 1st, 2nd, ...
rename of the run), or after a random delay (``--random-kills``). Every killed run is then
resumed with ``--resume`` and its ``model.pt`` compared, tensor for tensor, with an
uninterrupted run of the same command: the baseline measured in the same run. Prints one
JSON line.

    python benchmarks/kill_resume.py --model fvsbn --epochs 4 --write-kills 8 --random-kills 4
"""

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from inference.cli.script_options import finish, script_parser
from inference.training import load_checkpoint

# Dies (SIGKILL, no cleanup) on the kill_at-th os.replace inside save_checkpoint: the new
# file is fully written as a temporary but not yet renamed over the old one.
KILLER = """
import os, signal, sys
import inference.training.checkpoint as checkpoint
calls, kill_at = [0], int(sys.argv[1])
real_replace = os.replace
def replace(src, dst):
    calls[0] += 1
    if calls[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    real_replace(src, dst)
checkpoint.os.replace = replace
from inference.cli.main import main
sys.exit(main(sys.argv[2:]))
"""
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def parse_args(argv=None):
    p = script_parser(__doc__, record=True, smoke=False)
    p.add_argument("--model", default="fvsbn")
    p.add_argument("--epochs", type=int, default=4, help="the budget: epochs of each run")
    p.add_argument("--write-kills", type=int, default=8)
    p.add_argument("--random-kills", type=int, default=4)
    return p.parse_args(argv)


def _command(args, out):
    return ["train", "--model", args.model, "--dataset", "digits", "--epochs", args.epochs,
            "--lr", 0.01, "--threads", 1, "--seed", args.seed, "--out", out]


def _run(argv, kill_at=None, kill_after=None):
    code = ["-c", KILLER, str(kill_at)] if kill_at else ["-m", "inference.cli.main"]
    proc = subprocess.Popen([sys.executable, *code, *map(str, argv)], env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is not None:
        time.sleep(kill_after)
        proc.kill()
    return proc.wait()


def _state(path):
    return load_checkpoint(path)["state"] if path.is_file() else None


def main(args):
    rng = random.Random(args.seed)
    root = Path(tempfile.mkdtemp(prefix="kill-resume-"))
    started = time.perf_counter()
    assert _run(_command(args, root / "straight")) == 0
    straight_seconds = time.perf_counter() - started
    baseline = _state(root / "straight" / "model.pt")
    trials = [("write", k, None) for k in range(1, args.write_kills + 1)]
    trials += [("random", None, rng.uniform(3.0, max(straight_seconds, 4.0)))
               for _ in range(args.random_kills)]
    rows = []
    for i, (how, kill_at, after) in enumerate(trials):
        out = root / f"run{i}"
        code = _run(_command(args, out), kill_at=kill_at, kill_after=after)
        last = out / "checkpoints" / "last.pt"
        epoch_kept = load_checkpoint(last)["epoch"] if last.is_file() else 0
        leftover = len(list((out / "checkpoints").glob(".*.tmp"))) if out.exists() else 0
        resumed = _run([*_command(args, out), "--resume"])
        state = _state(out / "model.pt")
        identical = state is not None and all(torch.equal(baseline[k], state[k])
                                              for k in baseline)
        rows.append({"kill": how, "at_write": kill_at, "after_s": after and round(after, 2),
                     "killed": code != 0, "epoch_kept": epoch_kept, "temporaries_left": leftover,
                     "resume_exit": resumed, "bit_identical": identical})
    result = {"benchmark": "kill_resume", "model": args.model, "epochs": args.epochs,
              "seed": args.seed, "uninterrupted_seconds": round(straight_seconds, 1),
              "trials": len(rows), "killed": sum(r["killed"] for r in rows),
              "bit_identical": sum(r["bit_identical"] for r in rows), "rows": rows}
    return finish(args, result, figures={
        "columns": ["trials", "killed", "bit-identical after --resume"],
        "rows": [[result["trials"], result["killed"], result["bit_identical"]]]})


if __name__ == "__main__":
    main(parse_args())
