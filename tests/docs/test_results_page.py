"""The Results page generator (docs/results_page.py) on a small set of records."""

import json

import pytest

from docs import results_page

GOOD = {"benchmark": "nade_binarized_mnist", "recipe": None, "seed": 0, "commit": "abc1234",
        "date": "2026-12-07", "cpu": "Test CPU", "threads": 1, "wall_time_s": 120.0,
        "command": "python benchmarks/nade_binarized_mnist.py",
        "figures": {"columns": ["model", "test NLL (nats)"], "rows": [["NADE", "88.53"],
                                                                     ["FVSBN", "97.85"]]},
        "published": [{"row": "NADE", "figure": "test NLL (nats)", "value": 88.86,
                       "reference": "larochelle2011nade"}]}


def write(folder, name, lines):
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_records_render_with_published_figures_beside_ours(tmp_path):
    write(tmp_path, "nade.jsonl", [json.dumps(GOOD)])
    page = results_page.render(results_page.read_records(tmp_path))
    assert "| model | test NLL (nats) | published |" in page
    assert ("| NADE | 88.53 | 88.86 (Larochelle & Murray 2011{footcite:p}`larochelle2011nade`) |"
            in page)
    assert "| FVSBN | 97.85 | — |" in page
    assert "seed 0; 1 thread; 2.0 min; CPU Test CPU; commit `abc1234`; 2026-12-07" in page


def test_a_figure_a_row_does_not_have_is_a_dash_not_none(tmp_path):
    record = {**GOOD, "published": [], "figures": {
        "columns": ["model", "NLL", "BDMC gap"], "rows": [["nade", 103.6, None],
                                                         ["vae", 105.5, 0.65]]}}
    write(tmp_path, "ais.jsonl", [json.dumps(record)])
    page = results_page.render(results_page.read_records(tmp_path))
    assert "| nade | 103.6 | — |" in page and "| vae | 105.5 | 0.65 |" in page
    assert "None" not in page


@pytest.mark.parametrize("bad, message", [
    ("{not json", "not JSON"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "seed"}), "missing seed"),
    (json.dumps({**GOOD, "commit": None}), "without a commit must give its source"),
    (json.dumps({**GOOD, "figures": {"columns": ["a", "b"], "rows": [["x"]]}}),
     "row 1 has not 2 cells"),
    (json.dumps([1, 2]), "a JSON object"),
])
def test_a_malformed_line_is_refused_with_its_file_and_line(tmp_path, bad, message):
    write(tmp_path, "runs.jsonl", [json.dumps(GOOD), "", bad])
    with pytest.raises(results_page.RecordError, match=message) as e:
        results_page.read_records(tmp_path)
    assert str(e.value).startswith(f"{tmp_path / 'runs.jsonl'}:3: ")


def test_the_command_refuses_a_malformed_line_and_writes_nothing(tmp_path, capsys):
    write(tmp_path, "runs.jsonl", ["{not json"])
    out = tmp_path / "results.md"
    assert results_page.main(["--records", str(tmp_path), "--out", str(out)]) == 2
    assert "runs.jsonl:1: not JSON" in capsys.readouterr().err
    assert not out.exists()


def test_the_shipped_records_are_valid():
    assert results_page.read_records(results_page.RECORDS)
