"""``evaluate --split train|valid`` on a run's own data scores the images the run trained
and validated on (its ``--holdout-class``, ``--train-size`` and ``--valid-size``), not the
whole data set's split; another data set is scored whole."""

import json

import pytest
import torch

from inference.cli.main import main
from inference.cli.recipe_run import load_run
from ppl_models.data import load_dataset


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    threads = torch.get_num_threads()
    code = main(["train", "--model", "nade", "--hidden", "4", "--dataset", "digits",
                 "--holdout-class", "3", "--train-size", "300", "--valid-size", "40",
                 "--epochs", "2", "--threads", "1", "--out", str(out)])
    torch.set_num_threads(threads)
    assert code == 0
    return load_run(out)


def _evaluate(cli, run, *argv):
    code, out, err = cli("evaluate", "--checkpoint", run.out / "model.pt", "--threads", 1,
                         *argv)
    assert code == 0, err
    return json.loads(out)


def test_the_validation_split_is_the_images_that_chose_the_epoch(run, cli):
    result = _evaluate(cli, run, "--split", "valid")
    assert result["n"] == 40
    # The kept epoch's validation NLL, computed by train on the same 40 images; the two
    # differ only by float32 rounding of per-batch sums (1e-5 relative is ~100 ulps).
    assert result["nll_nats"] == pytest.approx(run.history["best_valid_loss"], rel=1e-5)


def test_the_training_split_is_the_images_the_run_fitted(run, cli):
    result = _evaluate(cli, run, "--split", "train")
    assert result["n"] == 300
    exact = -run.model().log_prob(run.splits.flat("train")).mean().item()
    assert result["nll_nats"] == pytest.approx(exact, rel=1e-5)


def test_the_test_split_keeps_the_held_out_class(run, cli):
    assert _evaluate(cli, run)["n"] == len(load_dataset("digits", seed=0).test)


def test_another_seed_is_another_data_set_scored_whole(run, cli):
    whole = load_dataset("digits", seed=1)
    assert _evaluate(cli, run, "--split", "valid", "--seed", 1)["n"] == len(whole.valid)
