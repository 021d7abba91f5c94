"""The options every example and benchmark script shares, in one place.

A script is a thin caller of a recipe (:func:`inference.cli.recipe_run.train_recipe`):
its parser comes from :func:`script_parser`, the run's command-line overrides from
:func:`recipe_overrides`, and its result line (and, with ``--record``, its record for the
Results page) from :func:`finish`::

    def parse_args(argv=None):
        return script_parser(__doc__, recipe="dcgan_digits", out="runs/dcgan").parse_args(argv)

    def main(args):
        run = train_recipe(args.recipe, args.out, **recipe_overrides(args, SMOKE))
        ...
        return finish(args, result)
"""

from __future__ import annotations

__all__ = ["SHARED_DATA", "ScriptParser", "finish", "recipe_overrides", "script_parser",
           "shared_data"]

import argparse
import json
import os
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inference.cli.data_options import DATA_ENVIRONMENT, FILE_DATASETS, IN_DATA_FOLDER
from inference.cli.device_options import add_device_arguments
from inference.cli.records import write_record
from inference.cli.threads import apply_threads
from inference.heap import keep_freed_memory
from inference.recipes import Recipe

#: The shared data folder beside a checkout (``<checkout>/../shared/data``), used when
#: ``$PPL_MODELS_DATA`` is not set.
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def shared_data() -> Path:
    """The folder of the file data sets: ``$PPL_MODELS_DATA``, else :data:`SHARED_DATA`."""
    return Path(os.environ.get(DATA_ENVIRONMENT) or SHARED_DATA)


class ScriptParser(argparse.ArgumentParser):
    """An argument parser that applies ``--threads`` when it parses, and keeps freed memory
    in the process (:func:`~inference.heap.keep_freed_memory`), as the command line does: a
    script's measurements start on the thread count its command line names and on the
    allocator ``ppl-models`` itself runs with."""

    def parse_args(self, args=None, namespace=None):  # noqa: D102 (argparse's)
        parsed = super().parse_args(args, namespace)
        apply_threads(getattr(parsed, "threads", None))
        keep_freed_memory()
        return parsed


def script_parser(doc: str | None, *, recipe: str | None = None, out: str | None = None,
                  data: bool = False, record: bool = False, smoke: bool = True,
                  threads: int | None = 1) -> ScriptParser:
    """A parser with the shared options; a script adds its own.

    :param doc: the script's docstring; its first line is the description.
    :param recipe: the default ``--recipe`` (None: the script trains nothing).
    :param out: the default ``--out`` folder (None: no ``--out``).
    :param bool data: add ``--data``, the folder of the file data sets.
    :param bool record: add ``--record``, appending the result to the Results records.
    :param bool smoke: add ``--smoke`` (a script that has a seconds-long budget).
    :param threads: ``--threads``' default (applied when the parser parses); one thread
        unless a script measures more, None for torch's own choice.
    """
    p = ScriptParser(description=doc.strip().splitlines()[0] if doc else None)
    if recipe is not None:
        p.add_argument("--recipe", default=recipe,
                       help=f"the recipe trained: a shipped recipe's name or a .toml path "
                            f"(default {recipe}); see inference/recipes/")
        p.add_argument("--epochs", type=int, default=None,
                       help="override the recipe's epochs")
        p.add_argument("--set", action="append", default=[], type=_setting,
                       metavar="KEY=VALUE", dest="settings",
                       help="override any of the recipe's settings (a train option by its "
                            "recipe key, the value as TOML: --set hidden=64 --set "
                            "dataset='\"mnist5k\"' or dataset=mnist5k); repeatable")
    if recipe is not None or out is not None:  # a script that trains: where, how precisely
        add_device_arguments(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=threads, help="torch CPU threads")
    if out is not None:
        p.add_argument("--out", default=out, help="folder for the run and its figures")
    if smoke:
        p.add_argument("--smoke", action="store_true",
                       help="a tiny, seconds-long run (tests, the docs' gallery)")
    if data:
        p.add_argument("--data", type=Path, default=None,
                       help=f"folder holding mnist/ and binarized_mnist.npz (default "
                            f"${DATA_ENVIRONMENT}, else ../shared/data beside the checkout)")
    if record:
        p.add_argument("--record", nargs="?", const="", default=None, metavar="FILE",
                       help="append this run's record to FILE (default: "
                            "benchmarks/results/<benchmark>.jsonl) for the Results page")
    return p


def recipe_overrides(args: argparse.Namespace,
                     smoke: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``train`` options a script's command line overrides: the seed, threads, device
    and precision, epochs when given, ``smoke`` with ``--smoke``, each ``--set``, and the
    data path when the data set is read from files (``--data``, else :func:`shared_data`).
    """
    overrides: dict[str, Any] = {"seed": args.seed, "threads": args.threads,
                                 "device": getattr(args, "device", "cpu"),
                                 "precision": getattr(args, "precision", "fp32")}
    if getattr(args, "epochs", None) is not None:
        overrides["epochs"] = args.epochs
    if getattr(args, "smoke", False) and smoke:
        overrides.update(smoke)
    overrides.update(getattr(args, "settings", []))
    dataset = overrides.get("dataset", Recipe.load(args.recipe).flat().get("dataset"))
    if dataset in FILE_DATASETS and "data_path" not in overrides:
        folder = getattr(args, "data", None) or shared_data()
        overrides["data_path"] = str(Path(folder) / IN_DATA_FOLDER[dataset])
    return overrides


def _setting(text: str) -> tuple[str, Any]:
    """``KEY=VALUE`` as ``(key, value)``, the value read as TOML (a bare word as a string)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    return key.strip().replace("-", "_"), parsed


def finish(args: argparse.Namespace, result: dict[str, Any], *,
           figures: Mapping[str, list] | None = None, started: float | None = None,
           results_dir: Path | None = None) -> dict[str, Any]:
    """Print ``result`` as the script's one JSON line; with ``--record``, also append its
    record (:func:`inference.cli.records.write_record`) built from ``figures`` (a table:
    ``{"columns": [...], "rows": [[...], ...]}``).

    :return: ``result``.
    """
    print(json.dumps(result))
    target = getattr(args, "record", None)
    if target is not None:
        if figures is None or "benchmark" not in result:
            raise ValueError("--record: this script has no table of figures to record")
        benchmark = result["benchmark"]
        path = Path(target) if target else (results_dir or Path("benchmarks/results")) / \
            f"{benchmark}.jsonl"
        write_record(path, benchmark=benchmark, recipe=getattr(args, "recipe", None),
                     seed=args.seed, threads=args.threads, figures=dict(figures),
                     wall_time_s=None if started is None else time.perf_counter() - started)
    return result
