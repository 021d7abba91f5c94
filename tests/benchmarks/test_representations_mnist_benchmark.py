"""The representations benchmark trains its four recipes through ``ppl-models train`` on the
embedded digits at its smoke budget and probes each model's features beside PCA and pixels."""

import json


def test_every_representation_is_probed(load_benchmark, capsys, tmp_path):
    result = load_benchmark("representations_mnist").main(
        ["--smoke", "--label-draws", "2", "--labels-per-class", "2", "--out",
         str(tmp_path / "run")])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert {r["name"] for r in result["recipes"].values()} == {
        f"representations_mnist_{k}" for k in ("nade", "vae", "aae", "infogan")}
    assert result["epochs"] == {"nade": 1, "vae": 1, "aae": 1, "infogan": 1}
    results = result["results"]
    assert set(results) == {"nade (8)", "PCA (8, baseline)", "vae (2)", "PCA (2, baseline)",
                            "aae (2)", "infogan (16)", "pixels (64, baseline)"}
    assert result["probe_rows"] == [90, 90]
    # The 8x8 digits' pixels are linearly readable far above chance (0.1) with 90 labels.
    assert results["pixels (64, baseline)"]["probe_90_labels"] > 0.6
    assert all(0 <= v <= 1 for r in results.values() for k, v in r.items()
               if v is not None and not k.endswith("_sd"))
