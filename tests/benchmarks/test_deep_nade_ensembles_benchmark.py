"""The DeepNADE benchmark trains its recipe and its baselines' through ``ppl-models train``
on the embedded digits and scores them on the same test images."""

import json

import pytest
import torch

from docs.results_page import read_records
from inference.cli.recipe_run import load_run


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


def test_nested_ensembles_on_a_test_subset_are_the_ensembles_themselves(load_benchmark,
                                                                        tmp_path):
    bench = load_benchmark("deep_nade_ensembles")
    result = bench.main(["--smoke", "--orderings", "1", "2", "4", "--single-orderings", "3",
                         "--baselines", "--test-size", "50", "--out", str(tmp_path)])
    run = load_run(tmp_path / "deep_nade_digits")
    test = bench.test_images(run.splits.flat("test"), 50, 0)
    assert result["n_test"] == 50 and len(test) == 50
    assert result["identity_ordering_all_test"]["n"] == 180
    deep = result["deep_nade"]
    with torch.no_grad():
        for k in (1, 2, 4):  # scored one order at a time, then mixed: the same figure
            direct = -run.model.ensemble(k).log_prob(test).double().mean().item()
            assert deep[f"orderings_{k}"]["nll_nats"] == pytest.approx(direct, rel=1e-6)
        members = run.model.ensemble(4).orders[1:]
        singles = [-run.model.log_prob(test, ordering=o).double().mean().item()
                   for o in members]
    assert deep["single_random_orderings_nll_nats"] == pytest.approx(singles, rel=1e-6)
    with pytest.raises(ValueError, match="--single-orderings 4: the largest ensemble"):
        bench.main(["--smoke", "--orderings", "4", "--single-orderings", "4", "--baselines",
                    "--out", str(tmp_path / "again")])


def test_resume_continues_a_stopped_run_before_scoring(load_benchmark, tmp_path):
    bench = load_benchmark("deep_nade_ensembles")
    words = ["--smoke", "--orderings", "1", "2", "--single-orderings", "1", "--baselines",
             "--out", str(tmp_path)]
    bench.main([*words, "--set", "epochs=1"])  # --smoke sets 2 epochs; --set wins
    first = load_run(tmp_path / "deep_nade_digits").history
    result = bench.main([*words, "--set", "epochs=2", "--resume"])
    resumed = load_run(tmp_path / "deep_nade_digits").history
    assert result["deep_nade"]["epochs"] == 2
    # The first epoch is the stopped run's, read from its checkpoint, not trained again: its
    # wall-clock seconds too, which a second training could not reproduce to the bit.
    assert len(resumed["epochs"]) == 2 and resumed["epochs"][0] == first["epochs"][0]
