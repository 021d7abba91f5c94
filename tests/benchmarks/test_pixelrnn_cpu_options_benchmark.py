"""The PixelRNN CPU-options benchmark times the three contenders on one set of parameters and
trains the recipe at float32 (two seeds) and bf16 through ``ppl-models train``."""

import json

import pytest

from docs.results_page import read_records
from inference.cli.recipe_run import load_run


def test_options_are_timed_and_bf16_is_set_beside_the_seed_spread(load_benchmark, capsys,
                                                                  tmp_path):
    result = load_benchmark("pixelrnn_cpu_options").main(
        ["--smoke", "--kinds", "row_lstm", "--hidden", "4", "--batch-size", "4", "--steps",
         "2", "--out", str(tmp_path / "runs"), "--record", str(tmp_path / "r.jsonl")])
    assert json.loads(capsys.readouterr().out.strip()) == result
    row = result["row_lstm"]
    assert all(row[f"{o}_s_per_update"] > 0 for o in ("fp32", "channels_last", "bf16"))
    nll = row["test_nll_nats"]
    assert row["seed_spread_nats"] == pytest.approx(abs(nll["fp32"] - nll["fp32_next_seed"]))
    # The three runs are what they say: two seeds at fp32, bf16 at the first seed.
    runs = {label: load_run(tmp_path / "runs" / f"row_lstm_{label}")
            for label in ("fp32", "fp32_next_seed", "bf16")}
    assert [r.config["seed"] for r in runs.values()] == [0, 1, 0]
    assert runs["bf16"].metrics["device"] == "cpu, bf16 autocast"
    assert runs["fp32"].metrics["device"] == "cpu"
    assert nll["bf16"] == runs["bf16"].metrics["nll_nats"]
    (record,) = read_records(tmp_path)
    assert record["figures"]["rows"][0][0] == "row_lstm"
