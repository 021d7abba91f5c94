"""train -> evaluate -> sample for the VAE on the embedded digits, with tiny settings.

A VAE has no exact likelihood: its metrics name the ELBO and the IWAE-K estimate, and
``evaluate`` with the training seed reproduces the IWAE-K figure ``train`` reported.
"""

import json
import math

import pytest
import torch

from inference.cli.main import main

PNG = b"\x89PNG\r\n\x1a\n"
DIM = 64
UNIFORM = DIM * math.log(2)
TINY = ("--dataset", "digits", "--latent-dim", 4, "--vae-hidden", 32, "--epochs", 2,
        "--lr", 1e-2, "--threads", 1)
VARIANTS = {
    "bernoulli": ("--iw-samples", 50),
    # The NADE decoder, trained on the IWAE bound with a KL warm-up: the other code paths.
    "nade": ("--likelihood", "nade", "--hidden", 8, "--objective", "renyi", "--particles", 2,
             "--kl-warmup", 10, "--iw-samples", 50),
}


def is_png(path):
    return path.is_file() and path.read_bytes()[:8] == PNG


@pytest.fixture(scope="module", params=list(VARIANTS))
def trained(request, tmp_path_factory):
    """One training run per variant, shared by the tests below."""
    run = tmp_path_factory.mktemp(f"vae_{request.param}")
    argv = ["train", "--model", "vae", *TINY, *VARIANTS[request.param], "--out", run]
    threads = torch.get_num_threads()  # --threads is global; the conftest's restore is per test
    try:
        assert main([str(a) for a in argv]) == 0
    finally:
        torch.set_num_threads(threads)
    return run, json.loads((run / "metrics.json").read_text())


def test_train_writes_model_metrics_and_figures(trained):
    run, metrics = trained
    for name in ("model.pt", "config.json", "history.json", "metrics.json"):
        assert (run / name).is_file(), name
    for name in ("samples.png", "training_curves.png", "reconstructions.png"):
        assert is_png(run / name), name
    history = json.loads((run / "history.json").read_text())
    assert len(history["epochs"]) == metrics["epochs"] == 2
    for key in ("train_elbo", "valid_elbo", "valid_rate", "valid_distortion"):
        assert all(math.isfinite(e[key]) for e in history["epochs"]), key
    assert metrics["best_valid_neg_elbo_nats"] == pytest.approx(
        -history["epochs"][metrics["best_epoch"] - 1]["valid_elbo"])
    assert "best_valid_nll_nats" not in metrics  # a -ELBO is not an NLL
    best = history["epochs"][metrics["best_epoch"] - 1]
    config = json.loads((run / "config.json").read_text())
    if config["objective"] == "renyi":  # kept on the IWAE-2 bound it trained
        assert history["best_valid_loss"] == min(e["valid_loss"] for e in history["epochs"])
        assert metrics["best_valid_neg_iwae_2_nats"] == history["best_valid_loss"]
        assert best["valid_loss"] != -best["valid_elbo"]
        assert "validation-IWAE-2 bound epoch" in metrics["fit"]
    else:
        assert "best_valid_neg_iwae_2_nats" not in metrics
        assert "validation-ELBO epoch" in metrics["fit"]


def test_metrics_name_their_estimators(trained):
    _, m = trained
    assert m["model"] == "vae" and m["split"] == "test" and m["n"] == 180
    assert m["estimator"] == "IWAE-50" and m["iw_samples"] == 50 and m["iw_seed"] == 0
    assert m["elbo_estimator"].startswith("ELBO")
    assert "exact" not in (m["estimator"], m["elbo_estimator"])
    assert "neither is exact" in m["note"]
    # Lower bounds on log p(x): better than nothing learnt, the IWAE bound the tighter one.
    assert 5 < m["nll_nats"] < m["neg_elbo_nats"] < UNIFORM
    assert m["rate_nats"] + m["distortion_nats"] == pytest.approx(m["neg_elbo_nats"])
    assert m["bits_per_dim"] == pytest.approx(m["nll_nats"] / UNIFORM)
    assert m["neg_elbo_bits_per_dim"] == pytest.approx(m["neg_elbo_nats"] / UNIFORM)
    assert 0 < m["stderr_nats"] < 2 and 0 <= m["fraction_reliable"] <= 1
    assert 1 <= m["mean_ess"] <= 50


def test_evaluate_reproduces_the_training_figure(trained, cli, last_json_line):
    run, metrics = trained
    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt", "--iw-samples", 50,
                         "--threads", 1)
    assert code == 0, err
    scored = last_json_line(out)
    assert scored["estimator"] == "IWAE-50" and scored["split"] == "test"
    # Same weights, data, K and seed: the same draws, so the same numbers.
    for key in ("nll_nats", "neg_elbo_nats", "rate_nats", "max_pareto_k"):
        assert scored[key] == pytest.approx(metrics[key], abs=1e-6), key

    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt", "--iw-samples", 50,
                         "--iw-seed", 1, "--threads", 1)
    assert code == 0, err
    other = last_json_line(out)
    assert other["iw_seed"] == 1 and other["nll_nats"] != metrics["nll_nats"]
    # Another seed is another estimate of the same quantity: within a few standard errors
    # of the difference, far below the spread over images.
    assert abs(other["nll_nats"] - metrics["nll_nats"]) < 0.5


def test_sample_is_seeded(trained, cli, tmp_path):
    run, _ = trained
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    for path in (a, b):
        code, _, err = cli("sample", "--checkpoint", run / "model.pt", "--num", 16,
                           "--out", path, "--seed", 3, "--threads", 1)
        assert code == 0, err
    assert is_png(a) and a.read_bytes() == b.read_bytes()


def test_vae_options_are_refused_for_a_density_model(tmp_path, cli):
    code, _, err = cli("train", "--model", "markov", "--dataset", "digits", "--latent-dim", 4,
                       "--out", tmp_path / "run")
    # --latent-dim is shared by the kinds with a code (vae, and the GANs' noise).
    assert code == 2 and "--latent-dim applies only to --model" in err and "vae" in err
    assert not (tmp_path / "run").exists()


def test_iw_samples_are_refused_for_an_exact_model(tmp_path, cli):
    run = tmp_path / "markov"
    code, _, err = cli("train", "--model", "markov", "--dataset", "digits", "--out", run)
    assert code == 0, err
    code, _, err = cli("evaluate", "--checkpoint", run / "model.pt", "--iw-samples", 10)
    assert code == 2 and "exact" in err.splitlines()[-1]


@pytest.mark.parametrize("draws", [None, "sequential"])
def test_particles_are_vectorised_unless_asked_otherwise(draws, tmp_path, cli):
    run = tmp_path / "run"
    given = () if draws is None else ("--particle-draws", draws)
    code, _, err = cli("train", "--model", "vae", "--dataset", "digits", "--latent-dim", 2,
                       "--vae-hidden", 8, "--epochs", 1, "--objective", "renyi",
                       "--particles", 3, *given, "--iw-samples", 10, "--threads", 1,
                       "--out", run)
    assert code == 0, err
    expected = draws or "vectorized"
    assert json.loads((run / "config.json").read_text())["particle_draws"] == expected
    assert f"3 particle(s) ({expected})" in json.loads((run / "metrics.json").read_text())["fit"]


def test_particle_draws_are_refused_for_a_density_model(tmp_path, cli):
    code, _, err = cli("train", "--model", "markov", "--dataset", "digits",
                       "--particle-draws", "sequential", "--out", tmp_path / "run")
    assert code == 2 and "--particle-draws applies only to --model" in err


def test_bad_vae_numbers(tmp_path, cli):
    code, _, err = cli("train", "--model", "vae", "--dataset", "digits", "--particles", 0,
                       "--out", tmp_path / "run")
    assert code == 2 and "--particles" in err


# The IWAE bound's vectorised particles: the step's first update finds where their plate
# goes, which must draw nothing from the run's stream (a resumed step finds it again).
@pytest.mark.parametrize("objective", [(), ("--objective", "renyi", "--particles", 3)])
def test_resume_matches_an_uninterrupted_run(objective, tmp_path, cli, last_json_line):
    args = ("train", "--model", "vae", "--dataset", "digits", "--latent-dim", 2,
            "--vae-hidden", 16, "--lr", 1e-2, "--iw-samples", 10, "--threads", 1, *objective)
    code, out, err = cli(*args, "--epochs", 2, "--out", tmp_path / "straight")
    assert code == 0, err
    straight = last_json_line(out)
    code, _, err = cli(*args, "--epochs", 1, "--out", tmp_path / "resumed")
    assert code == 0, err
    code, out, err = cli(*args, "--epochs", 2, "--out", tmp_path / "resumed", "--resume")
    assert code == 0, err
    resumed = last_json_line(out)
    assert resumed["epochs"] == 2 and resumed["nll_nats"] == straight["nll_nats"]
    code, _, err = cli(*args, "--epochs", 2, "--latent-dim", 3, "--out",
                       tmp_path / "resumed", "--resume")
    assert code == 2 and "latent_dim" in err


def test_vampprior_trains_reloads_evaluates_and_samples(tmp_path, cli, last_json_line):
    run = tmp_path / "vamp"
    code, out, err = cli("train", "--model", "vae", "--prior", "vampprior",
                         "--num-pseudo-inputs", 10, "--dataset", "digits", "--epochs", 1,
                         "--iw-samples", 50, "--threads", 1, "--out", run)
    assert code == 0, err
    trained = last_json_line(out)
    config = json.loads((run / "config.json").read_text())
    assert config["prior"] == "vampprior" and config["num_pseudo_inputs"] == 10
    assert 'prior = "vampprior"' in (run / "recipe.toml").read_text()
    saved = torch.load(run / "model.pt", weights_only=True)
    assert saved["config"]["prior"] == "vampprior"
    assert saved["state"]["pseudo_inputs_unconstrained"].shape == (10, 1, 8, 8)
    # model.pt rebuilds the VampPrior VAE (a standard one would not take its pseudo-inputs)
    # and scores what train scored.
    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt", "--iw-samples", 50,
                         "--threads", 1)
    assert code == 0, err
    scored = last_json_line(out)
    for key in ("nll_nats", "neg_elbo_nats", "rate_nats"):
        assert scored[key] == pytest.approx(trained[key], abs=1e-6), key
    code, _, err = cli("sample", "--checkpoint", run / "model.pt", "--num", 8, "--out",
                       tmp_path / "s.png", "--threads", 1)
    assert code == 0, err
    assert is_png(tmp_path / "s.png")


def test_vampprior_with_the_meanfield_objective_is_refused_before_the_run(tmp_path, cli):
    run = tmp_path / "run"
    code, _, err = cli("train", "--model", "vae", "--prior", "vampprior", "--objective",
                       "meanfield", "--num-pseudo-inputs", 3, "--dataset", "digits",
                       "--out", run)
    assert code == 2 and "--objective meanfield" in err and "site 'z'" in err
    assert "--objective trace" in err and not run.exists()


@pytest.mark.parametrize("argv, match", [
    (("--prior", "mixture"), "--prior for --model vae must be one of standard, vampprior"),
    (("--prior", "vampprior", "--num-pseudo-inputs", 0), "num_pseudo_inputs must be a positive"),
])
def test_bad_prior_options_are_refused_naming_them(argv, match, tmp_path, cli):
    code, _, err = cli("train", "--model", "vae", "--dataset", "digits", *argv,
                       "--out", tmp_path / "run")
    assert code == 2 and match in err and not (tmp_path / "run").exists()
