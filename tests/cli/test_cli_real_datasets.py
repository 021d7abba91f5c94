"""Real-valued data sets on the command line: RNADE end to end, and every mismatch between a
data set's support and a model's refused with exit code 2."""

import json
import math

import pytest
import torch

from ppl_models.data import REAL_DATASETS, load_dataset

RNADE_TINY = ("--hidden", 4, "--components", 2, "--epochs", 1, "--threads", 1)


@pytest.mark.parametrize("name", REAL_DATASETS)
def test_real_set_declares_real_support_and_is_standardised_on_train(name):
    s = load_dataset(name, binarize=None)
    assert not s.support.is_discrete
    assert s.train.dtype == torch.float32 and s.valid.shape[1:] == s.train.shape[1:]
    if name != "digits_dequantized":
        # float32 rounding of standardised columns: means within 1e-5 of 0 on train only.
        assert s.flat("train").mean(0).abs().max() < 1e-5
        assert s.flat("test").mean(0).abs().max() > 1e-3


@pytest.mark.parametrize("dataset", ["wine", "digits_dequantized"])
def test_rnade_trains_evaluates_and_samples(dataset, tmp_path, cli):
    code, _, err = cli("train", "--model", "rnade", "--dataset", dataset, *RNADE_TINY,
                       "--out", tmp_path / "r")
    assert code == 0, err
    code, out, err = cli("evaluate", "--checkpoint", tmp_path / "r" / "model.pt")
    assert code == 0, err
    result = json.loads(out)
    if dataset == "digits_dequantized":
        # y = (k + u) / 17 on 64 pixels: -log P(k) <= -log p(y) + 64 log 17 (change of variables).
        assert result["levels"] == 17
        assert result["discrete_nll_bound_nats"] == pytest.approx(
            result["nll_nats"] + 64 * math.log(17), abs=1e-9)
        assert result["discrete_bits_per_dim"] == pytest.approx(
            result["discrete_nll_bound_nats"] / (64 * math.log(2)), abs=1e-12)
    else:
        assert "discrete_bits_per_dim" not in result  # standardised rows are not quantised
    code, _, err = cli("sample", "--checkpoint", tmp_path / "r" / "model.pt",
                       "--out", tmp_path / "s.png")
    assert code == 0, err


@pytest.mark.parametrize("argv", [
    ("--model", "nade", "--hidden", 4, "--dataset", "wine"),
    ("--model", "rnade", "--dataset", "digits"),
    ("--model", "rnade", "--dataset", "wine", "--binarize", "threshold"),
    ("--model", "pixelrnn", "--dataset", "digits_dequantized"),
])
def test_mismatched_support_is_refused(argv, tmp_path, cli):
    code, _, err = cli("train", *argv, "--epochs", 1, "--out", tmp_path / "x")
    assert code == 2
    assert "support" in err or "--binarize" in err
