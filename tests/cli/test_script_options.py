"""The examples' and benchmarks' shared options: recipe overrides, ``--set``, the data path,
and ``--record`` writing a line the Results page reads."""

import json

import pytest

from docs.results_page import read_records
from inference.cli.recipe_run import option_words
from inference.cli.records import write_record
from inference.cli.script_options import finish, recipe_overrides, script_parser


def _args(*argv, **kwargs):
    return script_parser("A script.", recipe="dcgan_mnist", out="runs/x", data=True,
                         record=True, **kwargs).parse_args(list(argv))


def test_overrides_are_seed_threads_epochs_smoke_then_set():
    args = _args("--seed", "3", "--epochs", "2", "--smoke", "--set", "hidden=[8, 8]",
                 "--set", "dataset=mnist5k", "--data", "/nowhere")
    overrides = recipe_overrides(args, {"epochs": 1, "dcgan_channels": 4})
    # --smoke's settings beat --epochs; --set beats both; mnist5k is embedded: no path.
    assert overrides == {"seed": 3, "threads": 1, "device": "cpu", "precision": "fp32",
                         "epochs": 1, "dcgan_channels": 4, "hidden": [8, 8],
                         "dataset": "mnist5k"}


def test_a_file_data_set_gets_its_path_from_data():
    overrides = recipe_overrides(_args("--data", "/d"))
    assert overrides["data_path"] == "/d/mnist"


def test_set_refuses_a_word_without_a_value(capsys):
    with pytest.raises(SystemExit):
        _args("--set", "hidden")
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_option_words_spell_the_command_line():
    assert option_words({"batch_size": 32, "hidden": [8, 8], "resume": True,
                         "patience": None}) == ["--batch-size", "32", "--hidden", "8", "8",
                                                "--resume"]
    with pytest.raises(ValueError, match="resume=False"):
        option_words({"resume": False})


def test_record_appends_a_line_the_results_page_accepts(tmp_path, capsys):
    args = _args("--record", str(tmp_path / "x.jsonl"), "--seed", "2")
    result = {"benchmark": "x", "fid": 3.0}
    figures = {"columns": ["model", "FID"], "rows": [["DCGAN", "3.0"]]}
    finish(args, result, figures=figures, started=0.0)
    finish(args, result, figures=figures)
    assert json.loads(capsys.readouterr().out.splitlines()[0]) == result
    records = read_records(tmp_path)
    assert len(records) == 2 and records[0]["seed"] == 2 and records[0]["recipe"] == \
        "dcgan_mnist"
    assert records[0]["threads"] == 1 and records[0]["date"] and records[0]["figures"] == \
        figures
    assert records[0]["wall_time_s"] > 0 and records[1]["wall_time_s"] is None


def test_a_record_needs_a_table(tmp_path):
    with pytest.raises(ValueError, match="figures must be"):
        write_record(tmp_path / "x.jsonl", benchmark="x", recipe=None, seed=0, threads=1,
                     wall_time_s=1.0, figures={"columns": ["a", "b"], "rows": [["1"]]})
    with pytest.raises(ValueError, match="no table of figures"):
        finish(_args("--record"), {"benchmark": "x"})


def test_scripts_and_the_command_line_keep_freed_memory(monkeypatch):
    # Both entry points ask the allocator to keep freed memory before any work starts
    # (inference/heap.py; tests/inference/test_heap.py measures what it does).
    from inference.cli import main as cli_main
    from inference.cli import script_options

    calls = []
    monkeypatch.setattr(script_options, "keep_freed_memory", lambda: calls.append("script"))
    monkeypatch.setattr(cli_main, "keep_freed_memory", lambda: calls.append("cli"))
    _args()
    assert cli_main.main(["sample", "--checkpoint", "/nowhere/model.pt"]) == 2
    assert calls == ["script", "cli"]


def test_a_malformed_release_setting_is_one_line_naming_it(monkeypatch, capsys):
    from inference.cli import main as cli_main

    monkeypatch.setenv("PPL_MODELS_RELEASE_MEMORY", "yes")
    assert cli_main.main(["sample", "--checkpoint", "/nowhere/model.pt"]) == 2
    assert "PPL_MODELS_RELEASE_MEMORY must be 0 or 1" in capsys.readouterr().err
