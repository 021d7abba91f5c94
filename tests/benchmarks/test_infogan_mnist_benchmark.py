"""The InfoGAN benchmark runs end to end on MNIST-5k (embedded, no files) at tiny widths, and
its per-epoch diagnostic (the codes' histogram on validation images against the uniform
prior) sees a merged code without looking at a label."""

import json
import math
from types import SimpleNamespace

import torch

TINY = ["--dataset", "mnist5k", "--limit", "500", "--channels", "4", "--hidden", "16",
        "--latent-dim", "8", "--threads", "1"]


def test_one_json_line_with_the_record_of_every_epoch(load_benchmark, capsys):
    result = load_benchmark("infogan_mnist").main(TINY + ["--epochs", "2"])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["dataset"] == "mnist5k" and result["n_train"] == 500
    assert result["epochs"] == 2
    assert len(result["code_kl_by_epoch"]) == len(result["valid_accuracy_by_epoch"]) == 2
    assert all(0 <= kl <= math.log(10) + 1e-9 for kl in result["code_kl_by_epoch"])
    assert all(0.1 <= a <= 1 for a in result["valid_accuracy_by_epoch"])
    assert 0 <= result["test_code_kl"] <= math.log(10) + 1e-9
    assert 0 < result["categorical_accuracy"] <= 1 and 1 <= result["codes_used"] <= 10


def test_code_monitor_sees_a_merged_code_without_labels(load_benchmark):
    bench = load_benchmark("infogan_mnist")
    labels = torch.arange(10).repeat(30)
    splits = SimpleNamespace(valid=torch.zeros(300, 1, 28, 28), valid_labels=labels)

    def monitor(codes):
        model = SimpleNamespace(predict_code=lambda x: codes, categories=10)
        return bench.code_monitor(model, splits)(None, 1)

    # A relabelled perfect code: uniform histogram, accuracy 1.
    perfect = monitor((labels + 3) % 10)
    assert perfect["code_kl"] < 1e-12 and perfect["accuracy"] == 1.0
    # Codes 4 and 9 merged (9s read as code 4) and 1s split over codes 1 and 9: Q still
    # uses all 10 codes, but code 4 holds 2/10 of the images and codes 1, 9 hold 1/20 each.
    merged = labels.clone()
    merged[labels == 9] = 4
    ones = (labels == 1).nonzero().squeeze(1)
    merged[ones[::2]] = 9
    out = monitor(merged)
    expected = 0.2 * math.log(2) + 2 * 0.05 * math.log(0.5)  # sum q log(10 q)
    assert math.isclose(out["code_kl"], expected, rel_tol=1e-9)
    assert math.isclose(out["accuracy"], 0.85)  # the 9s and half the 1s lost
