"""The implicit family on the command line: trained by the game, scored by sample metrics
only, resumed exactly, and its options refused for other families."""

import json

import pytest

from inference.persistence import load_model

PNG = b"\x89PNG\r\n\x1a\n"
FAST = ("--dataset", "digits", "--latent-dim", 8, "--dcgan-channels", 4, "--batch-size", 100,
        "--gan-lr", 2e-4, "--eval-samples", 100, "--threads", 1)


def test_train_evaluate_sample_a_dcgan(tmp_path, cli, last_json_line):
    run = tmp_path / "dcgan"
    code, out, err = cli("train", "--model", "dcgan", *FAST, "--epochs", 2, "--out", run)
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    assert last_json_line(out) == metrics
    assert metrics["estimator"] == "sample metrics (no likelihood)"
    assert not any(k.startswith(("nll", "bits")) for k in metrics)  # never a likelihood
    assert metrics["fid"] > 0 and metrics["fid_train_vs_split"] > 0 and metrics["n"] == 100
    # The class histogram reads ten rounds of n draws: its plug-in KL's upward bias
    # (C - 1) / (2 m) is then 0.0045 nats at n = 100, not 0.045.
    assert metrics["histogram_samples"] == 1000
    assert len(metrics["extractor_sha256"]) == 64 and metrics["epochs"] == 2
    for name in ("samples.png", "adversarial_losses.png"):
        assert (run / name).read_bytes()[:8] == PNG, name

    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt", "--eval-samples", 100)
    assert code == 0, err
    scored = last_json_line(out)
    # Same weights, same seeded draws, same features: the same number.
    assert scored["fid"] == metrics["fid"] and scored["kid"] == metrics["kid"]
    assert scored["class_kl_to_uniform"] == metrics["class_kl_to_uniform"]

    code, _, err = cli("sample", "--checkpoint", run / "model.pt", "--num", 16,
                       "--out", tmp_path / "s.png")
    assert code == 0, err and (tmp_path / "s.png").read_bytes()[:8] == PNG


def test_resume_matches_an_uninterrupted_run(tmp_path, cli, last_json_line):
    args = ("train", "--model", "dcgan", *FAST)
    code, out, err = cli(*args, "--epochs", 2, "--out", tmp_path / "straight")
    assert code == 0, err
    code, _, err = cli(*args, "--epochs", 1, "--out", tmp_path / "resumed")
    assert code == 0, err
    code, out, err = cli(*args, "--epochs", 2, "--out", tmp_path / "resumed", "--resume")
    assert code == 0, err
    a, _ = load_model(tmp_path / "straight" / "model.pt")
    b, _ = load_model(tmp_path / "resumed" / "model.pt")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert (x == y).all(), name


@pytest.mark.parametrize("argv, match", [
    (("--model", "nade", "--gan-loss", "hinge"), "--gan-loss"),
    (("--model", "dcgan", "--d-steps", 0), "--d-steps"),
    (("--model", "dcgan", "--gan-loss", "kl"), "--gan-loss"),
    (("--model", "dcgan", "--gan-betas", 0.5), "--gan-betas takes two numbers"),
    (("--model", "dcgan", "--gan-betas", 0.5, 1.0), "--gan-betas takes two numbers"),
])
def test_bad_options_are_refused(argv, match, tmp_path, cli):
    code, _, err = cli("train", *argv, "--dataset", "digits", "--out", tmp_path)
    assert code != 0 and match in err


def test_the_adam_betas_are_the_ones_given(tmp_path, cli):
    code, _, err = cli("train", "--model", "dcgan", *FAST, "--epochs", 1, "--gan-betas", 0,
                       0.99, "--out", tmp_path)
    assert code == 0, err
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert "betas (0, 0.99)" in metrics["fit"]


def test_the_gan_on_the_ring_is_scored_by_mode_coverage(tmp_path, cli, last_json_line):
    run = tmp_path / "ring"
    code, out, err = cli("train", "--model", "gan", "--dataset", "ring", "--gan-hidden", 16,
                         "--pack", 2, "--epochs", 1, "--gan-lr", 1e-3, "--threads", 1,
                         "--out", run)
    assert code == 0, err
    metrics = last_json_line(out)
    assert metrics["estimator"] == "sample metrics (no likelihood)"
    assert metrics["n_modes"] == 8 and metrics["n"] == 2500  # the PacGAN protocol's size
    assert 0 <= metrics["modes_captured"] <= 8 and "nll_nats" not in metrics
    assert metrics["binarize"] == "none (2-D points)"
    assert (run / "samples.png").read_bytes()[:8] == PNG  # a scatter over the modes
    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt")
    assert code == 0, err
    assert last_json_line(out)["high_quality"] == metrics["high_quality"]
    # A binary model refuses points.
    code, _, err = cli("train", "--model", "markov", "--dataset", "ring", "--out",
                       tmp_path / "m")
    assert code != 0


def test_the_aae_trains_from_the_command_line(tmp_path, cli, last_json_line):
    # Same family, so nothing of the CLI knows it is an AAE: its reconstruction term reaches
    # the update through the game its kind declares.
    code, out, err = cli("train", "--model", "aae", "--dataset", "digits", "--latent-dim", 2,
                         "--prior", "mixture", "--vae-hidden", 32, "--epochs", 1,
                         "--gan-lr", 1e-3, "--eval-samples", 100, "--threads", 1,
                         "--out", tmp_path / "aae")
    assert code == 0, err
    metrics = last_json_line(out)
    assert metrics["estimator"] == "sample metrics (no likelihood)" and metrics["fid"] > 0
    history = json.loads((tmp_path / "aae" / "history.json").read_text())
    assert "train_reconstruction" in history["epochs"][0]  # the reconstruction NLL, recorded


def test_the_generators_moving_average_is_selected_scored_and_saved(tmp_path, cli):
    code, _, err = cli("train", "--model", "gan", "--dataset", "ring", "--gan-hidden", 8,
                       "--epochs", 2, "--ema-decay", 0.9, "--eval-samples", 100,
                       "--threads", 1, "--out", tmp_path / "e")
    assert code == 0, err
    metrics = json.loads((tmp_path / "e" / "metrics.json").read_text())
    assert "generator EMA 0.9" in metrics["fit"]
    code, _, err = cli("train", "--model", "gan", "--dataset", "ring", "--ema-decay", 1.5,
                       "--out", tmp_path / "f")
    assert code == 2 and "--ema-decay must lie in (0, 1)" in err
