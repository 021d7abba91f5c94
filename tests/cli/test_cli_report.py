"""``ppl-models report`` with a tiny budget: every file, and numbers that hang together."""

import json
import math

import pytest

PNG = b"\x89PNG\r\n\x1a\n"
FITTED = ("independent", "markov", "fvsbn", "nade")


def test_report_writes_metrics_figures_and_models(tmp_path, cli, last_json_line):
    out = tmp_path / "report"
    code, stdout, err = cli("report", "--out", out, "--budget-seconds", 5, "--hidden", 8,
                            "--max-epochs", 4)
    assert code == 0, err
    assert "| nade | exact |" in stdout and "| vae | IWAE-500 |" in stdout

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["dataset"] == "digits" and metrics["dim"] == 64
    assert set(metrics["estimators"]) == {"exact", "ELBO", "IWAE-500",
                                          "sample metrics (no likelihood)"}
    assert metrics["pseudo_count"] == 1.0
    models = metrics["models"]
    # Kinds come in the registry's canonical order: by family, then module.
    # The conditional GAN needs labels, which the digits carry: the report fits it on them.
    assert list(models) == ["independent", "markov", "full", "fvsbn", "nade", "pixelrnn",
                            "vae", "aae", "conditional_gan", "dcgan", "infogan", "gan"]
    # The AAE is scored as a sampler (its KL replaced, it has no bound on log p(x)).
    assert models["aae"]["estimator"] == "sample metrics (no likelihood)"
    assert models["aae"]["fid"] > 0 and "nll_nats" not in models["aae"]
    # Every row says which recipe made it, from which seed, and what it cost.
    for kind, row in models.items():
        assert row["recipe"] == f"report_{kind}" and row["seed"] == 0, kind
        assert row["status"] == "refused" or row["wall_seconds"] > 0, kind
    # The samplers train on the grey levels (their recipes' binarize = "none"); the density
    # models keep the binarised digits.
    for kind in ("dcgan", "conditional_gan", "infogan"):
        assert models[kind]["binarize"] == "none (grey levels in [0, 1])", kind
    assert models["nade"]["binarize"] == "threshold"
    assert 0 <= models["infogan"]["code_accuracy"] <= 1
    # The sampler is scored by sample metrics only, never by a likelihood.
    dcgan = models["dcgan"]
    assert dcgan["estimator"] == "sample metrics (no likelihood)" and "nll_nats" not in dcgan
    assert dcgan["fid"] > dcgan["fid_train_vs_split"] > 0 and dcgan["epochs"] >= 1
    assert (out / "adversarial_losses_dcgan.png").read_bytes()[:8] == PNG
    # The GAN is fitted on the ring (its report data), scored by mode coverage, never a
    # likelihood, with the learning rate its report setting gives.
    gan = models["gan"]
    assert gan["dataset"] == "ring" and gan["estimator"] == "sample metrics (no likelihood)"
    assert gan["n_modes"] == 8 and 0 <= gan["modes_captured"] <= 8 and "nll_nats" not in gan
    assert 0 <= gan["high_quality"] <= 1 and gan["n"] == 500 and "Adam lr 0.001" in gan["fit"]
    assert gan["selected_by"]["monitor"] == "valid_coverage_score" and gan["best_epoch"] >= 1
    assert (out / "samples_gan.png").read_bytes()[:8] == PNG  # a scatter over the modes

    # The controlled generators' figures, from each model's control_figure_inputs: InfoGAN's
    # code traversal and the conditional GAN's grid of labels; a model without it gets none.
    figures = dict(metrics["figures"])
    for kind, name in (("infogan", "code_traversal"), ("conditional_gan", "conditional_grid")):
        assert models[kind]["estimator"] == "sample metrics (no likelihood)"
        assert (out / f"{name}_{kind}.png").read_bytes()[:8] == PNG
        assert figures[f"{name}_{kind}.png"].startswith(f"{kind}: ")
        assert (out / "models" / f"{kind}.pt").is_file()
    assert {n for n in figures if n.startswith(("code_traversal", "conditional_grid"))} == {
        "code_traversal_infogan.png", "conditional_grid_conditional_gan.png"}

    full = models["full"]
    assert full["status"] == "refused"
    assert int(full["num_parameters"]) == 2**64 - 1  # exact, beyond a double's precision
    assert full["num_parameters_approx"] == "1.84e19"

    uniform = 64 * math.log(2)
    for kind in FITTED + ("pixelrnn", "vae"):
        m = models[kind]
        assert m["status"] == "fitted"
        assert m["estimator"] == ("IWAE-500" if kind == "vae" else "exact")
        assert 5 < m["nll_nats"] < uniform, kind
        assert math.isclose(m["bits_per_dim"], m["nll_nats"] / uniform)
        assert (out / f"samples_{kind}.png").read_bytes()[:8] == PNG
        assert (out / "models" / f"{kind}.pt").is_file()
    assert [models[k]["num_parameters"] for k in FITTED] == [64, 127, 2080, 2 * 64 * 8 + 64 + 8]
    assert models["markov"]["nll_nats"] < models["independent"]["nll_nats"]
    assert models["pixelrnn"]["options"] == {"variant": "row_lstm", "hidden": 8, "layers": 1}
    for kind in ("fvsbn", "nade", "pixelrnn", "vae"):
        assert 1 <= models[kind]["epochs"] <= 4
        assert models[kind]["stopped_by"] in ("max epochs", "time budget", "early stopping")

    vae = models["vae"]
    # Two bounds from independent draws: IWAE-500 is the tighter by far more than their noise.
    assert vae["nll_nats"] < vae["neg_elbo_nats"] < uniform
    assert vae["rate_nats"] + vae["distortion_nats"] == pytest.approx(vae["neg_elbo_nats"])
    assert math.isclose(vae["neg_elbo_bits_per_dim"], vae["neg_elbo_nats"] / uniform)
    assert vae["iw_samples"] == 500 and vae["n_test"] == 180
    assert 0 <= vae["fraction_reliable"] <= 1

    for name in ("nll_bars.png", "training_curves.png", "rate_distortion.png",
                 "data_samples.png"):
        assert (out / name).read_bytes()[:8] == PNG, name
    anomaly = metrics["anomaly"]
    # Every fitted model is scored by its family's score; the refused one is absent.
    assert list(anomaly["auroc"]) == ["independent", "markov", "fvsbn", "nade", "pixelrnn", "vae"]
    assert anomaly["methods"]["nade"] == "nll" and anomaly["methods"]["vae"] == "neg_iwae_100"
    assert anomaly["sizes"] == {"inverted": 180, "uniform noise": 180, "constant": 2}
    for kind, row in anomaly["auroc"].items():
        # Inverted digits and fair-coin noise are ~40 nats less likely than any test digit
        # under every model here, even after 4 epochs.
        assert row["inverted"] > 0.95 and row["uniform noise"] > 0.95, (kind, row)
    readme = (out / "README.md").read_text()
    assert "## Anomaly detection (AUROC)" in readme and "| nade | nll |" in readme
    assert "| model | estimator | parameters |" in readme and "18446744073709551615" in readme
    assert "| vae | ELBO |" in readme and "| vae | IWAE-500 |" in readme
    assert "| gan | ring |" in readme and "| model | data | parameters | modes captured |" \
        in readme

    code, stdout, err = cli("evaluate", "--checkpoint", out / "models" / "nade.pt")
    assert code == 0, err
    assert last_json_line(stdout)["nll_nats"] == models["nade"]["nll_nats"]
    code, stdout, err = cli("evaluate", "--checkpoint", out / "models" / "gan.pt",
                            "--eval-samples", 500)
    assert code == 0, err
    assert last_json_line(stdout)["high_quality"] == gan["high_quality"]  # same seeded draws
    code, stdout, err = cli("evaluate", "--checkpoint", out / "models" / "vae.pt",
                            "--iw-samples", 500)
    assert code == 0, err
    scored = last_json_line(stdout)
    assert scored["estimator"] == "IWAE-500"
    assert scored["nll_nats"] == pytest.approx(vae["nll_nats"], abs=1e-6)


def test_control_figures_come_from_any_model_with_the_hook(tmp_path):
    # No kind is named: a model that declares ControlFigure gets its figure, seeded, others
    # none.
    from types import SimpleNamespace

    import torch

    from inference.cli.report_controls import save_control_figures
    from ppl_models.abilities import ControlFigure

    class Hooked(ControlFigure):
        def control_figure_inputs(self, columns):
            return {"name": "rows", "rows": torch.rand(2, columns, 1, 4, 4),
                    "row_titles": ["a", "b"], "column_titles": None, "title": "two rows"}

    fits = {"anything": SimpleNamespace(model=Hooked()), "plain": SimpleNamespace(model=1)}
    assert save_control_figures(tmp_path, fits, seed=0) == [("rows_anything.png",
                                                             "anything: two rows")]
    first = (tmp_path / "rows_anything.png").read_bytes()
    save_control_figures(tmp_path, fits, seed=0)
    assert first[:8] == PNG and (tmp_path / "rows_anything.png").read_bytes() == first
