"""PixelRNN through the unchanged command line: train, evaluate, sample.

(RNADE is offered too, being built from ``dim``, but the command line's data sets are binary
images and its sample grids take values in [0, 1] only, so ``train --model rnade`` stops at
the grid after fitting; real-valued data on the command line is a change to the CLI itself.)
"""

import math


def test_pixelrnn_trains_evaluates_and_samples(tmp_path, cli, last_json_line):
    run = tmp_path / "prnn"
    code, out, err = cli("train", "--model", "pixelrnn", "--kind", "diagonal_bilstm",
                         "--hidden", 4, "--layers", 1, "--dataset", "digits", "--epochs", 1,
                         "--lr", 0.01, "--threads", 1, "--out", run)
    assert code == 0, err
    metrics = last_json_line(out)
    assert metrics["model"] == "pixelrnn" and metrics["estimator"] == "exact"
    # One epoch from the independent-model start: near independent pixels (24.6 nats on
    # these digits), far below uniform (64 ln 2 = 44.4).
    assert 10 < metrics["nll_nats"] < 64 * math.log(2)
    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt")
    assert code == 0, err
    assert last_json_line(out)["nll_nats"] == metrics["nll_nats"]
    code, out, err = cli("sample", "--checkpoint", run / "model.pt", "--num", 4,
                         "--out", tmp_path / "s.png")
    assert code == 0, err
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_kind_and_order_are_refused_where_they_do_not_apply(tmp_path, cli):
    code, _, err = cli("train", "--model", "nade", "--kind", "row_lstm", "--dataset", "digits",
                       "--out", tmp_path / "a")
    assert code == 2 and "--kind" in err and "pixelrnn" in err
    code, _, err = cli("train", "--model", "pixelrnn", "--order", "random", "--dataset",
                       "digits", "--epochs", 1, "--out", tmp_path / "b")
    assert code == 2 and "--order" in err

