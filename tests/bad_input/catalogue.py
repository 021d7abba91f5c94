"""The bad-input catalogue: each case is a bad input, the error it must raise and the words
its message must contain.

A case is **clear** when it raises the expected error type with every word in the message
(for the command line: exit status 2, no traceback, the words in the last line of stderr),
**unclear** when it fails some other way (a torch ``RuntimeError``, a ``KeyError``, a message
without the words), and **silent** when it does not fail at all. The test files beside this
one assert every case is clear; ``python -m tests.bad_input_catalogue`` counts them.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass

CLEAR, UNCLEAR, SILENT = "clear", "unclear", "silent"


@dataclass(frozen=True)
class Case:
    """One bad input: ``run()`` must raise ``error`` whose message holds every ``words``."""

    name: str
    run: Callable[[], object]
    words: tuple[str, ...]
    error: type[BaseException] | tuple[type[BaseException], ...] = ValueError


def cli_case(name: str, argv: Callable[[], list], *words: str) -> Case:
    """A command line that must exit 2 with ``words`` in its one-line error."""

    def run():
        from inference.cli.main import main

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main([str(a) for a in argv()])
        text = err.getvalue()
        if code == 0:
            return "exit 0"
        last = text.strip().splitlines()[-1] if text.strip() else ""
        if code != 2 or "Traceback" in text:
            raise RuntimeError(f"exit {code}: {last}")
        raise ValueError(last)

    return Case(name, run, words)


def outcome(case: Case) -> tuple[str, str]:
    """``(clear | unclear | silent, what happened)``."""
    try:
        result = case.run()
    except case.error as e:
        message = str(e)
        missing = [w for w in case.words if w not in message]
        if missing:
            return UNCLEAR, f"message lacks {missing}: {message[:200]}"
        return CLEAR, message[:200]
    except Exception as e:  # noqa: BLE001 - any other failure is what is being counted
        return UNCLEAR, f"{type(e).__name__}: {str(e)[:200]}"
    return SILENT, f"returned {result!r}"[:200]


def assert_clear(case: Case) -> None:
    verdict, what = outcome(case)
    assert verdict == CLEAR, f"{case.name}: {verdict}: {what}"
