"""``evaluate --estimator ais``: annealed importance sampling of log p(x) for the kinds that
state a decoder and a prior (the VAE, the AAE), named, with its errors and ESS."""

import math

import pytest

TINY = {"vae": ("--iw-samples", 20),
        "aae": ("--eval-samples", 100)}


@pytest.mark.parametrize("kind", ["vae", "aae"])
def test_ais_estimate_is_named_seeded_and_near_the_iwae(kind, tmp_path, cli, last_json_line):
    run = tmp_path / kind
    code, _, err = cli("train", "--model", kind, "--dataset", "digits", "--latent-dim", 2,
                       "--vae-hidden", 8, "--epochs", 1, "--threads", 1, *TINY[kind],
                       "--out", run)
    assert code == 0, err
    ais = ("evaluate", "--checkpoint", run / "model.pt", "--estimator", "ais",
           "--ais-chains", 3, "--ais-steps", 4, "--threads", 1)
    code, out, err = cli(*ais)
    assert code == 0, err
    scored = last_json_line(out)
    assert scored["estimator"] == "AIS" and "lower bound" in scored["note"]
    assert (scored["ais_chains"], scored["ais_steps"], scored["n"]) == (3, 4, 180)
    assert 1 <= scored["mean_ess"] <= 3
    assert math.isfinite(scored["nll_nats"]) and scored["stderr_nats"] > 0
    assert scored["ais_stderr_nats"] > 0
    assert scored["bits_per_dim"] == pytest.approx(scored["nll_nats"] / (64 * math.log(2)))
    code, out, _ = cli(*ais)
    assert last_json_line(out)["nll_nats"] == scored["nll_nats"]  # seeded by the run
    if kind == "vae":
        # Both estimate the same log p(x) of a 2-D code; 3 chains of 4 temperatures and 20
        # importance samples agree to well within a nat per image on the mean here.
        code, out, err = cli("evaluate", "--checkpoint", run / "model.pt", "--threads", 1)
        assert code == 0, err
        iwae = last_json_line(out)
        assert iwae["estimator"] == "IWAE-20"
        assert scored["nll_nats"] == pytest.approx(iwae["nll_nats"], abs=1.0)
