"""The implicit kinds whose games need more than images, trained from the command line: the
data their game's batches take is made from one data set (labels, captions, attribute
domains, two unpaired domains), they resume exactly, ``sample --condition`` draws with what
they are conditioned on, and ``evaluate`` prints the same kind-specific metrics as
``train``."""

import json

import pytest

from inference.persistence import load_model

COMMON = ("--dataset", "digits", "--batch-size", 64, "--gan-lr", 1e-3, "--eval-samples", 100,
          "--threads", 1)
KINDS = {
    "conditional_gan": ("--latent-dim", 4, "--conditional-channels", 2,
                        "--conditional-hidden", 8),
    "text_to_image": ("--latent-dim", 4, "--t2i-channels", 2, "--t2i-hidden", 8,
                      "--t2i-text-dim", 4),
    "stargan": ("--stargan-channels", 2, "--stargan-blocks", 1),
    "cyclegan": ("--cyclegan-channels", 2, "--cyclegan-blocks", 1),
}
CONDITIONS = {"conditional_gan": ("3", "7"), "text_to_image": ("a thick upright seven",),
              "stargan": ("1", "0", "1"), "cyclegan": None}
SCORES = {"conditional_gan": {"label_accuracy"}, "text_to_image": {"label_accuracy"},
          "stargan": {"label_accuracy", "attribute_accuracy"}, "cyclegan": {"label_accuracy"}}


def _train(cli, kind, out, epochs, *extra):
    return cli("train", "--model", kind, *KINDS[kind], *COMMON, "--epochs", epochs,
               "--out", out, *extra)


@pytest.mark.parametrize("kind", KINDS)
def test_train_evaluate_and_sample_with_a_condition(kind, tmp_path, cli, last_json_line):
    run = tmp_path / kind
    code, out, err = _train(cli, kind, run, 1)
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["estimator"] == "sample metrics (no likelihood)"
    assert SCORES[kind] <= metrics.keys() and 0 <= metrics["label_accuracy"] <= 1
    assert metrics["fit"].startswith(f"{_game(kind)} game")
    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt", "--eval-samples", 100)
    assert code == 0, err
    scored = last_json_line(out)
    for key in SCORES[kind] | {"fid"}:
        assert scored[key] == metrics[key], key
    condition = CONDITIONS[kind]
    argv = ("sample", "--checkpoint", run / "model.pt", "--num", 6, "--out", tmp_path / "s.png")
    code, _, err = cli(*argv, *(("--condition", *condition) if condition else ()))
    assert code == 0, err
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, _, err = cli(*argv)  # the test split's own conditions
    assert code == 0, err


def _game(kind):
    from ppl_models import registry

    return registry.entry(kind).game


@pytest.mark.parametrize("kind", KINDS)
def test_resume_matches_an_uninterrupted_run(kind, tmp_path, cli):
    code, _, err = _train(cli, kind, tmp_path / "straight", 2)
    assert code == 0, err
    code, _, err = _train(cli, kind, tmp_path / "resumed", 1)
    assert code == 0, err
    code, _, err = _train(cli, kind, tmp_path / "resumed", 2, "--resume")
    assert code == 0, err
    a, _ = load_model(tmp_path / "straight" / "model.pt")
    b, _ = load_model(tmp_path / "resumed" / "model.pt")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert (x == y).all(), name


@pytest.mark.parametrize("kind, condition, match", [
    ("conditional_gan", ("three",), "whole numbers"),
    ("stargan", ("1", "0"), "3 target attributes"),
    ("cyclegan", ("1",), "nothing to give"),
])
def test_a_bad_condition_is_refused(kind, condition, match, tmp_path, cli):
    code, _, err = _train(cli, kind, tmp_path / kind, 1)
    assert code == 0, err
    code, _, err = cli("sample", "--checkpoint", tmp_path / kind / "model.pt", "--num", 4,
                       "--condition", *condition, "--out", tmp_path / "s.png")
    assert code != 0 and match in err


def test_a_wasserstein_critic_gets_a_gradient_penalty(tmp_path, cli):
    code, _, err = cli("train", "--model", "dcgan", "--dataset", "digits", "--latent-dim", 4,
                       "--dcgan-channels", 2, "--gan-loss", "wasserstein", "--epochs", 1,
                       "--eval-samples", 100, "--threads", 1, "--out", tmp_path / "w")
    assert code == 0, err
    fit = json.loads((tmp_path / "w" / "metrics.json").read_text())["fit"]
    assert "wasserstein losses, gp 10" in fit
