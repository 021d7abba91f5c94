"""The toy-mixture benchmark runs its recipe end to end at its smoke budget, through the same
code path as ``ppl-models train --recipe``, with each configuration's overrides."""

import json

import pytest
import torch

from inference.cli.main import main

TINY = ["--smoke", "--seeds", "0", "--mixtures", "ring", "--configs", "non_saturating"]


def _config(out, name):
    return json.loads((out / name / "config.json").read_text())


def test_one_json_line_with_the_floor_and_each_configuration(load_benchmark, capsys,
                                                             tmp_path):
    result = load_benchmark("gan_toy_mixtures").main(
        TINY + ["--out", str(tmp_path), "--set", "ema_decay=0.9"])
    printed = capsys.readouterr()
    assert json.loads(printed.out.strip()) == result
    ring = result["results"]["ring"]
    assert ring["true_mixture"]["modes"] == 8 and ring["true_mixture"]["high_quality"] > 0.9
    run = ring["non_saturating"]
    assert 0 <= run["modes"] <= 8 and 0.0 <= run["high_quality"] <= 1.0
    assert run["n_seeds"] == 1 and run["last_epoch_modes"] is not None
    assert result["overrides"] == {"ema_decay": 0.9}
    # The recipe's settings, the smoke budget and the --set reached the run.
    config = _config(tmp_path, "ring_non_saturating_seed0")
    assert config["ema_decay"] == 0.9 and config["gan_decay_from"] == 0.5
    assert config["epochs"] == 2 and config["train_size"] == 400
    # Each run's figures are on stderr as it finishes.
    progress = json.loads(printed.err.strip().splitlines()[-1])
    assert progress["config"] == "non_saturating" and progress["modes"] == run["modes"]


def test_pacgan_takes_pack_times_the_batch_and_the_epochs(load_benchmark, tmp_path):
    bench = load_benchmark("gan_toy_mixtures")
    bench.main(["--smoke", "--seeds", "0", "--mixtures", "grid", "--configs", "pacgan4",
                "--out", str(tmp_path)])
    config = _config(tmp_path, "grid_pacgan4_seed0")
    assert config["pack"] == 4 and config["gan_loss"] == "non_saturating"
    # The same updates as a pack-1 run: 4 x the batch of 100 and 4 x the 2 smoke epochs.
    assert config["batch_size"] == 400 and config["epochs"] == 8
    assert config["dataset"] == "grid"


def test_the_benchmark_and_train_recipe_write_the_same_model(load_benchmark, tmp_path):
    bench = load_benchmark("gan_toy_mixtures")
    bench.main(TINY + ["--out", str(tmp_path / "benchmark"), "--set", "d_steps=2"])
    settings = {"seed": 0, "threads": 1, **bench.SMOKE, "d_steps": 2, "dataset": "ring",
                **bench.CONFIGS["non_saturating"]}
    words = ["train", "--recipe", "gan_toy_mixtures", "--out", str(tmp_path / "cli")]
    for key, value in settings.items():
        words += [f"--{key.replace('_', '-')}",
                  *(map(str, value) if isinstance(value, list) else [str(value)])]
    assert main(words) == 0
    a = torch.load(tmp_path / "benchmark" / "ring_non_saturating_seed0" / "model.pt",
                   weights_only=True)["state"]
    b = torch.load(tmp_path / "cli" / "model.pt", weights_only=True)["state"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("setting", ["gan_decay_from=1.0", "ema_decay=1.5", "d_steps=0"])
def test_bad_settings_are_refused(load_benchmark, tmp_path, setting):
    with pytest.raises(RuntimeError, match="failed"):
        load_benchmark("gan_toy_mixtures").main(TINY + ["--out", str(tmp_path), "--set",
                                                        setting])
