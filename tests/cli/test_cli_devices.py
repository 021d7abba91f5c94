"""``--device`` and ``--precision``: checked once with a clear error, bf16 autocast on the
CPU, the model file written from CPU tensors; and, where CUDA is present, one train + resume
+ evaluate + sample per family on the GPU (marked ``cuda``: skipped without one)."""

import json

import pytest
import torch

from inference.training import Placement
from ppl_models.data import load_dataset

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device is visible")


@pytest.mark.parametrize("device, precision, match", [
    ("gpu", None, "--device: expected cpu, cuda or cuda:N, got 'gpu'"),
    ("meta", None, "--device: expected cpu, cuda or cuda:N"),
    ("cpu", "fp8", "--precision: expected one of"),
    ("cpu", "fp16", "--precision fp16: float16 autocast needs a CUDA device"),
])
def test_a_bad_placement_is_refused_naming_the_option(device, precision, match):
    with pytest.raises(ValueError, match=match):
        Placement.parse(device, precision)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present here")
def test_cuda_without_a_gpu_is_refused_on_the_command_line(cli, tmp_path):
    code, _, err = cli("train", "--model", "nade", "--dataset", "digits", "--device", "cuda",
                       "--out", tmp_path)
    assert code == 2 and "--device cuda: no CUDA device is visible" in err
    assert not (tmp_path / "model.pt").exists()


def test_placement_moves_nested_conditions_and_splits():
    place = Placement.parse("cpu")
    labels, images = torch.zeros(3, dtype=torch.long), torch.zeros(3, 1, 2, 2)
    moved = place.to({"a": (labels, [images]), "b": "caption"})
    assert moved["b"] == "caption" and torch.equal(moved["a"][1][0], images)
    splits = load_dataset("digits")
    assert splits.to("cpu") is splits  # nothing to move
    meta = splits.to("meta")
    assert meta.train.device.type == "meta" and meta.test_labels.device.type == "meta"
    assert meta.image_shape == splits.image_shape


def test_bf16_autocast_trains_on_the_cpu_and_is_recorded(cli, tmp_path):
    runs = {}
    for precision in ("fp32", "bf16"):
        out = tmp_path / precision
        code, _, err = cli("train", "--model", "nade", "--hidden", 16, "--dataset", "digits",
                           "--epochs", 2, "--threads", 1, "--precision", precision,
                           "--out", out)
        assert code == 0, err
        runs[precision] = (json.loads((out / "metrics.json").read_text()),
                           torch.load(out / "model.pt", weights_only=True)["state"])
    (fp32, a), (bf16, b) = runs["fp32"], runs["bf16"]
    assert fp32["device"] == "cpu" and bf16["device"] == "cpu, bf16 autocast"
    # The updates ran in bf16 (the weights differ from fp32's after the same batches) ...
    assert not torch.equal(a["W"], b["W"])
    # ... and the test score is still an exact float32 NLL of a sensible model, within a
    # nat of the fp32 run's: bf16 keeps ~3 significant digits of an update, not of the score
    # (two epochs of a 16-unit NADE, seed 0: 24.637 nats for both, measured 4e-6 apart).
    assert abs(bf16["nll_nats"] - fp32["nll_nats"]) < 1.0
    assert all(t.device.type == "cpu" for t in b.values())


@CUDA
@pytest.mark.cuda
@pytest.mark.parametrize("kind, options", [
    ("nade", ["--hidden", 16]),
    ("vae", ["--latent-dim", 4, "--iw-samples", 50]),
    ("dcgan", ["--binarize", "none"]),
])
def test_train_resume_evaluate_sample_on_cuda(cli, tmp_path, kind, options):
    """One family each: train 1 epoch on the GPU, resume to 2, evaluate on the GPU and on
    the CPU (the file holds CPU tensors), sample on the GPU."""
    base = ["train", "--model", kind, "--dataset", "digits", *options, "--device", "cuda",
            "--out", tmp_path]
    code, _, err = cli(*base, "--epochs", 1)
    assert code == 0, err
    code, _, err = cli(*base, "--epochs", 2, "--resume")
    assert code == 0, err
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["device"].startswith("cuda")
    for device in ("cuda", "cpu"):
        code, out, err = cli("evaluate", "--checkpoint", tmp_path / "model.pt",
                             "--device", device)
        assert code == 0, err
    code, _, err = cli("sample", "--checkpoint", tmp_path / "model.pt", "--device", "cuda",
                       "--out", tmp_path / "s.png")
    assert code == 0, err
