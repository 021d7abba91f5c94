"""Write the Results page from the benchmark records in ``benchmarks/results/``.

    python -m docs.results_page                 # writes docs/results.md
    python -m docs.results_page --records DIR --out FILE

A record is one JSON line per run (``benchmarks/results/<benchmark>.jsonl``)::

    {"benchmark": "nade_binarized_mnist", "recipe": null, "seed": 0,
     "commit": "189599e", "date": "2026-12-07", "cpu": "AMD EPYC 7B13", "threads": 1,
     "wall_time_s": 1842.0, "command": "python benchmarks/nade_binarized_mnist.py",
     "figures": {"columns": ["model", "test NLL (nats)"], "rows": [["NADE", "88.53"]]},
     "published": [{"row": "NADE", "figure": "test NLL (nats)", "value": 88.86,
                    "reference": "larochelle2011nade"}],
     "setup": "...", "note": "...", "source": "..."}

``figures`` is the table of our numbers (each row as long as ``columns``); ``published``
puts a paper's figure beside a row, its ``reference`` a key of ``docs/references.bib``.
A record without a ``commit`` must say where it comes from in ``source``. A malformed line is
refused with its file and line number.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "benchmarks" / "results"
OUT = ROOT / "docs" / "results.md"
BIB = ROOT / "docs" / "references.bib"

REQUIRED = ("benchmark", "recipe", "seed", "commit", "date", "cpu", "threads", "wall_time_s",
            "figures")


class RecordError(ValueError):
    """A malformed record, named by its file and line number."""


def _check(record: object, where: str) -> dict:
    if not isinstance(record, dict):
        raise RecordError(f"{where}: a record is a JSON object, got {type(record).__name__}")
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise RecordError(f"{where}: missing {', '.join(missing)}")
    if not isinstance(record["benchmark"], str) or not record["benchmark"]:
        raise RecordError(f"{where}: benchmark must be a non-empty string")
    if not record["commit"] and not record.get("source"):
        raise RecordError(f"{where}: a record without a commit must give its source")
    figures = record["figures"]
    if (not isinstance(figures, dict) or not isinstance(figures.get("columns"), list)
            or not isinstance(figures.get("rows"), list) or not figures["rows"]):
        raise RecordError(f"{where}: figures must be {{'columns': [...], 'rows': [[...], ...]}}"
                          " with at least one row")
    width = len(figures["columns"])
    for n, row in enumerate(figures["rows"], 1):
        if not isinstance(row, list) or len(row) != width:
            raise RecordError(f"{where}: figures row {n} has not {width} cells")
    for p in record.get("published", []):
        if not isinstance(p, dict) or not {"row", "value", "reference"} <= set(p):
            raise RecordError(f"{where}: each published figure needs row, value and reference")
    return record


def read_records(folder: Path) -> list[dict]:
    """Every record of ``folder/*.jsonl``, in file then line order.

    :raises RecordError: naming ``file:line`` for a line that is not a valid record.
    """
    records = []
    for path in sorted(Path(folder).glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise RecordError(f"{where}: not JSON ({e.msg})") from None
            records.append(_check(record, where))
    return records


def _bib_keys(bib: Path) -> dict[str, str]:
    """``{key: "Author & Author 2011"}`` for every entry of ``bib``."""
    if not bib.is_file():
        return {}
    keys = {}
    for part in bib.read_text(encoding="utf-8").split("@")[1:]:
        if "{" not in part:
            continue
        key = part.split("{", 1)[1].split(",", 1)[0].strip()
        author = re.search(r"author\s*=\s*\{(.*?)\},", part, re.S)
        year = re.search(r"year\s*=\s*\{(\d+)\}", part)
        names = [n.split(",")[0].strip("{} ") for n in author.group(1).split(" and ")
                 ] if author else [key]
        short = names[0] if len(names) == 1 else (
            f"{names[0]} & {names[1]}" if len(names) == 2 else f"{names[0]} et al.")
        keys[key] = f"{short} {year.group(1)}" if year else short
    return keys


def _cell(value: object) -> str:
    if value is None:  # a figure the row does not have (e.g. no BDMC gap for an exact NLL)
        return "—"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _cite(reference: str, keys: dict[str, str]) -> str:
    if reference not in keys:
        return _cell(reference)
    return f"({_cell(keys[reference])}{{footcite:p}}`{reference}`)"


def _provenance(r: dict) -> str:
    parts = []
    if r.get("command"):
        parts.append(f"`{r['command']}`")
    seed = r["seed"]
    if seed is not None:
        parts.append("seeds " + ", ".join(map(str, seed)) if isinstance(seed, list)
                     else f"seed {seed}")
    if r["threads"] is not None:
        parts.append(f"{r['threads']} thread{'s' if r['threads'] != 1 else ''}")
    if r["wall_time_s"] is not None:
        parts.append(f"{r['wall_time_s'] / 60:.1f} min")
    parts.append(f"CPU {r['cpu']}" if r["cpu"] else "CPU not recorded")
    parts.append(f"commit `{r['commit']}`" if r["commit"] else "commit not recorded")
    if r["date"]:
        parts.append(r["date"])
    if r.get("recipe"):
        parts.append(f"recipe `{r['recipe']}`")
    if r.get("source"):
        parts.append(f"source: {r['source']}")
    return "; ".join(parts)


def render(records: list[dict], bib: Path = BIB) -> str:
    """The Results page (MyST Markdown) for ``records``, grouped by benchmark."""
    keys = _bib_keys(bib)
    out = ["# Results", "",
           "Generated by `python -m docs.results_page` from the records in "
           "`benchmarks/results/` (one JSON line per run); do not edit. Each table gives our "
           "figures and, where a paper reports one, the published figure beside it with its "
           "reference. Every record says which command, seed, threads and code it came from; "
           "records marked *source: README before issue 32* were moved from the README's "
           "Measured sections with the provenance it gave (no commit or CPU was recorded "
           "then), and are figures of the code of that time, not rerun since.", ""]
    benchmarks: dict[str, list[dict]] = {}
    for r in records:
        benchmarks.setdefault(r["benchmark"], []).append(r)
    # benchmarks compared with a published figure first, then the others, each by name
    for name in sorted(benchmarks, key=lambda b: (not any(r.get("published")
                                                          for r in benchmarks[b]), b)):
        out += [f"## `{name}`", ""]
        for r in benchmarks[name]:
            columns = list(r["figures"]["columns"])
            published = r.get("published", [])
            if published:
                columns.append("published")
            out.append("| " + " | ".join(_cell(c) for c in columns) + " |")
            out.append("|" + "---|" * len(columns))
            for row in r["figures"]["rows"]:
                cells = [_cell(c) for c in row]
                if published:
                    beside = [f"{_cell(p['value'])}"
                              + (f" ({_cell(p['note'])})" if p.get("note") else "")
                              + f" {_cite(p['reference'], keys)}"
                              for p in published if p["row"] == row[0]]
                    cells.append("; ".join(beside) or "—")
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
            if r.get("setup"):
                out += [_cell(r["setup"]), ""]
            if r.get("note"):
                out += [_cell(r["note"]), ""]
            out += [f"*Run:* {_provenance(r)}.", ""]
    out += ["## References", "", "```{footbibliography}", "```", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=Path, default=RECORDS)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    try:
        records = read_records(args.records)
    except RecordError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    args.out.write_text(render(records), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
