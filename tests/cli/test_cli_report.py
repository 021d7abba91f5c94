"""``ppl-models report`` with a tiny budget: every file, and numbers that hang together."""

import json
import math

PNG = b"\x89PNG\r\n\x1a\n"
FITTED = ("independent", "markov", "fvsbn", "nade")


def test_report_writes_metrics_figures_and_models(tmp_path, cli, last_json_line):
    out = tmp_path / "report"
    code, stdout, err = cli("report", "--out", out, "--budget-seconds", 5, "--hidden", 8,
                            "--max-epochs", 4)
    assert code == 0, err
    assert "| nade |" in stdout

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"] == "digits" and metrics["dim"] == 64
    assert metrics["estimator"] == "exact" and metrics["pseudo_count"] == 1.0
    models = metrics["models"]
    assert list(models) == ["independent", "markov", "full", "fvsbn", "nade"]

    full = models["full"]
    assert full["status"] == "refused"
    assert int(full["num_parameters"]) == 2**64 - 1  # exact, beyond a double's precision
    assert full["num_parameters_approx"] == "1.84e19"

    uniform = 64 * math.log(2)
    for kind in FITTED:
        m = models[kind]
        assert m["status"] == "fitted"
        assert 5 < m["nll_nats"] < uniform, kind
        assert math.isclose(m["bits_per_dim"], m["nll_nats"] / uniform)
        assert (out / f"samples_{kind}.png").read_bytes()[:8] == PNG
        assert (out / "models" / f"{kind}.pt").is_file()
    assert [models[k]["num_parameters"] for k in FITTED] == [64, 127, 2080, 2 * 64 * 8 + 64 + 8]
    assert models["markov"]["nll_nats"] < models["independent"]["nll_nats"]
    for kind in ("fvsbn", "nade"):
        assert 1 <= models[kind]["epochs"] <= 4
        assert models[kind]["stopped_by"] in ("max epochs", "time budget", "early stopping")
    for name in ("nll_bars.png", "training_curves.png", "data_samples.png"):
        assert (out / name).read_bytes()[:8] == PNG, name
    readme = (out / "README.md").read_text()
    assert "| model | parameters |" in readme and "18446744073709551615" in readme

    code, stdout, err = cli("evaluate", "--checkpoint", out / "models" / "nade.pt")
    assert code == 0, err
    assert last_json_line(stdout)["nll_nats"] == models["nade"]["nll_nats"]
