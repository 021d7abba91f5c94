"""The AAE benchmark trains its two recipes (the AAE and the VAE beside it) end to end on
MNIST-5k (embedded, no files) at its smoke budget, through ``ppl-models train --recipe``,
and reports both FIDs beside the floor and the 100-label probes beside raw pixels."""

import json
import math


def test_one_json_line_with_both_models_the_floor_and_the_probes(load_benchmark, capsys,
                                                                  tmp_path):
    result = load_benchmark("aae_mnist").main(
        ["--smoke", "--n-eval", "200", "--label-draws", "1", "--out", str(tmp_path)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["dataset"] == "mnist5k" and result["n_train"] == 256
    assert result["epochs"] == {"aae": 1, "vae": 1}
    assert {k: r["name"] for k, r in result["recipes"].items()} == {
        "aae": "aae_mnist", "vae": "aae_mnist_vae"}
    # Both models saw the same overrides, so they stay comparable.
    for name in ("aae", "vae"):
        config = json.loads((tmp_path / name / "config.json").read_text())
        assert config["latent_dim"] == 4 and config["vae_hidden"] == [32]
        assert config["train_size"] == 256 and config["binarize"] == "threshold"
    fid = result["fid"]
    assert 0 <= fid["train_vs_test"] < min(fid["aae"], fid["vae"])
    probes = result["probe_100_labels"]
    assert set(probes) == {"aae_code", "vae_posterior_mean", "raw_pixels"}
    # 100 labels of 10 digits: every probe reads the digits far above chance (0.1).
    assert all(0.2 < p["accuracy"] <= 1 and len(p["per_draw"]) == 1 for p in probes.values())
    assert math.isclose(probes["raw_pixels"]["error"], 1 - probes["raw_pixels"]["accuracy"])


def test_record_appends_the_table(load_benchmark, tmp_path):
    record = tmp_path / "aae.jsonl"
    load_benchmark("aae_mnist").main(["--smoke", "--n-eval", "100", "--label-draws", "1",
                                      "--out", str(tmp_path / "run"), "--record",
                                      str(record)])
    line = json.loads(record.read_text())
    assert line["benchmark"] == "aae_mnist" and line["recipe"] == "aae_mnist"
    rows = line["figures"]["rows"]
    assert [r[0] for r in rows] == ["AAE", "VAE", "raw pixels (baseline)",
                                    "train-vs-test floor"]
    assert rows[2][1] == "—" and rows[3][2] == "—"

