"""The PixelRNN speed benchmark runs end to end at a tiny size: both implementations agree
and both are timed, in one JSON line."""

import json


def test_tiny_run_prints_both_timings_and_their_ratio(load_benchmark, capsys):
    bench = load_benchmark("pixelrnn_speed")
    result = bench.main(bench.parse_args(["--size", "5", "--batch-size", "2", "--steps", "2",
                                          "--hidden", "4", "--threads", "1"]))
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["threads"] == 1 and len(result["load_before"]) == 3
    # The parser kept freed memory (inference/heap.py) on glibc; the record says which.
    assert result["freed_memory"] in ("kept", "released")
    for kind in ("row_lstm", "diagonal_bilstm"):
        figures = result[kind]
        assert figures["log_prob_relative_gap_fp64"] < 1e-12
        assert figures["grad_relative_gap_fp64"] < 1e-10
        assert figures["grad_relative_gap_fp32"] < 1e-5
        assert figures["baseline_s_per_epoch"] > 0 and figures["library_s_per_epoch"] > 0
        assert figures["speed_up"] > 0
