"""The IWAE-speed benchmark runs end to end at a tiny size and prints its one JSON line."""

import json


def test_tiny_run_prints_ratios_against_the_limit_measured_in_the_run(load_benchmark, capsys):
    result = load_benchmark("iwae_speed").main(
        ["--images", "2", "--samples", "60", "--hidden", "8", "--latent", "2", "--repeats", "1",
         "--threads", "1", "--bf16"])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert set(result["seconds_per_image"]) == {"limit", "limit_bf16", "reference",
                                                "fast", "bf16"}
    assert set(result["ratio_over_limit"]) == {"reference", "fast", "bf16"}
    assert all(v > 0 for v in result["seconds_per_image"].values())
    # 784-8-2 encoder on one image, 2-8-784 decoder on 60 codes: 2 * sum(m k n) FLOPs.
    flops = 2 * (784 * 8 + 8 * 4) + 2 * 60 * (2 * 8 + 8 * 784)
    assert result["gemm_gflop_per_image"] == round(flops / 1e9, 3)
    # Same seed, same draws per pass size: the estimators agree on the first two images
    # within their sampling noise (different chunkings draw differently).
    nll = result["mean_nll"]
    assert abs(nll["fast"] - nll["reference"]) < 5 and abs(nll["bf16"] - nll["fast"]) < 5
    assert result["bf16_nll_minus_fp32_nll"] == round(nll["bf16"] - nll["fast"], 4)
