"""Each example's ``main`` runs with ``--smoke`` and returns sensible numbers."""

import importlib.util
import math
from pathlib import Path

import pytest
import torch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_parameter_counting_smoke(capsys):
    example = load_example("parameter_counting")
    results = example.main(example.parse_args(["--smoke"]))
    counts = results["counts"]
    assert counts[784] == {"states": 2**784, "full": 2**784 - 1, "independent": 784,
                           "markov": 2 * 784 - 1}
    assert counts[4]["full"] == 15
    fits = results["fits"]
    assert set(fits["all 64 pixels"]) == {"independent", "markov"}
    for data, models in fits.items():
        for kind, r in models.items():
            assert 0 < r["nll_nats"] < r["n"] * math.log(2), (data, kind)
    assert fits["patch 3x3"]["full"]["num_parameters"] == 2**9 - 1
    printed = capsys.readouterr().out
    assert "1.02e236" in printed and "1.84e19" in printed


def test_nade_mnist_smoke(tmp_path):
    example = load_example("nade_mnist")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    assert result["epochs"] == 1 and result["estimator"] == "exact"
    # Binarised MNIST: better than uniform (784 ln 2 = 543 nats), far from a trained NADE.
    assert 60 < result["test_nll_nats"] < 784 * math.log(2)
    assert math.isclose(result["test_bits_per_dim"],
                        result["test_nll_nats"] / (784 * math.log(2)))
    assert (tmp_path / "samples.png").read_bytes()[:4] == b"\x89PNG"


def test_anomaly_detection_smoke(tmp_path):
    example = load_example("anomaly_detection")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    auroc = result["auroc"]
    assert set(auroc) == {"held-out digit 9", "inverted", "uniform noise", "constant"}
    # Both likelihood-ratio backgrounds (independent and small NADE) are scored.
    assert all({"NADE likelihood ratio", "NADE likelihood ratio (NADE background)"}
               <= set(row) for row in auroc.values())
    # Even two epochs put inverted digits and noise far below the digits' likelihood.
    for name in ("inverted", "uniform noise"):
        assert all(a > 0.95 for a in auroc[name].values()), (name, auroc[name])
    assert all(0 <= a <= 1 for row in auroc.values() for a in row.values())
    for f in result["figures"]:
        assert Path(f).read_bytes()[:4] == b"\x89PNG"


def test_representations_smoke(tmp_path):
    example = load_example("representations")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    probe = result["probe_accuracy"]
    assert set(probe) == {"NADE h_D (8)", "PCA (8)", "VAE mean (2)", "AAE code (2)",
                          "InfoGAN body (16)", "PCA (2)", "pixels (64)"}
    assert all(set(c) == {"10", "50", "400"} for c in probe.values())
    # Raw pixels of 8x8 digits are linearly readable well above chance (0.1) even at 50
    # labels; every accuracy is a fraction.
    assert probe["pixels (64)"]["400"] > 0.6
    assert all(0 <= a <= 1 for c in probe.values() for a in c.values())
    assert all(0 < a <= 1 for a in result["kmeans_accuracy"].values())
    for f in result["figures"]:
        assert Path(f).read_bytes()[:4] == b"\x89PNG"

def test_gan_ring_smoke(tmp_path):
    example = load_example("gan_ring")
    result = example.main(example.parse_args(["--smoke", "--set", "pack=2", "--out",
                                              str(tmp_path)]))
    assert result["epochs"] == 2 and result["n_modes"] == 8 and result["pack"] == 2
    assert 1 <= result["best_epoch"] <= 2 and result["mixture"] == "ring"
    assert result["loss"] == "non_saturating"  # the game's default: the recipe sets none
    assert 0 <= result["modes_captured"] <= 8 and 0 <= result["high_quality"] <= 1
    for name in ("samples.png", "samples_kept.png", "adversarial_losses.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_dcgan_digits_smoke(tmp_path):
    example = load_example("dcgan_digits")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    # One epoch of a tiny DCGAN: far from the data, and the floor well below it.
    assert result["epochs"] == 1 and result["fid"] > result["fid_train_vs_split"] > 0
    for name in ("samples.png", "samples_kept.png", "adversarial_losses.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_aae_mnist_smoke(tmp_path):
    example = load_example("aae_mnist")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    # 64 binary pixels: reconstruction below the uniform 64 ln 2 = 44.4 nats.
    assert result["epochs"] == 1 and 0 < result["test_reconstruction_nats"] < 64 * math.log(2)
    assert result["dataset"] == "digits" and result["prior"] == "mixture"
    assert result["fid"] > result["fid_train_vs_split"] > 0
    for name in ("latent_map.png", "prior.png", "samples.png", "adversarial_losses.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_pixelrnn_mnist_smoke(tmp_path):
    example = load_example("pixelrnn_mnist")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    # One epoch on 60 images from the independent-model start (about 43 nats on these 8x8
    # centre crops, uniform being 64 ln 2 = 44.4): a sane exact score, not a trained one.
    # 4x4 RGB patches with 4 levels: below uniform (48 ln 4 = 66.5).
    assert result["mnist"]["estimator"] == "exact"
    assert 30 < result["mnist"]["test_nll_nats"] < 64 * math.log(2) + 5
    assert 0 < result["colour"]["test_nll_nats"] < 48 * math.log(4)
    for name in ("samples_mnist.png", "samples_colour.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("dataset", ["wine", "digits"])
def test_rnade_tabular_smoke(dataset):
    example = load_example("rnade_tabular")
    result = example.main(example.parse_args(["--smoke", "--dataset", dataset]))
    assert result["epochs"] == 3 and math.isfinite(result["test_nll_nats_standardised"])
    if dataset == "wine":
        # The raw-data NLL adds the standardisation's log-Jacobian, sum_d log s_d.
        from ppl_models.data import load_tabular

        shift = load_tabular("wine", seed=0).log_scale
        assert result["test_nll_nats_raw"] == pytest.approx(
            result["test_nll_nats_standardised"] + shift)
    else:
        # A bound on the discrete digits: positive and below uniform over 17 levels.
        assert 0 < result["discrete_nll_bound_nats"] < 64 * math.log(17)


def test_cyclegan_digits_smoke(tmp_path):
    example = load_example("cyclegan_digits")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    last = result["last_epoch"]
    assert result["epochs"] == last["epoch"] == 1
    assert all(math.isfinite(last[f"train_{k}"]) for k in ("d_loss", "g_loss", "cycle",
                                                             "identity"))
    # The untranslated upsampled digits are read well above chance (0.1) by the MNIST
    # classifier: the baseline a trained translation is compared with.
    assert result["untranslated_baseline"] > 0.3
    assert 0 <= result["digits_to_mnist_label_kept"] <= 1 and result["cycle_l1"] >= 0
    for f in result["figures"]:
        assert Path(f).read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "model.pt").is_file()  # train's run, in --out


def test_stargan_mnist_smoke(tmp_path):
    example = load_example("stargan_mnist")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    assert result["epochs"] == 1
    assert {"train_d_loss", "train_gp", "train_classification"} <= set(result["last_epoch"])
    assert set(result["attribute_accuracy"]) == {"thick", "slant_right", "inverted"}
    assert all(0 <= a <= 1 for a in result["attribute_accuracy"].values())
    assert 0 <= result["label_accuracy"] <= 1
    assert result["target_sensitivity"] > 0  # the label reaches the output
    for f in result["figures"]:
        assert Path(f).read_bytes()[:4] == b"\x89PNG"


def test_text_to_image_mnist_smoke(capsys, tmp_path):
    example = load_example("text_to_image_mnist")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    out = capsys.readouterr().out
    assert "mismatch" in out and "prompt -> measured caption" in out
    assert len(result["prompts"]) == len(set(result["prompts"])) == 6
    # The captioner measures thickness and slant; the digit is the prompt's.
    assert [m.split()[-1] for m in result["measured"]] == [
        p.split()[-1] for p in result["prompts"]]
    assert result["epochs"] == 1 and 0 <= result["label_accuracy"] <= 1
    assert (tmp_path / "prompts.png").read_bytes()[:4] == b"\x89PNG"


def test_infogan_mnist_smoke(tmp_path):
    example = load_example("infogan_mnist")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    # One epoch on 128 images: the code is not yet a digit; the best matching is at least
    # the mean over all matchings, 1/10, whatever the codes.
    assert result["epochs"] == 1 and 0.1 <= result["categorical_accuracy"] <= 1
    assert result["n_test"] == 500 and result["kept_epoch"] == 1
    for name in ("code_traversal.png", "code_traversal_c1.png", "adversarial_losses.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_conditional_gan_mnist_smoke(tmp_path):
    example = load_example("conditional_gan_mnist")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    assert result["epochs"] == result["best_epoch"] == 1 and 0 <= result["label_accuracy"] <= 1
    assert result["n"] == 100 and result["extractor"].startswith("FeatureClassifier")
    assert result["fid"] > result["fid_train_vs_split"] > 0
    for name in ("conditional_grid.png", "samples.png", "adversarial_losses.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_puzzle_gan_mnist_smoke(tmp_path):
    example = load_example("puzzle_gan_mnist")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    assert result["epochs"] == 1
    assert {"train_d_loss", "train_swap", "train_mask", "train_appearance"} <= set(
        result["last_epoch"])
    assert 0 <= result["mask_iou"] <= 1 and 0 <= result["label_preservation"] <= 1
    assert result["patch_l1"] >= 0
    for f in result["figures"]:
        assert Path(f).read_bytes()[:4] == b"\x89PNG"


def test_progressive_gan_mnist_smoke(tmp_path):
    example = load_example("progressive_gan_mnist")
    result = example.main(example.parse_args(["--smoke", "--out", str(tmp_path)]))
    # Two epochs of 23 rounds on 8x8 digits, phases of 15: stage 1 fading in after the
    # first epoch, faded in by the end.
    per_epoch = result["per_epoch"]
    assert result["epochs"] == 2 and [r["stage"] for r in per_epoch] == [1, 1]
    assert per_epoch[0]["alpha"] == 8 / 15 and per_epoch[1]["alpha"] == 1.0
    assert per_epoch[-1]["resolution"] == 8
    # The kept model's own clock agrees with the table's stage at the kept epoch.
    kept = per_epoch[result["kept_epoch"] - 1]
    assert result["kept_stage"] == [kept["stage"], kept["alpha"]]
    assert result["fid"] > result["fid_train_vs_test"] > 0
    assert all(r["fid"] > 0 for r in per_epoch)
    assert (tmp_path / "samples_kept.png").read_bytes()[:4] == b"\x89PNG"


def test_inpainting_smoke(tmp_path):
    example = load_example("inpainting")
    result = example.main(example.parse_args(["--smoke", "--digits", "3", "--samples", "2",
                                              "--out", str(tmp_path)]))
    nll = result["conditional_nll"]
    assert set(nll) == {"bottom half", "random half"}
    assert set(nll["bottom half"]) == {"DeepNADE", "NADE (raster)", "independent pixels"}
    assert set(nll["random half"]) == {"DeepNADE", "independent pixels"}
    # 32 missing binary pixels: every exact conditional NLL is positive and, even after two
    # epochs, below the uniform 32 ln 2 = 22.2 nats.
    for models in nll.values():
        assert all(0 < r["nll_nats"] < 32 * math.log(2) for r in models.values()), models
    assert Path(result["figure"]).read_bytes()[:4] == b"\x89PNG"
