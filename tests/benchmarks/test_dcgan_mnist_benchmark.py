"""The DCGAN benchmark runs end to end on MNIST-5k (embedded, no files) at a tiny budget."""

import json
import math


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
