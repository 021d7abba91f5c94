"""The implicit kinds whose games need more than images, trained from the command line: the
data their game's batches take is made from one data set (labels, captions, attribute
domains, two unpaired domains), they resume exactly, ``sample --condition`` draws with what
they are conditioned on, and ``evaluate`` prints the same kind-specific metrics as
``train``."""

import json
import re

import pytest
import torch
from nested_equal import nested_equal

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
    # The last epoch's whole state (both players, optimisers, the game's own, every RNG),
    # not only the kept model.pt, which may be the first epoch's in both runs.
    a, b = (torch.load(tmp_path / run / "checkpoints" / "last.pt", weights_only=True)
            for run in ("straight", "resumed"))
    assert nested_equal(a["step"], b["step"])
    assert nested_equal(a["step_per_rank"], b["step_per_rank"])
    assert a["epoch"] == b["epoch"] == 2


@pytest.mark.parametrize("kind, condition, match", [
    ("conditional_gan", ("three",), "whole numbers"),
    ("stargan", ("1", "0"), "3 target attributes"),
    ("cyclegan", ("1",), "one .pt or .png file"),
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


def test_puzzle_gan_completes_the_test_splits_images_and_scores_their_masks(tmp_path, cli):
    code, _, err = cli("train", "--model", "puzzle_gan", "--puzzle-channels", 2, "--patch-size",
                       4, *COMMON, "--epochs", 1, "--out", tmp_path / "p")
    assert code == 0, err
    metrics = json.loads((tmp_path / "p" / "metrics.json").read_text())
    assert 0 <= metrics["mask_iou"] <= 1 and 0 <= metrics["label_accuracy"] <= 1


@pytest.mark.parametrize("argv, match", [
    (("--model", "gan", "--dataset", "digits"), "not images in \\[0, 1\\]"),
    (("--model", "conditional_gan", "--dataset", "ring"), "ring \\(2-D points\\)"),
    (("--model", "conditional_gan", "--dataset", "digits", "--num-classes", 5),
     "--num-classes must be at least 10"),
    (("--model", "dcgan", "--dataset", "digits", "--gan-loss", "wasserstein", "--gp", 0),
     "Lipschitz"),
    (("--model", "cyclegan", "--dataset", "digits", "--gp", 10), "no R1 or WGAN-GP"),
])
def test_a_kind_given_data_or_options_it_cannot_use_is_refused_before_training(argv, match,
                                                                               tmp_path, cli):
    code, _, err = cli("train", *argv, "--epochs", 1, "--threads", 1, "--out", tmp_path / "r")
    assert code == 2 and re.search(match, err), err
    assert not (tmp_path / "r" / "checkpoints" / "last.pt").exists()


def test_cyclegan_translates_the_digits_into_mnist(tmp_path, cli):
    # The two domains differ in size (180 test digits, 500 MNIST-5k test images): as many
    # samples are scored as there are inputs to translate, whatever --eval-samples asks.
    code, _, err = cli("train", "--model", "cyclegan", *KINDS["cyclegan"], "--dataset",
                       "digits_to_mnist", "--batch-size", 64, "--epochs", 1,
                       "--eval-samples", 300, "--threads", 1, "--out", tmp_path / "c")
    assert code == 0, err
    metrics = json.loads((tmp_path / "c" / "metrics.json").read_text())
    assert metrics["n"] == 180 and 0 <= metrics["label_accuracy"] <= 1
    assert metrics["extractor"].startswith("FeatureClassifier(mnist5k")


def test_a_translator_samples_the_images_of_a_file(tmp_path, cli):
    code, _, err = _train(cli, "cyclegan", tmp_path / "c", 1)
    assert code == 0, err
    torch.save(torch.rand(3, 1, 8, 8), tmp_path / "inputs.pt")
    argv = ("sample", "--checkpoint", tmp_path / "c" / "model.pt", "--num", 6)
    code, _, err = cli(*argv, "--condition", tmp_path / "inputs.pt", "--out", tmp_path / "s")
    assert code == 0, err and (tmp_path / "s.png").is_file()
    import matplotlib.pyplot as plt

    plt.imsave(tmp_path / "one.png", torch.rand(8, 8).numpy(), cmap="gray")
    code, _, err = cli(*argv, "--condition", tmp_path / "one.png", "--out", tmp_path / "t")
    assert code == 0, err
    torch.save(torch.rand(3, 1, 28, 28), tmp_path / "big.pt")
    code, _, err = cli(*argv, "--condition", tmp_path / "big.pt", "--out", tmp_path / "u")
    assert code == 2 and "the model takes (1, 8, 8)" in err


def test_infogan_samples_the_categorical_code_given(tmp_path, cli):
    code, _, err = cli("train", "--model", "infogan", "--latent-dim", 4, "--infogan-channels", 2,
                       "--infogan-hidden", 8, *COMMON, "--epochs", 1, "--out", tmp_path / "i")
    assert code == 0, err
    argv = ("sample", "--checkpoint", tmp_path / "i" / "model.pt", "--num", 4,
            "--out", tmp_path / "s.png")
    code, _, err = cli(*argv, "--condition", 3, 7)
    assert code == 0, err
    code, _, err = cli(*argv, "--condition", 12)
    assert code == 2 and "[0, 10)" in err
