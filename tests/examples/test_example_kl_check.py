"""examples/kl_check.py runs with --smoke, writes its PNG and its numbers hold together."""

import importlib.util
import json
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kl_check.py"


def load_example():
    spec = importlib.util.spec_from_file_location("example_kl_check", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kl_check_smoke(tmp_path, capsys):
    example = load_example()
    out = tmp_path / "kl.png"
    result = example.main(example.parse_args(["--smoke", "--out", str(out)]))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rows = result["rows"]
    assert {r["case"] for r in rows} == {"diagonal", "full covariance"}
    assert sorted({r["num_samples"] for r in rows}) == [1, 3, 10, 32, 100, 316, 1000]
    for case in ("diagonal", "full covariance"):
        mine = [r for r in rows if r["case"] == case]
        assert len({r["analytic"] for r in mine}) == 1 and mine[0]["analytic"] > 0
        # The log-ratios are skewed (chi-square-like), so the SE estimated from a handful of
        # draws is itself unreliable; from 100 draws on, |z| < 5 fails by chance with
        # probability about 6e-7, and the seeds are fixed.
        assert all(abs(r["z"]) < 5 for r in mine if r["num_samples"] >= 100)
        assert mine[-1]["abs_error"] < mine[0]["abs_error"]
        assert result["sigma"][case] > 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()
               if line.startswith("{")]
    assert len(printed) == len(rows)
