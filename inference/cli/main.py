"""Entry point of the ``ppl-models`` command.

    ppl-models train --model nade --dataset digits --out runs/nade
    ppl-models train --model vae --dataset digits --latent-dim 8 --out runs/vae
    ppl-models evaluate --checkpoint runs/nade/model.pt
    ppl-models evaluate --checkpoint runs/vae/model.pt --iw-samples 1000
    ppl-models sample --checkpoint runs/nade/model.pt --out samples.png
    ppl-models report --out report

Bad input (an unknown option, a missing or unreadable file, a model too large to build)
prints one line to stderr and exits with status 2; there is no traceback to read.
"""

from __future__ import annotations

__all__ = ["main"]

import argparse
import re
import sys
from collections.abc import Sequence

from inference.cli import evaluate, report, sample, train
from inference.heap import keep_freed_memory

USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    """The command's parser, one subparser per subcommand module."""
    parser = argparse.ArgumentParser(
        prog="ppl-models",
        description="Generative models as explicit probabilistic programs: train, evaluate, "
                    "sample, report.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (train, evaluate, sample, report):
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (``sys.argv[1:]`` when None).

    :return: the exit status: 0 on success, 2 on bad input.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse has printed usage and the error (or --help)
        return e.code if isinstance(e.code, int) else USAGE_ERROR
    # The words as given: a subcommand that reads a recipe tells what was given from them.
    args.argv = list(sys.argv[1:] if argv is None else (str(a) for a in argv))
    try:
        # Every subcommand trains or scores: freed tensors are reused, not faulted back in.
        keep_freed_memory()
        return args.run(args)
    except (ValueError, OSError) as e:
        # Library errors name the argument at fault; a traceback would bury that line.
        print(f"ppl-models {args.command}: error: {_one_line(e)}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print(f"ppl-models {args.command}: interrupted", file=sys.stderr)
        return 130


# Pyro re-raises an error from inside a traced model with the trace's shapes appended on
# the lines after this heading (right-aligned, so it may be indented); they describe Pyro's
# sites, not the argument at fault.
_PYRO_SHAPES = re.compile(r"\n\s*Trace Shapes:")


def _one_line(error: BaseException) -> str:
    text = " ".join(_PYRO_SHAPES.split(str(error))[0].split())
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        text = f"{error.filename}: {error.strerror}"
    return text or type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
