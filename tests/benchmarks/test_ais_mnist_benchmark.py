"""The AIS likelihood-table benchmark runs end to end with --smoke (sklearn digits, no files):
its four models trained by their recipes through ``train --recipe``'s code path, one JSON
line, one record."""

import contextlib
import importlib.util
import io
import json
import math
from pathlib import Path

import pytest
import torch

from inference.cli.main import main

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "ais_mnist.py"


def _benchmark():
    spec = importlib.util.spec_from_file_location("benchmark_ais_mnist", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """One smoke run: its result, what it printed, its run folder and its record file."""
    folder = tmp_path_factory.mktemp("ais_mnist")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(io.StringIO()):
        result = _benchmark().main(["--smoke", "--threads", "1", "--out", str(folder / "run"),
                                    "--record", str(folder / "record.jsonl")])
    return result, printed.getvalue(), folder


def test_smoke_prints_one_table_with_a_bdmc_gap_for_every_ais_row(smoke):
    result, printed, _ = smoke
    assert json.loads(printed.strip()) == result
    rows = {(r["model"], r["estimator"]): r for r in result["table"]}
    assert set(rows) == {("nade", "exact"), ("vae", "elbo (10 draws)"), ("vae", "iwae-50"),
                         ("vae", "ais"), ("aae", "ais"),
                         ("dcgan (bernoulli observation)", "ais")}
    assert result["n_test"] == 8 and result["smoke"] is True
    assert (result["data"], result["binarize"]) == ("digits", "threshold")
    assert {k: v["name"] for k, v in result["recipes"].items()} == {
        "nade": "ais_nade_binarized_mnist", "vae": "ais_vae_binarized_mnist",
        "aae": "ais_aae_binarized_mnist", "dcgan": "ais_dcgan_binarized_mnist"}
    assert result["recipes"]["vae"]["overrides"]["dataset"] == "digits"
    for r in result["table"]:
        # Every row is a probability mass on binary images: NLL > 0.
        assert math.isfinite(r["nll_nats"]) and r["nll_nats"] > 0
        if r["estimator"] == "ais":
            assert math.isfinite(r["bdmc_gap_nats"]) and r["bdmc"]["n"] == 4
            assert 0 < r["mean_acceptance"] <= 1
    # The ELBO bounds what IWAE bounds, on the same images with the same VAE; 10 ELBO draws
    # against IWAE-50: the gap (about 1.2 nats at seed 0) is above both averages' noise
    # (standard errors 0.1 and 0.3 over the 8 images, largely shared by the paired images).
    assert rows[("vae", "iwae-50")]["nll_nats"] < rows[("vae", "elbo (10 draws)")]["nll_nats"]
    paired = result["vae_ais_minus_iwae_log_likelihood"]
    assert math.isfinite(paired["mean"]) and paired["stderr"] > 0
    assert result["cpu_seconds"] > 0 and len(result["load_average"]["start"]) == 3


def test_the_test_images_are_spread_over_the_sorted_test_split():
    # The binarized MNIST test split is sorted by digit: its first 200 images are all zeros.
    spaced = _benchmark().spaced(torch.arange(10_000), 200)
    assert spaced[:3].tolist() == [0, 50, 100] and len(spaced) == 200
    assert spaced[-1] == 9950
    assert _benchmark().spaced(torch.arange(5), 8).tolist() == [0, 1, 2, 3, 4]


def test_the_record_holds_the_table_and_the_four_recipes(smoke):
    result, _, folder = smoke
    (record,) = [json.loads(line) for line in (folder / "record.jsonl").read_text().splitlines()]
    assert record["benchmark"] == "ais_mnist" and record["seed"] == 0
    assert record["recipe"] == ("ais_nade_binarized_mnist, ais_vae_binarized_mnist, "
                                "ais_aae_binarized_mnist, ais_dcgan_binarized_mnist")
    assert [row[:3] for row in record["figures"]["rows"]] == [
        [r["model"], r["estimator"], r["nll_nats"]] for r in result["table"]]


def test_the_benchmark_and_train_recipe_write_the_same_vae(smoke, tmp_path):
    """The benchmark trains nothing itself: its VAE's model.pt is ``train --recipe``'s, bit
    for bit, given the same recipe and overrides."""
    _, _, folder = smoke
    words = ["train", "--recipe", "ais_vae_binarized_mnist", "--out", str(tmp_path / "cli")]
    for key, value in {"seed": 0, "threads": 1, **_benchmark().SMOKE_RECIPES["vae"]}.items():
        words += [f"--{key.replace('_', '-')}",
                  *(map(str, value) if isinstance(value, list) else [str(value)])]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(words) == 0
    a = torch.load(folder / "run" / "vae" / "model.pt", weights_only=True)["state"]
    b = torch.load(tmp_path / "cli" / "model.pt", weights_only=True)["state"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_a_gaussian_observation_takes_its_sigma_from_validation_images(tmp_path):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = _benchmark().main(["--smoke", "--observation", "gaussian", "--sigmas", "0.1",
                                    "0.3", "--out", str(tmp_path)])
    (dcgan,) = [r for r in result["table"] if r["model"].startswith("dcgan")]
    chosen = dcgan["sigma_selection"]
    assert chosen["sigmas"] == [0.1, 0.3] and chosen["sigma"] in (0.1, 0.3)
    best = max(chosen["valid_log_likelihoods"])
    assert chosen["valid_log_likelihoods"][chosen["sigmas"].index(chosen["sigma"])] == best
    assert dcgan["model"] == f"dcgan (gaussian observation, sigma {chosen['sigma']})"
