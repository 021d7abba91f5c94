"""Running a recipe from Python: exactly what ``ppl-models train --recipe`` does, for the
examples and benchmarks.

A script that reports a figure does not train a model itself: it calls
:func:`train_recipe`, which runs the ``train`` command line (the same parsing, checks,
training, selection and files), and then reads what the run wrote (:class:`TrainedRun`).
So ``python benchmarks/dcgan_mnist.py`` and ``ppl-models train --recipe dcgan_mnist`` write
the same ``model.pt``, and the script adds only its own baselines and its result line::

    run = train_recipe("dcgan_digits", "runs/dcgan", epochs=5, threads=1)
    run.model.sample(64)           # the kept model
    run.metrics["fid"]             # what train scored on the test split
    run.splits.test                # the data the run used
"""

from __future__ import annotations

__all__ = ["TrainedRun", "load_run", "option_words", "train_recipe"]

import contextlib
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from inference.persistence import load_model
from ppl_models.data import DataSplits


def option_words(settings: Mapping[str, Any]) -> list[str]:
    """``settings`` (``{train option name: value}``, a recipe's keys) as command-line words:
    ``{"batch_size": 32, "hidden": [8, 8], "ema": True}`` gives ``--batch-size 32 --hidden 8
    8 --ema``. ``None`` leaves an option out.

    :raises ValueError: for ``False``: a switch cannot be switched off from the command line,
        so a recipe that sets it must be edited instead.
    """
    words: list[str] = []
    for key, value in settings.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is True:
            words += [] if value is None else [flag]
        elif value is False:
            raise ValueError(f"{key}=False: a switch ({flag}) is off unless given; leave it "
                             "out, or use a recipe that does not set it")
        elif isinstance(value, list | tuple):
            words += [flag, *(str(v) for v in value)]
        else:
            words += [flag, str(value)]
    return words


@dataclass(frozen=True)
class TrainedRun:
    """What a ``train`` run wrote in its directory ``out``.

    :ivar out: the run directory.
    :ivar model: the kept model, loaded from ``model.pt`` (in eval mode).
    :ivar config: ``config.json``: every setting the run used.
    :ivar metrics: ``metrics.json``: the test-split figures, fit time, recipe and overrides.
    :ivar history: ``history.json``: the per-epoch record.
    """

    out: Path
    model: Any
    config: dict[str, Any]
    metrics: dict[str, Any]
    history: dict[str, Any]

    @cached_property
    def splits(self) -> DataSplits:
        """The data the run was trained and scored on, loaded as ``train`` loaded it
        (:func:`~inference.cli.data_options.run_splits`: a held-out class removed from
        training and validation, then the training and validation sizes)."""
        from inference.cli.data_options import load_binary_splits, run_splits

        c = self.config
        whole = load_binary_splits(c["dataset"], c["data_path"], c["binarize"], c["seed"])
        return run_splits(whole, c.get("holdout_class"), c.get("train_size"),
                          c.get("valid_size"))


def load_run(out: str | Path) -> TrainedRun:
    """Read a finished run directory ``out`` (``model.pt``, ``config.json``, ``metrics.json``,
    ``history.json``).

    :raises FileNotFoundError: if ``out`` lacks one of them.
    """
    out = Path(out)
    model, _ = load_model(out / "model.pt")
    model.eval()
    read = {name: json.loads((out / f"{name}.json").read_text())
            for name in ("config", "metrics", "history")}
    return TrainedRun(out, model, read["config"], read["metrics"], read["history"])


def train_recipe(recipe: str | Path, out: str | Path, **overrides: Any) -> TrainedRun:
    """Run ``ppl-models train --recipe recipe --out out`` with ``overrides`` as its command-
    line options (each recorded as an override in ``metrics.json``), and read what it wrote.

    The command's own result line goes to stderr, so a script's stdout stays its own.

    :param recipe: a shipped recipe's name or a ``.toml`` file's path.
    :param out: the run directory.
    :param overrides: ``train`` options by name (``epochs=2``, ``threads=1``, ``data_path=``),
        as in :func:`option_words`.
    :raises RuntimeError: if the command fails; its one-line error is printed above.
    """
    from inference.cli.main import main

    words = ["train", "--recipe", str(recipe), "--out", str(out), *option_words(overrides)]
    with contextlib.redirect_stdout(sys.stderr):
        status = main(words)
    if status != 0:
        raise RuntimeError(f"ppl-models {' '.join(words)} failed with status {status} (its "
                           "error is printed above)")
    return load_run(out)
