"""Count the bad-input catalogue: ``python -m tests.bad_input_catalogue [-v]``.

Runs every case of ``tests/bad_input/test_bad_input_*.py`` and prints, per surface and in
all, how many were tried and how many failed clearly, unclearly or silently (see
``tests/bad_input/catalogue.py``); ``-v`` lists every case that is not clear.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent / "bad_input"


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    from catalogue import CLEAR, SILENT, UNCLEAR, outcome

    totals = {CLEAR: 0, UNCLEAR: 0, SILENT: 0}
    failures = []
    print(f"{'surface':<14} {'tried':>5} {'clear':>5} {'unclear':>7} {'silent':>6}")
    for path in sorted(HERE.glob("test_bad_input_*.py")):
        surface = path.stem.removeprefix("test_bad_input_")
        module = importlib.import_module(path.stem)
        counts = {CLEAR: 0, UNCLEAR: 0, SILENT: 0}
        for case in module.CASES:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                verdict, what = outcome(case)
            counts[verdict] += 1
            if verdict != CLEAR:
                failures.append(f"{surface}: {case.name}: {verdict}: {what}")
        for k in totals:
            totals[k] += counts[k]
        print(f"{surface:<14} {sum(counts.values()):>5} {counts[CLEAR]:>5} "
              f"{counts[UNCLEAR]:>7} {counts[SILENT]:>6}")
    print(f"{'all':<14} {sum(totals.values()):>5} {totals[CLEAR]:>5} {totals[UNCLEAR]:>7} "
          f"{totals[SILENT]:>6}")
    if "-v" in argv:
        print("\n".join(failures))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
