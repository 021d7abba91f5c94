"""The RNADE benchmark fits its grid and an ensemble over orderings, every member a run of
the recipe ``rnade_tabular`` through ``ppl-models train``, beside the mixture baselines."""

import json
import math

import torch

from inference.cli.recipe_run import load_run


def test_grid_ensemble_and_baselines(load_benchmark, capsys, tmp_path):
    out = tmp_path / "run"
    result = load_benchmark("rnade_tabular").main(
        ["--smoke", "--datasets", "wine", "digits_dequantized", "--out", str(out)])
    assert json.loads(capsys.readouterr().out.strip()) == result
    wine, digits = result["results"]["wine"], result["results"]["digits_dequantized"]
    assert wine["n"] == [124, 26, 28] and wine["rnade"]["configurations"] == 1
    assert set(wine["rnade"]["ensemble_valid_nll"]) == {"1", "2"}
    # The mixture chosen on valid is at least as good there as its one-component Gaussian.
    assert wine["gmm"]["valid_nll"] <= wine["gaussian"]["valid_nll"]
    for row in (wine, digits):
        assert all(math.isfinite(row[m]["test_nll"]) for m in ("rnade", "gmm", "gaussian"))
    assert 0 < digits["rnade"]["discrete_bits_per_dim_bound"] < math.log2(17)
    # The second member is another ordering of the same split (train --order-seed).
    first, second = (load_run(out / "wine" / f"hidden4_components2_lr0.003_member{k}")
                     for k in (0, 1))
    assert first.config["order"] == "raster" and second.config["order_seed"] == 1000
    assert torch.equal(first.splits.test, second.splits.test)
