"""The figure writers: PNGs out, bad input refused with the argument named."""

import pytest
import torch

from inference.plots import image_grid, save_nll_bars, save_sample_grid, save_training_curves
from inference.training import History

PNG = b"\x89PNG\r\n\x1a\n"


def test_image_grid_places_each_image():
    images = torch.stack([torch.full((1, 2, 3), v) for v in (0.0, 1.0, 0.25)])
    grid = image_grid(images, nrow=2)
    # 2 rows of (2 + 1) pixels, 2 columns of (3 + 1) pixels, plus the outer border.
    assert grid.shape == (1, 7, 9)
    assert torch.all(grid[:, 1:3, 1:4] == 0.0)
    assert torch.all(grid[:, 1:3, 5:8] == 1.0)
    assert torch.all(grid[:, 4:6, 1:4] == 0.25)
    assert torch.all(grid[:, 4:6, 5:8] == 0.5)  # empty slot shows the background


def test_flat_images_need_their_shape(tmp_path):
    x = torch.rand(5, 12)
    save_sample_grid(x, tmp_path / "g.png", image_shape=(3, 2, 2), nrow=3)
    assert (tmp_path / "g.png").read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="image_shape"):
        save_sample_grid(x, tmp_path / "h.png")
    with pytest.raises(ValueError, match="image_shape"):
        save_sample_grid(x, tmp_path / "h.png", image_shape=(1, 3, 3))


@pytest.mark.parametrize("images, match", [
    (torch.full((2, 1, 3, 3), 2.0), "images"),
    (torch.rand(2, 2, 3, 3), "channels"),
    (torch.rand(0, 1, 3, 3), "images"),
])
def test_bad_images(images, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        save_sample_grid(images, tmp_path / "x.png")


def test_training_curves_from_history_or_dict(tmp_path):
    h = History(epochs=[{"epoch": i, "train_loss": 10.0 / i, "valid_loss": 11.0 / i,
                         "seconds": 0.1} for i in (1, 2, 3)], best_epoch=3,
                best_valid_loss=11.0 / 3)
    path = save_training_curves({"a": h, "b": h.to_dict()}, tmp_path / "c.png")
    assert path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="histories"):
        save_training_curves({}, tmp_path / "d.png")
    with pytest.raises(ValueError, match="histories"):
        save_training_curves({"a": [1, 2]}, tmp_path / "d.png")


def test_nll_bars(tmp_path):
    path = save_nll_bars({"a": 3.0, "b": 2.5}, tmp_path / "n.png", stderr={"a": 0.1})
    assert path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="finite"):
        save_nll_bars({"a": float("inf")}, tmp_path / "m.png")
    with pytest.raises(ValueError, match="directory"):
        save_nll_bars({"a": 1.0}, tmp_path / "missing" / "m.png")
