"""The AIS likelihood-table benchmark runs end to end with --smoke (sklearn digits, no
files) and prints its one JSON line."""

import json
import math

import pytest


def test_smoke_prints_one_table_with_a_bdmc_gap_for_every_ais_row(load_benchmark, capsys):
    result = load_benchmark("ais_mnist").main(["--smoke", "--threads", "1"])
    assert json.loads(capsys.readouterr().out.strip()) == result
    rows = {(r["model"], r["estimator"]): r for r in result["table"]}
    assert set(rows) == {("nade", "exact"), ("vae", "elbo (10 draws)"), ("vae", "iwae-50"),
                         ("vae", "ais"), ("aae", "ais"),
                         ("dcgan (bernoulli observation)", "ais")}
    assert result["n_test"] == 8 and result["smoke"] is True
    for r in result["table"]:
        assert math.isfinite(r["nll_nats"]) and r["nll_nats"] > 0
        if r["estimator"] == "ais":
            assert math.isfinite(r["bdmc_gap_nats"]) and r["bdmc"]["n"] == 4
            assert 0 < r["mean_acceptance"] <= 1
    # The ELBO bounds what IWAE bounds, on the same images with the same VAE; 10 ELBO draws
    # against IWAE-50: the gap (about 0.9 nats at seed 0) is above both averages' noise.
    assert rows[("vae", "iwae-50")]["nll_nats"] < rows[("vae", "elbo (10 draws)")]["nll_nats"]


def test_a_gaussian_observation_takes_its_sigma_from_validation_images(load_benchmark):
    result = load_benchmark("ais_mnist").main(
        ["--smoke", "--dcgan-observation", "gaussian", "--sigmas", "0.1", "0.3"])
    (dcgan,) = [r for r in result["table"] if r["model"].startswith("dcgan")]
    chosen = dcgan["sigma_selection"]
    assert chosen["sigmas"] == [0.1, 0.3] and chosen["sigma"] in (0.1, 0.3)
    best = max(chosen["valid_log_likelihoods"])
    assert chosen["valid_log_likelihoods"][chosen["sigmas"].index(chosen["sigma"])] == best
    assert dcgan["model"] == f"dcgan (gaussian observation, sigma {chosen['sigma']})"


def test_without_data_or_smoke_it_asks_for_the_data(load_benchmark, monkeypatch):
    monkeypatch.delenv("PPL_MODELS_DATA", raising=False)
    with pytest.raises(SystemExit):
        load_benchmark("ais_mnist").parse_args([])


def test_the_data_folder_comes_from_the_environment(load_benchmark, monkeypatch, tmp_path):
    monkeypatch.setenv("PPL_MODELS_DATA", str(tmp_path))
    assert load_benchmark("ais_mnist").parse_args([]).data == tmp_path
