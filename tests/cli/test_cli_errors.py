"""Bad input ends with one clear line on stderr and exit status 2, never a traceback."""

import pytest


def assert_clean_failure(code, err, *fragments):
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "no message on stderr"
    for fragment in fragments:
        assert fragment in lines[-1], (fragment, lines[-1])


def test_full_joint_on_digits_is_refused(tmp_path, cli):
    code, out, err = cli("train", "--model", "full", "--dataset", "digits",
                         "--out", tmp_path / "full")
    assert_clean_failure(code, err, "full", "64 binary variables", "table entries")
    assert out == ""
    assert not (tmp_path / "full").exists()


@pytest.mark.parametrize("dataset", ["mnist", "binarized_mnist"])
def test_file_dataset_needs_a_data_path(dataset, tmp_path, cli):
    code, _, err = cli("train", "--model", "markov", "--dataset", dataset, "--out", tmp_path)
    assert_clean_failure(code, err, "--data-path", dataset)


def test_missing_data_file(tmp_path, cli):
    missing = tmp_path / "nowhere.npz"
    code, _, err = cli("train", "--model", "markov", "--dataset", "binarized_mnist",
                       "--data-path", missing, "--out", tmp_path / "run")
    assert_clean_failure(code, err, str(missing))


def test_unreadable_data_file(tmp_path, cli):
    bad = tmp_path / "binarized_mnist.npz"
    bad.write_bytes(b"not an archive")
    code, _, err = cli("train", "--model", "markov", "--dataset", "binarized_mnist",
                       "--data-path", bad, "--out", tmp_path / "run")
    assert_clean_failure(code, err, str(bad))


def test_embedded_dataset_refuses_a_data_path(tmp_path, cli):
    code, _, err = cli("train", "--model", "markov", "--dataset", "digits",
                       "--data-path", tmp_path, "--out", tmp_path / "run")
    assert_clean_failure(code, err, "--data-path")


@pytest.mark.parametrize("argv, fragment", [
    (("train", "--model", "pixelcnn", "--dataset", "digits", "--out", "x"), "--model"),
    (("train", "--model", "nade", "--dataset", "digits"), "--out"),
    (("train", "--model", "fvsbn", "--dataset", "digits", "--epochs", "0", "--out", "x"),
     "--epochs"),
    (("train", "--model", "nade", "--dataset", "digits", "--lr", "-1", "--out", "x"), "--lr"),
    (("report", "--budget-seconds", "0"), "--budget-seconds"),
    (("sample", "--checkpoint", "x.pt", "--num", "zero"), "--num"),
    (("frobnicate",), "frobnicate"),
])
def test_bad_arguments(argv, fragment, cli):
    code, _, err = cli(*argv)
    assert_clean_failure(code, err, fragment)


@pytest.mark.parametrize("command", ["evaluate", "sample"])
def test_missing_checkpoint(command, tmp_path, cli):
    code, _, err = cli(command, "--checkpoint", tmp_path / "model.pt")
    assert_clean_failure(code, err, "model.pt")


def test_checkpoint_that_is_not_a_model_file(tmp_path, cli):
    junk = tmp_path / "junk.pt"
    junk.write_text("hello")
    code, _, err = cli("evaluate", "--checkpoint", junk)
    assert_clean_failure(code, err, "junk.pt")


def test_resume_into_a_different_run_is_refused(tmp_path, cli):
    run = tmp_path / "run"
    base = ("train", "--dataset", "digits", "--epochs", 1, "--threads", 1, "--out", run)
    code, _, err = cli(*base, "--model", "fvsbn")
    assert code == 0, err
    code, _, err = cli(*base, "--model", "fvsbn", "--lr", 0.5, "--resume")
    assert_clean_failure(code, err, "--resume", "lr")
