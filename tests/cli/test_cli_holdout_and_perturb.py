"""``train --holdout-class K`` removes class K from the training and validation splits and
keeps it in the test split; it is recorded, and refused where it means nothing."""

import re

import numpy as np
import pytest
import torch

from inference.cli.recipe_run import load_run
from inference.recipes import Recipe
from ppl_models.data import load_dataset
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
