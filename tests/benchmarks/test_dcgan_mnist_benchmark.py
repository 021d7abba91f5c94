"""The DCGAN benchmark runs its recipe end to end on MNIST-5k (embedded, no files) at its
smoke budget, through the same code path as ``ppl-models train --recipe``."""

import json
import math

import torch

from inference.cli.main import main


def test_one_json_line_with_the_floor_and_the_class_histogram(load_benchmark, capsys,
                                                               tmp_path):
    result = load_benchmark("dcgan_mnist").main(
        ["--smoke", "--n-eval", "200", "--out", str(tmp_path / "run")])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["dataset"] == "mnist5k" and result["n_train"] == 256
    assert result["epochs"] == 1 and result["recipe"]["name"] == "dcgan_mnist"
    assert math.isclose(sum(result["class_fractions"]), 1.0, abs_tol=1e-6)
    assert 1 <= result["classes_present"] <= 10
    # The floor (train vs test, real images) is far below one epoch of a 4-wide DCGAN.
    assert 0 <= result["fid_train_vs_test"] < result["fid"]
    assert result["extractor_sha256"] and 0.8 < result["extractor_test_accuracy"] <= 1.0
    assert 0 <= result["class_kl_real_test"] < 0.05  # real digits are nearly balanced


def test_the_benchmark_and_train_recipe_write_the_same_model(load_benchmark, tmp_path):
    """The benchmark trains nothing itself: its model.pt is ``train --recipe``'s, bit for
    bit, given the same recipe and overrides."""
    benchmark = load_benchmark("dcgan_mnist")
    benchmark.main(["--smoke", "--n-eval", "100", "--out", str(tmp_path / "benchmark")])
    words = ["train", "--recipe", "dcgan_mnist", "--out", str(tmp_path / "cli")]
    for key, value in {"seed": 0, "threads": 1, **benchmark.SMOKE}.items():
        words += [f"--{key.replace('_', '-')}", str(value)]
    assert main(words) == 0
    a = torch.load(tmp_path / "benchmark" / "model.pt", weights_only=True)["state"]
    b = torch.load(tmp_path / "cli" / "model.pt", weights_only=True)["state"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
