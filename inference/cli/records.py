"""A benchmark's record: one JSON line per run, read by the documentation's Results page
(``docs/results_page.py``).

A record says what was run and where: the benchmark, its recipe, seed, the code's commit,
the date, the CPU model, torch's threads, the wall time, and its figures as a table
(``{"columns": [...], "rows": [[...], ...]}``). A line is appended, never rewritten, so a
rerun on new code stands beside the old one.
"""

from __future__ import annotations

__all__ = ["cpu_model", "git_commit", "write_record"]

import datetime
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from ppl_models.cpu_info import cpuinfo_field

_CHECKOUT = Path(__file__).resolve().parents[2]


def cpu_model() -> str | None:
    """The CPU's model name (Linux ``/proc/cpuinfo``; elsewhere the platform's word)."""
    return cpuinfo_field("model name") or platform.processor() or None


def git_commit(folder: Path = _CHECKOUT) -> str | None:
    """The checkout's short commit, with ``+`` when it has uncommitted changes to tracked
    files (the figures then come from code no commit holds); None outside a git checkout."""
    def git(*words: str) -> str:
        return subprocess.run(["git", "-C", str(folder), *words], capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+" if dirty else "")


def write_record(path: str | Path, *, benchmark: str, recipe: str | None, seed: int | None,
                 threads: int | None, wall_time_s: float | None,
                 figures: dict[str, list], **extra: Any) -> dict[str, Any]:
    """Append one record to ``path`` (created with its folder when absent).

    :param figures: ``{"columns": [...], "rows": [[...], ...]}``, each row as long as the
        columns.
    :param extra: more fields (``command``, ``setup``, ``note``, ``published``).
    :return: the record.
    :raises ValueError: if ``figures`` is not such a table.
    """
    columns, rows = figures.get("columns"), figures.get("rows")
    if (not isinstance(columns, list) or not isinstance(rows, list) or not rows
            or any(not isinstance(r, list) or len(r) != len(columns) for r in rows)):
        raise ValueError("figures must be {'columns': [...], 'rows': [[...], ...]} with at "
                         f"least one row as long as the columns, got {figures!r}")
    commit = git_commit()
    record = {"benchmark": benchmark, "recipe": recipe, "seed": seed, "commit": commit,
              "date": datetime.date.today().isoformat(), "cpu": cpu_model(),
              "threads": threads,
              "wall_time_s": None if wall_time_s is None else round(wall_time_s, 1),
              "figures": figures, **extra}
    if commit is None:
        record.setdefault("source", "a run outside a git checkout")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    return record
