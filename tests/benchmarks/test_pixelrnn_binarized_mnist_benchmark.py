"""The PixelRNN benchmark runs its recipes through ``ppl-models train`` on the embedded 8x8
digits at its smoke budget, beside the independent-pixel baseline of the same rows."""

import json
import math

import pytest


@pytest.mark.parametrize("recipe, kind", [
    ("pixelrnn_row_lstm_binarized_mnist", "row_lstm"),
    ("pixelrnn_diagonal_bilstm_binarized_mnist", "diagonal_bilstm")])
def test_one_json_line_beside_the_independent_baseline(recipe, kind, load_benchmark, capsys,
                                                       tmp_path):
    result = load_benchmark("pixelrnn_binarized_mnist").main(
        ["--smoke", "--recipe", recipe, "--out", str(tmp_path / "run")])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["kind"] == kind and result["recipe"]["name"] == recipe
    assert result["dataset"] == "digits" and result["n_train"] == 200
    assert result["epochs"] == 2 and len(result["valid_nll_per_epoch"]) == 2
    # 64 binary pixels: both below uniform (64 ln 2 = 44.4 nats). The PixelRNN starts at
    # one on-rate for every pixel (its output bias is per channel), so two epochs of 4 units
    # stay behind per-pixel marginals.
    assert 0 < result["baseline_independent_test_nll_nats"] < result["test_nll_nats"] \
        < 64 * math.log(2)
    assert result["seconds_to_sample_16"] > 0 and result["num_parameters"] > 0
