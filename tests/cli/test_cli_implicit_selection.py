"""The implicit family keeps the epoch whose samples measure best, not the last one.

Each run below is seeded so that its last epoch is measurably worse than an earlier one (the
test checks that first, so a change in the training dynamics shows up as a failed
precondition, not as a silent pass); the ring GAN's dynamics differ between CPUs, so its
test takes the first of a few seeds that ends below its best. The saved model is then
scored again with the selection's own draws: it must reproduce the best epoch's recorded
number exactly (same weights, same seeded draws, same features), which the last epoch's
weights do not.
"""

import json

import pytest

from inference.cli.families.sample_selection import (
    FEATURE_DATASETS,
    coverage_scores,
    selection_samples,
    selection_seed,
)
from inference.metrics import feature_classifier, frechet_distance
from inference.persistence import load_model
from ppl_models.data import load_dataset

SEED = 0


def _history(run):
    history = json.loads((run / "history.json").read_text())
    return history, history["epochs"]


def _check_an_earlier_epoch_was_kept(run, key, mode):
    """The recorded best and last values of ``valid_<key>``, after checking that the best
    epoch is the optimum, is not the last, and is what metrics.json reports."""
    history, epochs = _history(run)
    values = [e[f"valid_{key}"] for e in epochs]
    best = history["best_epoch"]
    optimum = max(values) if mode == "max" else min(values)
    # Precondition: in this seeded run the last epoch is worse than the best.
    assert best < len(values) and values[-1] != optimum, values
    assert values[best - 1] == optimum
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["best_epoch"] == best
    assert metrics["selected_by"] == {"monitor": f"valid_{key}", "mode": mode,
                                      "value": optimum}
    return optimum, values[-1]


def _ring_run_ending_below_its_best(tmp_path, cli, seeds=(0, 1, 2, 3)):
    """The first seed whose ring-GAN run ends strictly below its best epoch, and that run.
    Which seed it is depends on the machine (vectorised RNG fill and reduction order differ
    between CPUs: seed 0 ends below its best on one and at its best on an AVX-512 machine),
    not on what the selection promises, so the test looks for such a run."""
    for seed in seeds:
        run = tmp_path / f"ring{seed}"
        code, _, err = cli("train", "--model", "gan", "--dataset", "ring", "--gan-hidden", 32,
                           32, "--epochs", 8, "--gan-lr", 5e-3, "--batch-size", 500,
                           "--eval-samples", 500, "--threads", 1, "--seed", seed, "--out", run)
        assert code == 0, err
        _, epochs = _history(run)
        values = [e["valid_coverage_score"] for e in epochs]
        if values[-1] < max(values):
            return seed, run
    raise AssertionError(f"every seed in {seeds} ended at its best epoch")


def test_the_ring_gan_keeps_its_best_coverage_epoch(tmp_path, cli):
    seed, run = _ring_run_ending_below_its_best(tmp_path, cli)
    best, last = _check_an_earlier_epoch_was_kept(run, "coverage_score", "max")
    model, _ = load_model(run / "model.pt")
    again = coverage_scores(model, "ring", 500, selection_seed(seed))["coverage_score"]
    assert again == best != last  # exact: the same computation on the same weights


def test_the_dcgan_keeps_its_best_validation_fid_epoch(tmp_path, cli):
    run = tmp_path / "dcgan"
    code, _, err = cli("train", "--model", "dcgan", "--dataset", "digits", "--latent-dim", 8,
                       "--dcgan-channels", 4, "--batch-size", 100, "--gan-lr", 2e-3,
                       "--eval-samples", 100, "--epochs", 5, "--threads", 1, "--seed", SEED,
                       "--out", run)
    assert code == 0, err
    best, last = _check_an_earlier_epoch_was_kept(run, "fid", "min")
    model, _ = load_model(run / "model.pt")
    splits = load_dataset("digits", binarize="threshold", seed=SEED)
    classifier, _ = feature_classifier(FEATURE_DATASETS[(1, 8, 8)], seed=0)
    real = splits.images("valid")[:100]
    fake = selection_samples(model, len(real), selection_seed(SEED))
    again = frechet_distance(real, fake, classifier)["fid"]
    # Same weights, draws and features; float32 feature sums in another batch layout can
    # move the last digits, so 1e-6 relative, far below the gap between epochs (> 5 %).
    assert again == pytest.approx(best, rel=1e-6) and abs(best - last) > 0.05 * best


def test_patience_stops_on_the_sample_metric(tmp_path, cli):
    run = tmp_path / "ring"
    code, _, err = cli("train", "--model", "gan", "--dataset", "ring", "--gan-hidden", 32, 32,
                       "--epochs", 8, "--gan-lr", 5e-3, "--batch-size", 500,
                       "--eval-samples", 500, "--threads", 1, "--seed", SEED,
                       "--patience", 1, "--out", run)
    assert code == 0, err
    history, epochs = _history(run)
    # The seed-0 ring run up to its first epoch without improvement, which ends it.
    values = [e["valid_coverage_score"] for e in epochs]
    assert len(values) < 8 and values[-1] <= max(values[:-1])
    assert all(b > a for a, b in zip(values[:-2], values[1:-1], strict=True))
