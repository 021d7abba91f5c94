import os

import numpy as np
import pytest
import torch

from inference.training import load_checkpoint, save_checkpoint


def _state():
    return {
        "weights": torch.arange(6.0).reshape(2, 3),
        "nested": {"ints": [1, 2, 3], "none": None, "name": "x", "flag": True},
        "loss": 1.5,
        "bytes": torch.ByteTensor([1, 2, 255]),
    }


def _assert_same(a, b):
    assert a.keys() == b.keys()
    torch.testing.assert_close(a["weights"], b["weights"], rtol=0, atol=0)
    torch.testing.assert_close(a["bytes"], b["bytes"], rtol=0, atol=0)
    assert a["nested"] == b["nested"]
    assert a["loss"] == b["loss"]


def test_roundtrip_and_weights_only_load(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, _state())
    _assert_same(load_checkpoint(path), _state())
    _assert_same(torch.load(path, weights_only=True), _state())


def test_write_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, _state())
    save_checkpoint(path, {"other": torch.zeros(2)})
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert set(load_checkpoint(path)) == {"other"}


def test_failed_write_keeps_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "ckpt.pt"
    save_checkpoint(path, _state())
    with pytest.raises(Exception):  # noqa: B017 - whatever pickle raises for a lambda
        save_checkpoint(path, {"unpicklable": lambda: None})
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    _assert_same(load_checkpoint(path), _state())


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "text"])
def test_corrupt_file_raises_value_error_naming_it(tmp_path, damage):
    path = tmp_path / "broken.pt"
    save_checkpoint(path, _state())
    raw = path.read_bytes()
    corrupted = {"truncate": raw[: len(raw) // 2], "garbage": b"not a checkpoint" * 8,
                 "empty": b"", "text": b"epoch,loss\n1,0.5\n"}  # text: torch raises KeyError
    path.write_bytes(corrupted[damage])
    with pytest.raises(ValueError, match="broken.pt"):
        load_checkpoint(path)


def test_unsafe_content_is_refused(tmp_path):
    path = tmp_path / "unsafe.pt"
    torch.save({"array": np.zeros(3)}, path)
    with pytest.raises(ValueError, match="unsafe.pt"):
        load_checkpoint(path)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="state"):
        save_checkpoint(tmp_path / "a.pt", [1, 2])
    with pytest.raises(ValueError, match="directory"):
        save_checkpoint(tmp_path / "missing" / "a.pt", {})
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "absent.pt")
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="not dict"):
        load_checkpoint(tmp_path / "list.pt")
