"""Files the bad-input cases point at, made once per process in a temporary directory."""

from __future__ import annotations

import contextlib
import functools
import io
import math
import pickle
import tempfile
from pathlib import Path

import numpy as np
import torch


@functools.cache
def workspace() -> Path:
    """A directory with trained model files and broken ones (see the names below)."""
    from inference.cli.main import main
    from inference.persistence import load_model, save_model
    from inference.training import save_checkpoint

    root = Path(tempfile.mkdtemp(prefix="bad-input-"))
    quiet = contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO())
    with quiet[0], quiet[1]:
        for kind, extra in (("markov", []), ("nade", ["--hidden", "4", "--epochs", "1"])):
            assert main(["train", "--model", kind, "--dataset", "digits", "--threads", "1",
                         "--out", str(root / kind), *extra]) == 0
    markov, metadata = load_model(root / "markov" / "model.pt")
    for name, change in (("nan", lambda t: t.fill_(math.nan)),
                         ("inf", lambda t: t.__setitem__(0, math.inf)),
                         ("zero_one", lambda t: t.copy_((t > 0.5).float())),
                         ("one_and_a_half", lambda t: t.__setitem__(3, 1.5))):
        broken = load_model(root / "markov" / "model.pt")[0]
        with torch.no_grad():
            change(broken.table)
        save_model(root / f"markov_{name}.pt", broken, metadata=metadata)
    save_model(root / "no_image_shape.pt", markov, metadata={"model": "markov",
                                                             "dataset": "digits"})
    (root / "junk.pt").write_text("hello")
    (root / "empty.npz").write_bytes(b"")
    np.savez(root / "no_arrays.npz")
    with open(root / "pickled.pt", "wb") as f:
        pickle.dump({"format": "ppl-models model", "payload": Path("x")}, f)
    save_checkpoint(root / "foreign.pt", {"epoch": 1})
    (root / "idx_bad_magic").write_bytes(b"\x00\x00\x08\x05" + b"\x00" * 12)
    return root
