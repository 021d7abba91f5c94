"""The NADE / FVSBN benchmark runs its recipes through ``ppl-models train`` at its smoke
budget on the embedded MNIST-5k, and records its row for the Results page."""

import json
import math

import pytest
import torch

from docs.results_page import read_records
from inference.cli.main import main as cli


@pytest.mark.parametrize("recipe, kind", [("nade_binarized_mnist", "nade"),
                                          ("fvsbn_binarized_mnist", "fvsbn")])
def test_one_json_line_and_a_record(recipe, kind, load_benchmark, capsys, tmp_path):
    record = tmp_path / "records" / "nade_binarized_mnist.jsonl"
    result = load_benchmark("nade_binarized_mnist").main(
        ["--smoke", "--recipe", recipe, "--out", str(tmp_path / "run"), "--record",
         str(record)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["model"] == kind and result["recipe"]["name"] == recipe
    assert result["dataset"] == "mnist5k" and result["n_train"] == 300
    assert result["epochs_run"] == 1 and result["estimator"] == "exact"
    # One epoch on 300 images: below uniform pixels (784 ln 2 = 543 nats), far above 88.
    assert 100 < result["test_nll_nats"] < 784 * math.log(2)
    assert result["test_bits_per_dim"] == pytest.approx(
        result["test_nll_nats"] / (784 * math.log(2)), abs=1e-5)
    (written,) = read_records(record.parent)
    assert written["recipe"] == recipe and written["figures"]["rows"][0][0].startswith(
        kind.upper())


def test_the_benchmark_and_train_recipe_write_the_same_nade(load_benchmark, tmp_path):
    benchmark = load_benchmark("nade_binarized_mnist")
    benchmark.main(["--smoke", "--out", str(tmp_path / "benchmark")])
    words = ["train", "--recipe", "nade_binarized_mnist", "--out", str(tmp_path / "cli"),
             "--seed", "0", "--threads", "1"]
    for key, value in benchmark.SMOKE.items():
        words += [f"--{key.replace('_', '-')}", str(value)]
    assert cli(words) == 0
    a, b = (torch.load(tmp_path / d / "model.pt", weights_only=True)["state"]
            for d in ("benchmark", "cli"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
