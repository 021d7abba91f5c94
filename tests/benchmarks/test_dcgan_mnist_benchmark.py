"""The DCGAN benchmark runs end to end on MNIST-5k (embedded, no files) at a tiny budget."""

import json
import math

import pytest


def test_one_json_line_with_the_floor_and_the_class_histogram(load_benchmark, capsys):
    result = load_benchmark("dcgan_mnist").main(
        ["--dataset", "mnist5k", "--limit", "256", "--epochs", "1", "--channels", "4",
         "--latent-dim", "8", "--n-eval", "200", "--ema-decay", "0.9", "--threads", "1"])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["dataset"] == "mnist5k" and result["n_train"] == 256
    assert result["epochs"] == 1 and result["ema_decay"] == 0.9
    assert math.isclose(sum(result["class_fractions"]), 1.0, abs_tol=1e-6)
    assert 1 <= result["classes_present"] <= 10
    # The floor (train vs test, real images) is far below one epoch of a 4-wide DCGAN.
    assert 0 <= result["fid_train_vs_test"] < result["fid"]
    assert result["extractor_sha256"] and 0.8 < result["extractor_test_accuracy"] <= 1.0
    assert 0 <= result["class_kl_real_test"] < 0.05  # real digits are nearly balanced
    assert result["select"] is False and result["selected_epoch"] == 1
    assert len(result["by_epoch"]) == 1


def test_select_keeps_the_epoch_with_the_most_balanced_selection_draws(load_benchmark):
    result = load_benchmark("dcgan_mnist").main(
        ["--dataset", "mnist5k", "--limit", "256", "--epochs", "3", "--channels", "4",
         "--latent-dim", "8", "--n-eval", "200", "--n-select", "100", "--select",
         "--threads", "1"])
    kl = [e["class_kl"] for e in result["by_epoch"]]
    assert len(kl) == 3 and all(e["fid"] > 0 for e in result["by_epoch"])
    assert result["selected_epoch"] == kl.index(min(kl)) + 1  # the first of ties


def test_n_select_below_two_is_refused(load_benchmark):
    with pytest.raises(SystemExit):
        load_benchmark("dcgan_mnist").main(["--dataset", "mnist5k", "--n-select", "1"])
