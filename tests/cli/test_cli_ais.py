"""``evaluate --estimator ais``: annealed importance sampling of log p(x) for the kinds that
state a decoder and a prior (the VAE, the AAE), named, with its errors and ESS; and for a
generator (DCGAN) under the observation model ``--observation`` states, which is required,
checked against the data (Bernoulli: binary only) and, for the Gaussian, whose sigma the
validation split chooses from ``--sigmas``. A model AIS cannot score is refused naming the
kinds it scores."""

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


# -- generators under a stated observation model ------------------------------------------

AIS = ("--estimator", "ais", "--ais-chains", 3, "--ais-steps", 4, "--threads", 1)


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    """A DCGAN trained for one epoch on the digits' grey levels (``--binarize none``): a
    Gaussian observation model scores those; a Bernoulli one needs them binarised."""
    import contextlib
    import io

    from inference.cli.main import main

    run = tmp_path_factory.mktemp("ais") / "dcgan"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["train", "--model", "dcgan", "--dataset", "digits", "--binarize", "none",
                     "--latent-dim", "4", "--dcgan-channels", "4", "--epochs", "1",
                     "--eval-samples", "100", "--threads", "1", "--out", str(run)]) == 0
    return run / "model.pt"


def _untrained(tmp_path, kind, dataset="digits", image_shape=(1, 8, 8), **config):
    """An untrained ``kind`` saved with the run metadata ``evaluate`` reads."""
    from inference.persistence import save_model
    from ppl_models import registry

    path = tmp_path / f"{kind}.pt"
    shape = {"input_shape": image_shape} if registry.shape_keyword(kind) == "input_shape" \
        else {"dim": math.prod(image_shape)}
    save_model(path, registry.build(kind, **shape, **config),
               metadata={"model": kind, "family": registry.family_of(kind),
                         "dataset": dataset, "data_path": None, "binarize": None, "seed": 0,
                         "image_shape": list(image_shape)})
    return path


def test_a_dcgan_on_grey_levels_is_a_density_under_a_gaussian_whose_sigma_validation_chose(
        dcgan_run, cli, last_json_line):
    code, out, err = cli("evaluate", "--checkpoint", dcgan_run, *AIS,
                         "--observation", "gaussian", "--sigmas", 0.02, 0.3)
    assert code == 0, err
    scored = last_json_line(out)
    assert scored["estimator"] == "AIS" and scored["observation"] == "gaussian"
    assert scored["binarize"].startswith("none") and scored["n"] == 180
    assert "N(x; G(z), sigma^2 I)" in scored["observation_model"]
    assert "density under the stated gaussian observation model" in scored["note"]
    chosen = scored["sigma_selection"]
    assert chosen["sigmas"] == [0.02, 0.3] and chosen["n_valid"] == 180
    # The one with the lower validation NLL is kept. A one-epoch generator is far from every
    # image (its samples are blobs), so the wide sigma wins by hundreds of nats: at 0.02 a
    # pixel off by 0.3 costs 0.3^2 / (2 * 0.02^2) = 112 nats, at 0.3 half a nat.
    assert scored["sigma"] == 0.3 and chosen["valid_nll_nats"][0] > chosen["valid_nll_nats"][1]
    # No mixture of N(G(z), sigma^2 I) has a density above (2 pi sigma^2)^(-D/2) anywhere,
    # and no AIS weight exceeds it either: NLL >= D log(sigma sqrt(2 pi)) = -18.3 nats.
    assert scored["nll_nats"] >= 64 * math.log(0.3 * math.sqrt(2 * math.pi))
    assert math.isfinite(scored["nll_nats"]) and scored["stderr_nats"] > 0


def test_a_dcgan_scored_on_binarised_digits_under_a_bernoulli_is_a_mass(dcgan_run, cli,
                                                                       last_json_line):
    code, out, err = cli("evaluate", "--checkpoint", dcgan_run, *AIS,
                         "--observation", "bernoulli", "--binarize", "threshold")
    assert code == 0, err
    scored = last_json_line(out)
    assert (scored["observation"], scored["binarize"]) == ("bernoulli", "threshold")
    assert "sigma" not in scored and "Bernoulli(x_d; G(z)_d)" in scored["observation_model"]
    assert "a probability mass on binary images" in scored["note"]
    # A mass is at most 1, so every image's NLL is >= 0 and so is their mean; a clamped
    # pixel costs at most -log(1e-6) = 13.8 nats, so 64 pixels at most 884.
    assert 0 < scored["nll_nats"] < 64 * -math.log(1e-6)


@pytest.mark.parametrize("argv, words", [
    ((), ("--observation {bernoulli,gaussian}", "dcgan is a generator without a density")),
    (("--observation", "bernoulli"), ("--observation bernoulli", "grey levels", "--binarize")),
    (("--observation", "gaussian", "--sigmas", 0.1, 0), ("--sigmas", "positive", "0.0")),
    (("--observation", "gaussian", "--sigmas", -0.5), ("--sigmas", "positive", "-0.5")),
    (("--observation", "gaussian", "--sigmas", "nan"), ("--sigmas", "positive", "nan")),
    (("--observation", "bernoulli", "--binarize", "threshold", "--sigmas", 0.1),
     ("--sigmas applies to --observation gaussian",)),
    (("--observation", "gaussian", "--split", "valid"), ("validation split", "--split test")),
], ids=["no observation", "bernoulli on grey levels", "sigma 0", "negative sigma",
        "nan sigma", "sigmas for bernoulli", "gaussian scoring its own validation split"])
def test_a_generator_without_a_valid_observation_model_is_refused(dcgan_run, cli, argv,
                                                                    words):
    code, out, err = cli("evaluate", "--checkpoint", dcgan_run, *AIS, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    for word in words:
        assert word in err


@pytest.mark.parametrize("flag", [("--observation", "gaussian"), ("--sigmas", "0.1")])
def test_the_observation_options_belong_to_ais(dcgan_run, cli, flag):
    code, _, err = cli("evaluate", "--checkpoint", dcgan_run, *flag)
    assert code == 2 and f"{flag[0]} applies to --estimator ais" in err


@pytest.mark.parametrize("kind, config, words", [
    # A conditional generator and an exact model: neither states a generator and prior.
    ("conditional_gan", {"latent_dim": 4}, ("conditional_gan states no observation model",
                                            "vae, aae", "dcgan, gan, progressive_gan")),
    ("fvsbn", {}, ("fvsbn states no observation model", "vae, aae",
                   "dcgan, gan, progressive_gan")),
    # A model with a decoder of its own is not given another.
    ("vae", {"latent_dim": 2}, ("--observation: --model vae states its own observation",
                                "dcgan, gan, progressive_gan")),
])
def test_a_model_ais_cannot_score_so_is_refused_naming_the_kinds_it_scores(
        tmp_path, cli, kind, config, words):
    path = _untrained(tmp_path, kind, **config)
    code, _, err = cli("evaluate", "--checkpoint", path, *AIS, "--observation", "gaussian")
    assert code == 2
    for word in words:
        assert word in err


def test_a_generator_with_unbounded_outputs_takes_only_a_gaussian(tmp_path, cli):
    path = _untrained(tmp_path, "gan", dataset="ring", image_shape=(2,), hidden=[8])
    code, _, err = cli("evaluate", "--checkpoint", path, *AIS, "--observation", "bernoulli")
    assert code == 2 and "--observation bernoulli: --model gan" in err
    assert "declares only gaussian" in err
