"""The StarGAN benchmark runs its recipe at its smoke budget on the embedded MNIST-5k
through ``ppl-models train --recipe``'s code path, and scores attributes and labels beside
the untranslated inputs."""

import json

import pytest


def test_attributes_and_labels_beside_the_untranslated_inputs(load_benchmark, capsys,
                                                              tmp_path):
    record = tmp_path / "stargan.jsonl"
    result = load_benchmark("stargan_mnist").main(
        ["--smoke", "--n-test", "200", "--out", str(tmp_path / "run"), "--record",
         str(record)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["recipe"]["name"] == "stargan_mnist_cpu" and result["dataset"] == "mnist5k"
    assert result["n_train"] == 128 and result["n_test"] == 200 and result["epochs"] == 1
    names = {"thick", "slant_right", "inverted"}
    assert set(result["attribute_accuracy"]) == set(result["untranslated_attribute_accuracy"]) \
        == names
    # Fair-coin targets agree with the inputs' own attributes about half the time.
    assert all(0.3 < v < 0.7 for v in result["untranslated_attribute_accuracy"].values())
    assert result["attribute_accuracy_mean"] == pytest.approx(
        sum(result["attribute_accuracy"].values()) / 3, abs=1e-4)
    # The classifier reads the upright untranslated digits nearly as well as its test split.
    assert result["untranslated_label_baseline"] > 0.8
    assert 0 <= result["label_preservation"] <= 1
    rows = json.loads(record.read_text())["figures"]["rows"]
    assert rows[0][0] == "untranslated inputs" and rows[1][0] == "seed 0, 1 epochs"
