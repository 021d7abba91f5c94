"""``train --holdout-class K`` removes class K from the training and validation splits and
keeps it in the test split; the exact family's ``--perturb RATE`` fits a likelihood ratio's
background to inputs perturbed at that rate. Both are recorded, and refused where they mean
nothing."""

import json
import math
import re

import numpy as np
import pytest
import torch

from inference.cli.recipe_run import load_run
from inference.recipes import Recipe
from ppl_models.data import load_dataset, perturb_binary
from ppl_models.distributions import IndependentBernoulli


def test_a_held_out_class_leaves_training_and_validation_and_stays_in_test(tmp_path, cli):
    code, _, err = cli("train", "--model", "independent", "--dataset", "digits",
                       "--holdout-class", 3, "--threads", 1, "--out", tmp_path)
    assert code == 0, err
    whole = load_dataset("digits", seed=0)
    run = load_run(tmp_path)
    splits = run.splits
    for split in ("train", "valid"):
        labels = splits.labels(split)
        assert 3 not in labels.tolist()
        # Only class 3 went: every other image is still there, in its order.
        keep = whole.labels(split) != 3
        assert torch.equal(labels, whole.labels(split)[keep])
        assert torch.equal(splits.images(split), whole.images(split)[keep])
    assert torch.equal(splits.test, whole.test) and (splits.test_labels == 3).sum() > 10
    # train itself fitted on the reduced split (not only TrainedRun.splits reading it so).
    expected = IndependentBernoulli(64).fit(splits.flat("train"), alpha=1.0, beta=1.0)
    assert torch.allclose(run.model.table, expected.table)
    everything = IndependentBernoulli(64).fit(whole.flat("train"), alpha=1.0, beta=1.0)
    assert not torch.allclose(run.model.table, everything.table)
    assert run.config["holdout_class"] == 3
    assert Recipe.load(tmp_path / "recipe.toml").settings["data"]["holdout_class"] == 3


def test_the_training_size_counts_the_kept_classes(tmp_path, cli):
    code, _, err = cli("train", "--model", "independent", "--dataset", "digits",
                       "--holdout-class", 0, "--train-size", 100, "--threads", 1, "--out",
                       tmp_path)
    assert code == 0, err
    train_labels = load_run(tmp_path).splits.train_labels
    assert len(train_labels) == 100 and 0 not in train_labels.tolist()


@pytest.mark.parametrize("argv, match", [
    (("--model", "gan", "--dataset", "ring", "--holdout-class", 0),
     r"--holdout-class: --dataset ring has no labels"),
    (("--model", "independent", "--dataset", "digits", "--holdout-class", 10),
     r"--holdout-class 10: digits's training labels are \[0, 1"),
])
def test_a_class_that_cannot_be_held_out_is_refused(argv, match, tmp_path, cli):
    code, _, err = cli("train", *argv, "--epochs", 1, "--threads", 1, "--out", tmp_path / "r")
    assert code == 2 and re.search(match, err), err
    assert not (tmp_path / "r" / "config.json").exists()


def test_binarized_mnist_has_no_labels_to_hold_out(tmp_path, cli):
    rows = np.packbits(np.random.default_rng(0).integers(0, 2, (20, 784), dtype=np.uint8),
                       axis=1)
    np.savez(tmp_path / "binarized_mnist.npz", train=rows, valid=rows[:5], test=rows[:5])
    code, _, err = cli("train", "--model", "independent", "--dataset", "binarized_mnist",
                       "--data-path", tmp_path / "binarized_mnist.npz", "--holdout-class", 9,
                       "--out", tmp_path / "r")
    assert code == 2 and "--dataset binarized_mnist has no labels" in err, err


def test_perturb_fits_a_table_to_the_perturbed_training_images(tmp_path, cli):
    code, _, err = cli("train", "--model", "independent", "--dataset", "digits", "--perturb",
                       0.3, "--seed", 2, "--threads", 1, "--out", tmp_path / "bg")
    assert code == 0, err
    assert cli("train", "--model", "independent", "--dataset", "digits", "--seed", 2,
               "--threads", 1, "--out", tmp_path / "clean")[0] == 0
    bg, clean = load_run(tmp_path / "bg"), load_run(tmp_path / "clean")
    train = clean.splits.flat("train")
    flipped = perturb_binary(train, 0.3, generator=torch.Generator().manual_seed(2))
    expected = IndependentBernoulli(64).fit(flipped, alpha=1.0, beta=1.0)
    assert torch.allclose(bg.model.table, expected.table)
    # Coin flips pull every pixel's probability towards 1/2.
    spread = {name: (run.model.table - 0.5).abs().mean().item()
              for name, run in (("bg", bg), ("clean", clean))}
    assert spread["bg"] < 0.8 * spread["clean"]
    assert bg.config["perturb"] == 0.3 and clean.config["perturb"] is None
    assert "perturbed at rate 0.3" in bg.metrics["fit"]
    assert "perturb" not in clean.metrics["fit"]
    assert Recipe.load(tmp_path / "bg" / "recipe.toml").flat()["perturb"] == 0.3


def test_perturb_changes_a_network_fit_by_gradients(tmp_path, cli):
    common = ("train", "--model", "nade", "--hidden", 4, "--dataset", "digits", "--train-size",
              300, "--epochs", 1, "--threads", 1)
    assert cli(*common, "--out", tmp_path / "clean")[0] == 0
    code, _, err = cli(*common, "--perturb", 0.5, "--out", tmp_path / "bg")
    assert code == 0, err
    bg = torch.load(tmp_path / "bg" / "model.pt", weights_only=True)["state"]
    clean = torch.load(tmp_path / "clean" / "model.pt", weights_only=True)["state"]
    assert bg.keys() == clean.keys()
    assert any(not torch.equal(bg[k], clean[k]) for k in bg)
    metrics = json.loads((tmp_path / "bg" / "metrics.json").read_text())
    # Selected on perturbed validation images, scored on the clean test images.
    assert "maximum likelihood" in metrics["fit"] and "perturbed at rate 0.5" in metrics["fit"]
    assert math.isfinite(metrics["nll_nats"])


@pytest.mark.parametrize("argv, match", [
    (("--model", "nade", "--dataset", "digits", "--perturb", 1.5),
     r"--perturb must be a rate in \[0, 1\], got 1.5"),
    (("--model", "independent", "--dataset", "digits", "--perturb", -0.1),
     r"--perturb must be a rate in \[0, 1\], got -0.1"),
    (("--model", "nade", "--dataset", "digits", "--perturb", "nan"),
     r"--perturb must be a rate in \[0, 1\], got nan"),
    (("--model", "vae", "--dataset", "digits", "--perturb", 0.1),
     r"--perturb applies only to --model .*nade.*not --model vae"),
    (("--model", "rnade", "--dataset", "boston", "--perturb", 0.1),
     r"--perturb replaces binary pixels.*--dataset boston"),
])
def test_a_rate_outside_the_unit_interval_or_for_other_data_is_refused(argv, match, tmp_path,
                                                                        cli):
    code, _, err = cli("train", *argv, "--epochs", 1, "--threads", 1, "--out", tmp_path / "r")
    assert code == 2 and re.search(match, err), err
    assert not (tmp_path / "r" / "config.json").exists()
