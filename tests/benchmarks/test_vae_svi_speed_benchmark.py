"""The SVI-speed benchmark runs end to end at a tiny size and prints its one JSON line."""

import json


def test_tiny_run_prints_every_contenders_ratio_to_the_plain_epoch(load_benchmark, capsys):
    bench = load_benchmark("vae_svi_speed")
    result = bench.main(bench.parse_args(["--n", "200", "--batch-size", "64", "--repeats", "1",
                                          "--threads", "1"]))
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert set(result["seconds"]) == {"plain", "svi", "svi_jit"}
    assert result["ratio_svi_over_plain"] > 0 and result["ratio_svi_jit_over_plain"] > 0
