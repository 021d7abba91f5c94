"""``train --valid-size N`` validates on a fixed random subset of N validation images: the
kept epoch is chosen on those images, the run records N, and its reloaded splits are the
same subset."""

import pytest
import torch

from inference.cli.recipe_run import load_run
from inference.recipes import Recipe
from ppl_models.data import load_dataset


def test_the_kept_epoch_is_scored_on_the_same_random_subset_every_run(tmp_path, cli):
    runs = []
    for name in ("a", "b"):
        code, _, err = cli("train", "--model", "nade", "--hidden", 4, "--dataset", "digits",
                           "--valid-size", 50, "--epochs", 2, "--threads", 1, "--out",
                           tmp_path / name)
        assert code == 0, err
        runs.append(load_run(tmp_path / name))
    whole = load_dataset("digits", seed=0)
    valid = runs[0].splits.valid
    assert len(valid) == 50 and torch.equal(valid, runs[1].splits.valid)
    # A subset of the validation images, in their order, and not simply the first 50.
    rows = [int((whole.valid == v).flatten(1).all(1).nonzero()[0]) for v in valid]
    assert rows == sorted(rows) and rows != list(range(50))
    assert torch.equal(runs[0].splits.train, whole.train)
    assert torch.equal(runs[0].splits.test, whole.test)
    # The best epoch's validation NLL is the kept model's on exactly those 50 images.
    best = runs[0].history["best_valid_loss"]
    exact = -runs[0].model().log_prob(runs[0].splits.flat("valid")).mean().item()
    assert best == pytest.approx(exact, rel=1e-5)
    assert runs[0].config["valid_size"] == 50
    assert Recipe.load(tmp_path / "a" / "recipe.toml").settings["data"]["valid_size"] == 50


@pytest.mark.parametrize("size, match", [(0, "--valid-size must be a positive integer"),
                                         (10 ** 6, "--valid-size 1000000: digits has")])
def test_a_validation_size_that_cannot_be_met_is_refused(size, match, tmp_path, cli):
    code, _, err = cli("train", "--model", "independent", "--dataset", "digits",
                       "--valid-size", size, "--out", tmp_path / "r")
    assert code == 2 and match in err, err
