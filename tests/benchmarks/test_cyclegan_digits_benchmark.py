"""The CycleGAN benchmark runs its recipe (embedded digits_to_mnist) at its smoke budget
through ``ppl-models train --recipe``'s code path and scores both directions beside the
untranslated inputs."""

import json

import torch

from inference.cli.main import main
from inference.cli.recipe_run import option_words


def test_both_directions_beside_their_untranslated_baselines(load_benchmark, capsys,
                                                             tmp_path):
    record = tmp_path / "cyclegan_digits.jsonl"
    result = load_benchmark("cyclegan_digits").main(
        ["--smoke", "--out", str(tmp_path / "run"), "--record", str(record)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["recipe"]["name"] == "cyclegan_digits_to_mnist_cpu"
    assert result["epochs"] == 1 and result["config"]["channels"] == 2
    # The whole test splits: the digits' 10 % and MNIST-5k's.
    assert result["n_test"] == {"digits": 180, "mnist": 500}
    # Each classifier reads the untranslated inputs of the other domain well above chance:
    # the baselines a translation is compared with.
    assert result["digits_untranslated_baseline"] > 0.3
    assert result["mnist_untranslated_baseline"] > 0.3
    for key in ("digits_to_mnist_label_kept", "mnist_to_digits_label_kept"):
        assert 0 <= result[key] <= 1
    assert all(result[k] > 0 for k in ("cycle_l1_a", "cycle_l1_b", "change_l1_a",
                                       "change_l1_b"))
    written = json.loads(record.read_text())
    assert written["benchmark"] == "cyclegan_digits"
    assert written["recipe"] == "cyclegan_digits_to_mnist_cpu"
    row = written["figures"]["rows"][0]
    assert len(row) == len(written["figures"]["columns"]) and row[0] == "seed 0, 1 epochs"


def test_the_benchmark_and_train_recipe_write_the_same_model(load_benchmark, tmp_path):
    """The benchmark trains nothing itself: its model.pt is the command line's."""
    benchmark = load_benchmark("cyclegan_digits")
    benchmark.main(["--smoke", "--out", str(tmp_path / "benchmark")])
    settings = option_words({"seed": 0, "threads": 1, **benchmark.SMOKE})
    assert main(["train", "--recipe", "cyclegan_digits_to_mnist_cpu", *settings,
                 "--out", str(tmp_path / "cli")]) == 0
    a, b = (torch.load(tmp_path / run / "model.pt", weights_only=True)["state"]
            for run in ("benchmark", "cli"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
