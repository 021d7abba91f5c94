"""The DeepNADE benchmark trains its recipe and its baselines' through ``ppl-models train``
on the embedded digits and scores them on the same test images."""

import json

import pytest

from docs.results_page import read_records


def test_ensembles_and_paired_baselines(load_benchmark, capsys, tmp_path):
    result = load_benchmark("deep_nade_ensembles").main(
        ["--smoke", "--orderings", "1", "4", "--single-orderings", "2", "--baselines",
         "nade_h100_digits", "--out", str(tmp_path / "run"), "--record",
         str(tmp_path / "deep_nade.jsonl")])
    assert json.loads(capsys.readouterr().out.strip()) == result
    deep = result["deep_nade"]
    assert result["recipe"]["name"] == "deep_nade_digits" and result["n_test"] == 180
    assert deep["hidden"] == [16, 16] and deep["epochs"] == 2
    assert len(deep["single_random_orderings_nll_nats"]) == 2
    # A mixture of orderings is no worse than the average of its members' log-likelihoods
    # (Jensen), so within noise of, and usually below, one ordering's NLL; both sane.
    assert 0 < deep["orderings_4"]["nll_nats"] < 64 * 0.7
    baseline = result["nade_h100_digits"]
    assert baseline["minus_deep_nade_paired"]["1"]["nll_nats"] == pytest.approx(
        baseline["nll_nats"] - deep["orderings_1"]["nll_nats"])
    (record,) = read_records(tmp_path)
    assert len(record["figures"]["rows"]) == 4  # K = 1, K = 4, random orderings, the NADE


def test_a_baseline_on_other_data_is_refused(load_benchmark, tmp_path):
    with pytest.raises(ValueError, match="trains on other data"):
        load_benchmark("deep_nade_ensembles").main(
            ["--smoke", "--orderings", "1", "--single-orderings", "0", "--baselines",
             "nade_mnist5k", "--out", str(tmp_path)])
