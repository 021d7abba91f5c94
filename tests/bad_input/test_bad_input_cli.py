"""Bad command lines: exit status 2 and one clear line on stderr, never a traceback."""

import pytest
from catalogue import assert_clear, cli_case
from workspace import workspace


def W(name):
    return workspace() / name


def _run_dir(name, last=None, model=None):
    """A copy of the workspace's nade run whose ``checkpoints/last.pt`` is ``last`` (a file
    of the workspace) and whose ``model.pt`` is ``model``, either cut to three quarters
    when named ``"truncated:<file>"``."""
    import shutil

    run = W(name)
    if not run.exists():
        shutil.copytree(W("nade"), run)
        for target, source in ((run / "checkpoints" / "last.pt", last),
                               (run / "model.pt", model)):
            if source is None:
                continue
            data = W(source.removeprefix("truncated:")).read_bytes()
            if source.startswith("truncated:"):
                data = data[: len(data) * 3 // 4]
            target.write_bytes(data)
    return run


def _gan_run():
    """A ring GAN's run (another family's last.pt, selected by mode coverage)."""
    import contextlib
    import io

    from inference.cli.main import main

    run = W("gan_ring")
    if not run.exists():
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            assert main(["train", "--model", "gan", "--dataset", "ring", "--epochs", "1",
                         "--gan-hidden", "8", "--eval-samples", "100", "--threads", "1",
                         "--out", str(run)]) == 0
    return run


def _dcgan_with_metadata(name, image_shape):
    """An untrained 8x8 DCGAN whose file's metadata names the ring (as an edited or copied
    metadata would)."""
    from inference.persistence import save_model
    from ppl_models import registry

    path = W(f"{name}.pt")
    model = registry.build("dcgan", input_shape=(1, 8, 8), latent_dim=8, channels=4)
    save_model(path, model, metadata={"model": "dcgan", "family": "implicit", "dataset": "ring",
                                      "data_path": None, "binarize": None, "seed": 0,
                                      "image_shape": list(image_shape)})
    return path


def _nade_resume(run, epochs=2):
    return train("--model", "nade", "--hidden", 4, "--epochs", epochs, "--resume", "--out", run)


def train(*args):
    return ["train", "--dataset", "digits", "--threads", "1", *args]


CASES = [
    cli_case("unknown model", lambda: train("--model", "pixelcnn", "--out", W("x")), "--model"),
    cli_case("no --out", lambda: train("--model", "nade"), "--out"),
    cli_case("epochs 0", lambda: train("--model", "fvsbn", "--epochs", 0, "--out", W("x")),
             "--epochs"),
    cli_case("batch size 0", lambda: train("--model", "fvsbn", "--batch-size", 0, "--out", W("x")),
             "--batch-size"),
    *[cli_case(f"lr {lr}", lambda lr=lr: train("--model", "nade", "--lr", lr, "--out", W("x")),
               "--lr") for lr in ("-1", "0", "inf", "nan")],
    cli_case("max seconds inf", lambda: train("--model", "fvsbn", "--max-seconds", "inf",
                                              "--out", W("x")), "--max-seconds"),
    cli_case("negative seed", lambda: train("--model", "fvsbn", "--seed", -1, "--out", W("x")),
             "--seed"),
    cli_case("threads 0", lambda: train("--model", "fvsbn", "--threads", 0, "--out", W("x")),
             "--threads"),
    cli_case("pseudo-count nan", lambda: train("--model", "markov", "--pseudo-count", "nan",
                                               "--out", W("x")), "--pseudo-count"),
    cli_case("VAE option for an exact model",
             lambda: train("--model", "markov", "--latent-dim", 4, "--out", W("x")),
             "--latent-dim", "only to --model", "vae"),
    cli_case("pseudo-counts for a network fitted by gradients",
             lambda: train("--model", "nade", "--pseudo-count", 2, "--out", W("x")),
             "--pseudo-count", "only to --model", "markov", "not --model nade"),
    cli_case("zero particles", lambda: train("--model", "vae", "--particles", 0, "--out", W("x")),
             "--particles"),
    cli_case("random order for a VAE", lambda: train("--model", "vae", "--order", "random",
                                                     "--out", W("x")), "--order"),
    cli_case("NADE with 0 hidden units", lambda: train("--model", "nade", "--hidden", 0,
                                                       "--out", W("x")), "hidden"),
    cli_case("a real-valued density on binary images",
             lambda: train("--model", "rnade", "--out", W("x")), "rnade", "support Real()"),
    cli_case("full joint on 64 pixels", lambda: train("--model", "full", "--out", W("x")),
             "64 binary variables", "table entries"),
    cli_case("file dataset without a path",
             lambda: ["train", "--model", "markov", "--dataset", "mnist", "--out", W("x")],
             "--data-path"),
    cli_case("embedded dataset with a path",
             lambda: train("--model", "markov", "--data-path", W("."), "--out", W("x")),
             "--data-path"),
    cli_case("missing data file",
             lambda: ["train", "--model", "markov", "--dataset", "binarized_mnist",
                      "--data-path", W("nowhere.npz"), "--out", W("x")], "nowhere.npz"),
    cli_case("empty .npz",
             lambda: ["train", "--model", "markov", "--dataset", "binarized_mnist",
                      "--data-path", W("empty.npz"), "--out", W("x")], "empty.npz", "cannot read"),
    cli_case(".npz without the splits",
             lambda: ["train", "--model", "markov", "--dataset", "binarized_mnist",
                      "--data-path", W("no_arrays.npz"), "--out", W("x")], "missing array"),
    cli_case("resume into another experiment",
             lambda: train("--model", "nade", "--hidden", 5, "--epochs", 1, "--resume",
                           "--out", W("nade")), "--resume", "hidden"),
    cli_case("resume to no more epochs than done",
             lambda: _nade_resume(W("nade"), epochs=1), "--resume --epochs 1",
             "1 epoch(s) done", "more epochs"),
    cli_case("resume from a model.pt copied over last.pt",
             lambda: _nade_resume(_run_dir("model_as_last", last="nade/model.pt")),
             "--resume", "is a model file", "last.pt"),
    cli_case("resume from another family's last.pt",
             lambda: _nade_resume(_run_dir(
                 "gan_last", last=str((_gan_run() / "checkpoints" / "last.pt")
                                      .relative_to(W("."))))),
             "--resume", "another model", "--model nade"),
    cli_case("resume from a truncated last.pt",
             lambda: _nade_resume(_run_dir("truncated_last",
                                           last="truncated:nade/checkpoints/last.pt")),
             "--resume", "last.pt", "truncated"),
    cli_case("evaluate a truncated model.pt",
             lambda: ["evaluate", "--checkpoint",
                      _run_dir("truncated_model", model="truncated:nade/model.pt") / "model.pt"],
             "model.pt", "truncated"),
    cli_case("sample a truncated model.pt",
             lambda: ["sample", "--checkpoint",
                      _run_dir("truncated_model", model="truncated:nade/model.pt") / "model.pt",
                      "--out", W("s.png")], "model.pt", "truncated"),
    cli_case("evaluate a truncated last.pt",
             lambda: ["evaluate", "--checkpoint", _run_dir(
                 "truncated_last", last="truncated:nade/checkpoints/last.pt")
                 / "checkpoints" / "last.pt"], "last.pt", "truncated"),
    cli_case("a VAE on the ring's real-valued points",
             lambda: ["train", "--model", "vae", "--dataset", "ring", "--epochs", 1,
                      "--threads", 1, "--out", W("vae_ring")],
             "--model vae", "--dataset ring", "binary"),
    cli_case("a GAN on tabular rows no sample metric scores",
             lambda: ["train", "--model", "gan", "--dataset", "wine", "--epochs", 1,
                      "--threads", 1, "--out", W("gan_wine")],
             "--model gan", "--dataset wine", "sample metrics"),
    cli_case("evaluate a DCGAN whose metadata says ring",
             lambda: ["evaluate", "--checkpoint", _dcgan_with_metadata("dcgan_ring", (2, 1, 1))],
             "dcgan", "does not fit", "--dataset ring"),
    cli_case("evaluate a DCGAN whose metadata says ring, its image shape kept",
             lambda: ["evaluate", "--checkpoint", _dcgan_with_metadata("dcgan_ring_64",
                                                                       (1, 8, 8))],
             "dcgan", "does not fit", "--dataset ring"),
    cli_case("sample a DCGAN whose metadata says ring",
             lambda: ["sample", "--checkpoint", _dcgan_with_metadata("dcgan_ring_64", (1, 8, 8)),
                      "--out", W("s.png")], "does not fit", "--dataset ring"),
    cli_case("InfoGAN at learning rate 1e9",
             lambda: ["train", "--model", "infogan", "--dataset", "digits", "--gan-lr", "1e9",
                      "--epochs", 1, "--infogan-hidden", 16, "--infogan-channels", 4,
                      "--threads", 1, "--out", W("infogan_lr")],
             "training stopped", "non-finite", "epoch 1"),
    cli_case("evaluate a missing file", lambda: ["evaluate", "--checkpoint", W("none.pt")],
             "none.pt"),
    cli_case("evaluate a directory", lambda: ["evaluate", "--checkpoint", W(".")],
             "directory"),
    cli_case("evaluate junk", lambda: ["evaluate", "--checkpoint", W("junk.pt")], "junk.pt"),
    cli_case("evaluate a pickle", lambda: ["evaluate", "--checkpoint", W("pickled.pt")],
             "pickled.pt"),
    cli_case("evaluate a trainer checkpoint", lambda: ["evaluate", "--checkpoint",
                                                       W("foreign.pt")], "not a ppl-models"),
    cli_case("evaluate without image_shape",
             lambda: ["evaluate", "--checkpoint", W("no_image_shape.pt")], "image_shape"),
    cli_case("evaluate NaN weights", lambda: ["evaluate", "--checkpoint", W("markov_nan.pt")],
             "NaN or infinite"),
    cli_case("evaluate an infinite entry",
             lambda: ["evaluate", "--checkpoint", W("markov_inf.pt")], "NaN or infinite"),
    cli_case("evaluate tables of exactly 0 and 1",
             lambda: ["evaluate", "--checkpoint", W("markov_zero_one.pt")], "probability 0"),
    cli_case("evaluate a table entry of 1.5",
             lambda: ["evaluate", "--checkpoint", W("markov_one_and_a_half.pt")],
             "markov_one_and_a_half.pt", "table", "[0, 1]", "1.5"),
    cli_case("sample a table entry of 1.5",
             lambda: ["sample", "--checkpoint", W("markov_one_and_a_half.pt"), "--out",
                      W("s.png")], "markov_one_and_a_half.pt", "table", "[0, 1]", "1.5"),
    cli_case("AIS for a model that states no decoder",
             lambda: ["evaluate", "--checkpoint", W("markov/model.pt"), "--estimator", "ais"],
             "--estimator ais", "markov", "vae, aae"),
    cli_case("AIS chains without --estimator ais",
             lambda: ["evaluate", "--checkpoint", W("markov/model.pt"), "--ais-chains", 4],
             "--ais-chains", "--estimator ais"),
    cli_case("IWAE samples for an exact model",
             lambda: ["evaluate", "--checkpoint", W("markov/model.pt"), "--iw-samples", 10],
             "exact"),
    cli_case("another dataset's image size",
             lambda: ["evaluate", "--checkpoint", W("markov/model.pt"), "--dataset",
                      "mnist5k"], "variables per image"),
    cli_case("unknown split", lambda: ["evaluate", "--checkpoint", W("markov/model.pt"),
                                       "--split", "dev"], "--split"),
    cli_case("sample NaN weights", lambda: ["sample", "--checkpoint", W("markov_nan.pt"),
                                            "--out", W("s.png")], "NaN or infinite"),
    cli_case("sample into a directory",
             lambda: ["sample", "--checkpoint", W("markov/model.pt"), "--out", W(".")],
             "is a directory"),
    cli_case("sample into a missing directory",
             lambda: ["sample", "--checkpoint", W("markov/model.pt"), "--out",
                      W("no/where.png")], "does not exist"),
    cli_case("sample --num zero", lambda: ["sample", "--checkpoint", "x.pt", "--num", "zero"],
             "--num"),
    cli_case("sample --num 0", lambda: ["sample", "--checkpoint", W("markov/model.pt"),
                                        "--num", 0, "--out", W("s.png")], "--num"),
    cli_case("report budget 0", lambda: ["report", "--budget-seconds", 0], "--budget-seconds"),
    cli_case("report lr nan", lambda: ["report", "--lr", "nan"], "--lr"),
    cli_case("unknown command", lambda: ["frobnicate"], "frobnicate"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_command_line(case):
    assert_clear(case)


def test_help_pairs_each_default_and_meaning_with_its_kind():
    """A flag shared by kinds with different defaults or meanings lists each kind's, in the
    kinds' order (it used to give sorted defaults, and NADE's meaning of --hidden for all)."""
    import contextlib
    import io

    from inference.cli.main import main
    from inference.cli.model_options import cli_kinds

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["train", "--help"]) == 0
    text = " ".join(out.getvalue().split())
    start = text.index("--latent-dim LATENT_DIM ") + len("--latent-dim LATENT_DIM ")
    latent = text[start:text.index(" --vae-hidden")]
    named = [part.split(":")[0] for part in latent.split("; ")]
    assert named == [k for k in cli_kinds() if k in named] and len(named) >= 5
    assert "vae: size of the code z (default 32)" in latent
    assert "dcgan: size of the generator's noise z (default 100)" in latent
    assert "vae: hidden units of a NADE decoder (default 500)" in text
    assert "pixelrnn: hidden units (default 32)" in text
    assert "[independent, markov, full; default 1.0]" in text  # --pseudo-count
    assert "digits_dequantized, boston, diabetes, breast_cancer, wine are real-valued" in text


def test_a_mismatch_of_model_and_data_is_found_before_training():
    """A GAN given tabular rows trained an epoch and wrote last.pt before refusing; an
    RNADE given binary images wrote config.json (into ./x, from this file's cases)."""
    import contextlib
    import io

    from inference.cli.main import main

    run = W("gan_wine_untouched")
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        code = main(["train", "--model", "gan", "--dataset", "wine", "--epochs", "1",
                     "--threads", "1", "--out", str(run)])
    assert code == 2
    assert not run.exists()
    run = W("rnade_digits_untouched")
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        code = main(["train", "--model", "rnade", "--dataset", "digits", "--threads", "1",
                     "--out", str(run)])
    assert code == 2
    assert not run.exists()


def test_evaluate_scores_as_many_samples_as_the_run_did():
    """The ring GAN trained with --eval-samples 100 (the report's 500) is evaluated on as
    many by default, so its figure comes back (evaluate drew PacGAN's 2,500)."""
    import contextlib
    import io
    import json

    from inference.cli.main import main

    out = io.StringIO()
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(out):
        assert main(["evaluate", "--checkpoint", str(_gan_run() / "model.pt")]) == 0
    scored = json.loads(out.getvalue().strip().splitlines()[-1])
    trained = json.loads((_gan_run() / "metrics.json").read_text())
    assert scored["n"] == 100
    assert scored["high_quality"] == trained["high_quality"]
