"""The held-out-digit anomaly benchmark trains its four recipes through ``ppl-models train
--recipe`` with the digit held out (on the embedded MNIST-5k at its smoke budget), and scores
the other digits' test images against every image of the held-out one."""

import json

import torch

from inference.cli.main import main
from inference.cli.recipe_run import load_run
from ppl_models.data import load_dataset

MODELS = ("nade", "background", "independent_background", "vae")


def test_one_json_line_per_split_with_the_digit_held_out(load_benchmark, capsys, tmp_path):
    record = tmp_path / "anomaly.jsonl"
    result = load_benchmark("anomaly_mnist").main(
        ["--smoke", "--held-out", "7", "--out", str(tmp_path), "--record", str(record)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["held_out"] == [7]
    assert {m: r["name"] for m, r in result["recipes"].items()} == {
        m: f"anomaly_{m}_mnist" for m in MODELS}
    assert all(r["overrides"]["holdout_class"] == 7 for r in result["recipes"].values())
    # Every model trained without the sevens; the test split kept them.
    for model in MODELS:
        splits = load_run(tmp_path / "held_out_7" / model).splits
        assert 7 not in splits.train_labels.tolist() + splits.valid_labels.tolist()
        assert len(splits.train) == 300
    whole = load_dataset("mnist5k", seed=0)
    (split,) = result["splits"]
    assert split["n_in"] == int((whole.test_labels != 7).sum())
    assert split["n_out"] == sum(int((whole.labels(s) == 7).sum())
                                 for s in ("train", "valid", "test"))
    scores = {"independent_nll (baseline)", "nade_nll", "nade_ratio_independent_bg",
              "nade_ratio_nade_bg", "vae_neg_iwae_10"}
    assert scores <= set(split) and set(result["mean_over_splits"]) == scores
    assert all(0 <= split[s][m] <= 1 for s in scores for m in ("auroc", "auprc",
                                                                 "fpr_at_95_tpr"))
    # A likelihood ratio against a background is not the NLL shifted by a constant.
    assert split["nade_ratio_nade_bg"] != split["nade_nll"]
    line = json.loads(record.read_text())
    assert line["benchmark"] == "anomaly_mnist"
    assert [r[0] for r in line["figures"]["rows"]] == list(result["mean_over_splits"])
    assert all(r[-1].startswith("7: ") for r in line["figures"]["rows"])


def test_the_benchmark_and_train_recipe_write_the_same_background(load_benchmark, tmp_path):
    """The benchmark trains nothing itself: its perturbed NADE background is ``train
    --recipe``'s, bit for bit, given the same recipe and overrides."""
    load_benchmark("anomaly_mnist").main(
        ["--smoke", "--held-out", "2", "--out", str(tmp_path / "benchmark")])
    shared = load_benchmark("anomaly_models")
    overrides = {"seed": 0, "threads": 1, **shared.SMOKE_DATA, **shared.SMOKE["background"],
                 "holdout_class": 2}
    words = ["train", "--recipe", "anomaly_background_mnist", "--out", str(tmp_path / "cli")]
    for key, value in overrides.items():
        words += [f"--{key.replace('_', '-')}", str(value)]
    assert main(words) == 0
    a = torch.load(tmp_path / "benchmark" / "held_out_2" / "background" / "model.pt",
                   weights_only=True)["state"]
    b = torch.load(tmp_path / "cli" / "model.pt", weights_only=True)["state"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert "perturbed at rate 0.2" in load_run(tmp_path / "cli").metrics["fit"]
