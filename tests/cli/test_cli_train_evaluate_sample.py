"""train -> evaluate -> sample on the embedded digits, with tiny settings."""

import json
import math

import pytest

PNG = b"\x89PNG\r\n\x1a\n"
DIM = 64
# Expected free parameters on 64 pixels: Markov 2D - 1, FVSBN D(D + 1) / 2.
NUM_PARAMETERS = {"markov": 2 * DIM - 1, "fvsbn": DIM * (DIM + 1) // 2}
FAST = ("--dataset", "digits", "--epochs", 2, "--lr", 1e-2, "--threads", 1)


def is_png(path):
    return path.is_file() and path.read_bytes()[:8] == PNG


@pytest.mark.parametrize("model", ["markov", "fvsbn"])
def test_train_evaluate_sample(model, tmp_path, cli, last_json_line):
    run = tmp_path / model
    code, out, err = cli("train", "--model", model, *FAST, "--out", run)
    assert code == 0, err
    for name in ("model.pt", "config.json", "history.json", "metrics.json", "samples.png"):
        assert (run / name).is_file(), name
    assert is_png(run / "samples.png")
    assert is_png(run / "training_curves.png") == (model == "fvsbn")

    metrics = json.loads((run / "metrics.json").read_text())
    assert last_json_line(out) == metrics
    assert metrics["estimator"] == "exact" and metrics["split"] == "test"
    assert metrics["num_parameters"] == NUM_PARAMETERS[model]
    # Better than the uniform distribution's D ln 2 nats, and bits/dim is its rescaling.
    assert 5 < metrics["nll_nats"] < DIM * math.log(2)
    assert metrics["bits_per_dim"] == pytest.approx(metrics["nll_nats"] / (DIM * math.log(2)))
    assert 0 < metrics["stderr_nats"] < 2
    assert metrics["n"] == 180 and metrics["seed"] == 0
    assert metrics["epochs"] == (2 if model == "fvsbn" else 0)
    history = json.loads((run / "history.json").read_text())
    assert len(history["epochs"]) == metrics["epochs"]

    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt")
    assert code == 0, err
    scored = last_json_line(out)
    assert scored["nll_nats"] == metrics["nll_nats"]  # exactly: same tensors, same data
    assert scored["stderr_nats"] == metrics["stderr_nats"]
    assert scored["n"] == metrics["n"] and scored["split"] == "test"

    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt", "--split", "valid")
    assert code == 0, err
    assert last_json_line(out)["nll_nats"] != metrics["nll_nats"]

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for path in (a, b):
        code, _, err = cli("sample", "--checkpoint", run / "model.pt", "--num", 16,
                           "--out", path, "--seed", 3)
        assert code == 0, err
    assert is_png(a) and a.read_bytes() == b.read_bytes()


def test_resume_matches_an_uninterrupted_run(tmp_path, cli, last_json_line):
    args = ("train", "--model", "fvsbn", "--dataset", "digits", "--lr", 1e-2, "--threads", 1)
    code, out, err = cli(*args, "--epochs", 3, "--out", tmp_path / "straight")
    assert code == 0, err
    straight = last_json_line(out)
    code, _, err = cli(*args, "--epochs", 2, "--out", tmp_path / "resumed")
    assert code == 0, err
    code, out, err = cli(*args, "--epochs", 3, "--out", tmp_path / "resumed", "--resume")
    assert code == 0, err
    resumed = last_json_line(out)
    assert resumed["epochs"] == 3
    assert resumed["nll_nats"] == straight["nll_nats"]


def test_random_order_is_saved_with_the_model(tmp_path, cli, last_json_line):
    run = tmp_path / "markov_random"
    code, out, err = cli("train", "--model", "markov", "--dataset", "digits", "--order",
                         "random", "--out", run, "--seed", 1)
    assert code == 0, err
    trained = last_json_line(out)
    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt")
    assert code == 0, err
    assert last_json_line(out)["nll_nats"] == trained["nll_nats"]
