"""The conditional-GAN benchmark runs its recipe end to end on MNIST-5k (embedded, no files)
at its smoke budget, through ``ppl-models train --recipe``, and reports every figure, with
its floor, ceiling and untrained baseline, in range."""

import json
import math

import torch

from inference.cli.recipe_run import load_run

TINY = ["--smoke", "--n-per-class", "20"]


def test_json_keys_ranges_and_baselines(load_benchmark, capsys, tmp_path):
    result = load_benchmark("conditional_gan_mnist").main(TINY + ["--out", str(tmp_path)])
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and json.loads(printed[0]) == result
    assert result["epochs"] == 1 and result["n_train"] == 256
    assert result["recipe"]["name"] == "conditional_gan_mnist"
    for key in ("label_accuracy", "baseline_untrained_label_accuracy",
                "classifier_real_test_accuracy"):
        assert 0.0 <= result[key] <= 1.0
    for key in ("label_accuracy_per_class", "baseline_untrained_label_accuracy_per_class",
                "classifier_real_test_accuracy_per_class", "fid_per_class",
                "fid_real_vs_real_per_class"):
        assert len(result[key]) == 10
    for key in ("label_accuracy_per_class", "baseline_untrained_label_accuracy_per_class"):
        assert all(0.0 <= a <= 1.0 for a in result[key])
        # 20 samples per class: each class's accuracy is a multiple of 1/20.
        assert all(abs(a * 20 - round(a * 20)) < 1e-6 for a in result[key])
    # The overall accuracy is the mean of the (equal-sized) classes'.
    assert math.isclose(result["label_accuracy"],
                        sum(result["label_accuracy_per_class"]) / 10, abs_tol=1e-3)
    for key in ("fid", "fid_real_vs_real", "baseline_untrained_fid"):
        assert math.isfinite(result[key]) and result[key] >= 0
    # 20 images a class is fewer than the 64 features a covariance needs: no per-class FID
    # (frechet_distance refuses it) rather than a number that means nothing.
    assert all(f is None or (math.isfinite(f) and f >= 0) for f in result["fid_per_class"]
               + result["fid_real_vs_real_per_class"])
    # The ceiling is a trained classifier on real digits; the floor is far below one epoch
    # of a 16-wide GAN on 256 images.
    assert result["classifier_real_test_accuracy"] > 0.8
    assert result["fid_real_vs_real"] < result["fid"]
    assert result["chance"] == 0.1 and len(result["valid_fid_by_epoch"]) == 1
    assert result["classifier"]["weights_sha256"]


def test_the_untrained_baseline_is_the_runs_initial_generator(load_benchmark, tmp_path):
    """Built from the run's seed as train builds it: trained from there for an epoch it is
    not the run's model, but its architecture and initial weights are train's."""
    bench = load_benchmark("conditional_gan_mnist")
    bench.main(TINY + ["--out", str(tmp_path)])
    run = load_run(tmp_path)
    start = bench.untrained(run)
    again = bench.untrained(run)
    assert start.config == run.model.config
    trained, initial = run.model.state_dict(), start.state_dict()
    assert all(torch.equal(initial[k], again.state_dict()[k]) for k in initial)
    assert any(not torch.equal(initial[k], trained[k]) for k in initial)
