"""The NADE-decoder VAE benchmark: a NADE trained by its recipe, a VAE whose decoder starts
as that NADE (``train --init-from``), both scored on the same test images."""

import json

import pytest
import torch

from inference.cli.recipe_run import load_run


def test_the_vae_starts_from_the_nade_and_is_scored_beside_it(load_benchmark, capsys,
                                                             tmp_path):
    result = load_benchmark("nade_vae_binarized_mnist").main(
        ["--smoke", "--out", str(tmp_path / "run")])
    assert json.loads(capsys.readouterr().out.strip()) == result
    assert result["recipe"]["name"] == "nade_vae_binarized_mnist"
    assert result["recipe"]["overrides"]["init_from"] == str(tmp_path / "run" / "nade" /
                                                             "model.pt")
    assert "started from a fitted NADE (rate 0.0001)" in result["fit"]
    # The benchmark's per-image IWAE draws are train's: the same mean.
    assert result["vae_test_nll_nats"] == pytest.approx(result["train_vae_test_nll_nats"],
                                                        abs=1e-3)
    # One epoch at a tenth of the rate leaves the decoder near the NADE it started from.
    assert abs(result["difference_nats"]) < 5 and result["test_images"] == 500


def test_init_from_makes_the_vae_the_nade_at_step_zero(load_benchmark, tmp_path):
    benchmark = load_benchmark("nade_vae_binarized_mnist")
    # A rate of 1e-12: the kept VAE is its start, whose p(x | z) is the NADE's for any z.
    benchmark.main(["--smoke", "--epochs", "1", "--set", "lr=1e-12", "--set", "init_lr=1e-12",
                    "--out", str(tmp_path / "run")])
    nade, vae = load_run(tmp_path / "run" / "nade"), load_run(tmp_path / "run")
    x = vae.splits.flat("test")[:20]
    z = torch.randn(20, vae.config["latent_dim"])
    with torch.no_grad():
        assert torch.allclose(vae.model.decode(z).log_prob(x), nade.model().log_prob(x),
                              atol=1e-3)
