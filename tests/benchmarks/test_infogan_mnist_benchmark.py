"""The InfoGAN benchmark runs its recipe end to end on MNIST-5k (embedded, no files) at its
smoke budget, through ``ppl-models train --recipe``, and its diagnostic (the codes'
histogram against the uniform prior) sees a merged code without looking at a label."""

import json
import math

import torch


def test_one_json_line_with_the_code_and_the_kmeans_baseline(load_benchmark, capsys,
                                                              tmp_path):
    result = load_benchmark("infogan_mnist").main(["--smoke", "--out", str(tmp_path)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["dataset"] == "mnist5k" and result["n_train"] == 500
    assert result["epochs"] == 1 and result["recipe"]["name"] == "infogan_mnist"
    assert result["config"]["channels"] == 4 and len(result["valid_fid_by_epoch"]) == 1
    assert 0 <= result["test_code_kl"] <= math.log(10) + 1e-9
    # The best one-to-one matching is at least the mean over all matchings, 1/10.
    assert 0.1 <= result["categorical_accuracy"] <= 1 and 1 <= result["codes_used"] <= 10
    assert 0.1 <= result["baseline_kmeans_pixels_accuracy"] <= 1


def test_code_kl_sees_a_merged_code_without_labels(load_benchmark):
    bench = load_benchmark("infogan_mnist")
    labels = torch.arange(10).repeat(30)
    images = torch.zeros(300, 1, 28, 28)
    # A relabelled perfect code: a uniform histogram.
    assert bench.code_kl(images, (labels + 3) % 10, 10) < 1e-12
    # Codes 4 and 9 merged (9s read as code 4) and 1s split over codes 1 and 9: Q still
    # uses all 10 codes, but code 4 holds 2/10 of the images and codes 1, 9 hold 1/20 each.
    merged = labels.clone()
    merged[labels == 9] = 4
    ones = (labels == 1).nonzero().squeeze(1)
    merged[ones[::2]] = 9
    expected = 0.2 * math.log(2) + 2 * 0.05 * math.log(0.5)  # sum q log(10 q)
    assert math.isclose(bench.code_kl(images, merged, 10), expected, rel_tol=1e-9)
