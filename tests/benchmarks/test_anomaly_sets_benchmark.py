"""The MNIST-5k anomaly benchmark trains its four recipes through ``ppl-models train
--recipe`` once per held-out digit and once on every digit (smoke budget), and scores the
held-out digit and the other out-of-distribution sets."""

import json

import pytest

from inference.cli.recipe_run import load_run

SCORES = {"independent_nll (baseline)", "nade_nll", "nade_ratio_independent_bg",
          "nade_ratio_nade_bg", "vae_neg_iwae_10"}


def test_held_out_digit_and_other_sets_in_one_json_line(load_benchmark, capsys, tmp_path):
    record = tmp_path / "sets.jsonl"
    result = load_benchmark("anomaly_sets").main(
        ["--smoke", "--held-out", "3", "--out", str(tmp_path), "--record", str(record)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["seeds"] == [0]
    held = result["held_out_classes"]
    assert set(held) == {"3", "mean_over_splits"} and set(held["3"]) == SCORES
    other = result["other_sets"]
    assert set(other) == {"digits_upsampled", "inverted", "uniform_noise", "constant"}
    # Part 1 held the threes out; part 2 trained on every digit of the same split.
    part1 = load_run(tmp_path / "seed_0" / "held_out_3" / "nade")
    part2 = load_run(tmp_path / "seed_0" / "all_classes" / "nade")
    assert 3 not in part1.splits.train_labels.tolist()
    assert 3 in part2.splits.train_labels.tolist() and part2.config["holdout_class"] is None
    assert load_run(tmp_path / "seed_0" / "all_classes" / "background").config["perturb"] == 0.2
    # One epoch on 300 images already puts inverted digits and noise far below the digits
    # under every exact score (the smoke VAE is barely trained).
    for name in ("inverted", "uniform_noise"):
        assert all(other[name][s]["auroc"] > 0.95 for s in SCORES - {"vae_neg_iwae_10"})
    line = json.loads(record.read_text())
    assert line["figures"]["columns"] == ["score (AUROC)", "mean of held-out splits",
                                          *other]
    assert [r[0] for r in line["figures"]["rows"]] == list(held["mean_over_splits"])


@pytest.mark.parametrize("argv, match", [
    (["--repeats", "0"], "--repeats must be >= 1"),
    (["--held-out", "--no-other-sets"], "nothing to measure"),
])
def test_a_run_that_would_measure_nothing_is_refused(argv, match, load_benchmark, capsys):
    with pytest.raises(SystemExit):
        load_benchmark("anomaly_sets").parse_args(argv)
    assert match in capsys.readouterr().err
