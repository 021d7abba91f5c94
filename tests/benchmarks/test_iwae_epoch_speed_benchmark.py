"""The IWAE epoch benchmark runs end to end at a tiny size and prints its one JSON line."""

import json

import pytest


def test_tiny_run_times_both_particle_draws_and_a_vectorised_epoch(load_benchmark, capsys):
    bench = load_benchmark("iwae_epoch_speed")
    result = bench.main(bench.parse_args(["--set", "dataset=digits", "--set", "particles=3",
                                          "--set", "vae_hidden=[8]", "--set", "latent_dim=2",
                                          "--batches", "4", "--threads", "1"]))
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["dataset"] == "digits" and result["particles"] == 3
    # 1,437 training digits in the recipe's batches of 20.
    assert result["updates_per_epoch"] == 72 and result["interleaved_batches"] == 4
    assert set(result["seconds_per_update"]) == {"vectorized", "sequential"}
    seconds = result["seconds_per_update"]
    assert result["ratio_sequential_over_vectorized"] == pytest.approx(
        seconds["sequential"] / seconds["vectorized"], rel=0.02)  # both rounded
    assert result["vectorized_epoch_seconds"] > 0 and result["vectorized_epoch_valid_elbo"] < 0
    assert set(result["load_average"]) == {"before", "after_interleaved", "after_epoch"}
