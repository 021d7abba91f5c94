"""Every diagnostic figure writes a PNG; bad input is refused with the argument named."""

import numpy as np
import pytest
import torch

from inference.plots import (
    save_elbo_curves,
    save_kl_per_dimension,
    save_latent_map,
    save_latent_traversals,
    save_prior_samples,
    save_rate_distortion,
    save_reconstructions,
)
from inference.training import History

PNG = b"\x89PNG\r\n\x1a\n"


def decode(z):
    """A toy decoder: 2-D codes to 1x4x4 images (values may leave [0, 1]; they are clipped)."""
    return torch.sigmoid(z @ torch.ones(z.shape[1], 16)).reshape(-1, 1, 4, 4) * 1.1


def epochs():
    return [{"epoch": e, "train_elbo": -10.0 + e, "valid_elbo": -10.5 + e, "train_rate": 1.0 * e,
             "valid_rate": None, "train_distortion": 9.0 - e} for e in (1, 2, 3)]


@pytest.mark.parametrize("history", [epochs(), History(epochs=epochs()),
                                     History(epochs=epochs()).to_dict()])
def test_elbo_curves(history, tmp_path):
    path = save_elbo_curves(history, tmp_path / "elbo.png")
    assert path.read_bytes()[:8] == PNG


def test_elbo_curves_need_some_metric(tmp_path):
    with pytest.raises(ValueError, match="history has no"):
        save_elbo_curves([{"epoch": 1, "train_loss": 3.0}], tmp_path / "e.png")
    with pytest.raises(ValueError, match="history must be"):
        save_elbo_curves([], tmp_path / "e.png")
    with pytest.raises(ValueError, match="metrics"):
        save_elbo_curves(epochs(), tmp_path / "e.png", metrics="elbo")
    with pytest.raises(ValueError, match="directory"):
        save_elbo_curves(epochs(), tmp_path / "missing" / "e.png")


@pytest.mark.parametrize("kl", [torch.rand(10, 6), np.random.default_rng(0).random(6),
                                [0.5, 0.0, 1.2]])
def test_kl_per_dimension_bars(kl, tmp_path):
    path = save_kl_per_dimension(kl, tmp_path / "kl.png", threshold=0.01, title="KL")
    assert path.read_bytes()[:8] == PNG


@pytest.mark.parametrize("kl", [torch.rand(2, 3, 4), torch.zeros(0), [float("nan")], "kl"])
def test_kl_per_dimension_bad_input(kl, tmp_path):
    with pytest.raises(ValueError, match="kl_per_dim"):
        save_kl_per_dimension(kl, tmp_path / "kl.png")


def test_reconstructions(tmp_path):
    x = torch.rand(10, 16)
    path = save_reconstructions(x, lambda v: v.flip(-1), tmp_path / "r.png", num=5,
                                image_shape=(1, 4, 4))
    assert path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="reconstruct must return"):
        save_reconstructions(x, lambda v: v[:, :4], tmp_path / "r.png", image_shape=(1, 4, 4))
    with pytest.raises(ValueError, match="num"):
        save_reconstructions(x, lambda v: v, tmp_path / "r.png", num=0)


def test_prior_samples(tmp_path):
    path = save_prior_samples(decode, torch.randn(12, 2), tmp_path / "p.png", nrow=4)
    assert path.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="z must be"):
        save_prior_samples(decode, torch.randn(2), tmp_path / "p.png")
    with pytest.raises(ValueError, match="decode must be callable"):
        save_prior_samples(None, torch.randn(3, 2), tmp_path / "p.png")


def test_latent_traversals_sweep_one_dimension_per_row(tmp_path):
    seen = []

    def recording_decode(z):
        seen.append(z.clone())
        return decode(z)

    z0 = torch.tensor([0.5, -0.5])
    path = save_latent_traversals(recording_decode, z0, tmp_path / "t.png", span=2.0, steps=5)
    assert path.read_bytes()[:8] == PNG
    z = seen[0].reshape(2, 5, 2)
    torch.testing.assert_close(z[0, :, 0], torch.linspace(-2, 2, 5))
    assert torch.all(z[0, :, 1] == -0.5) and torch.all(z[1, :, 0] == 0.5)
    with pytest.raises(ValueError, match="steps"):
        save_latent_traversals(decode, z0, tmp_path / "t.png", steps=1)
    with pytest.raises(ValueError, match="dims"):
        save_latent_traversals(decode, z0, tmp_path / "t.png", dims=[2])
    with pytest.raises(ValueError, match="span"):
        save_latent_traversals(decode, z0, tmp_path / "t.png", span=0)


@pytest.mark.parametrize("labels", [None, torch.arange(30) % 3])
def test_latent_map(labels, tmp_path):
    path = save_latent_map(torch.randn(30, 4), tmp_path / "m.png", labels=labels, dims=(1, 3))
    assert path.read_bytes()[:8] == PNG


@pytest.mark.parametrize("kwargs, match", [
    (dict(z=torch.randn(5, 1)), "z must be"),
    (dict(dims=(0, 0)), "dims"),
    (dict(dims=(0, 5)), "dims"),
    (dict(labels=torch.rand(5)), "labels"),
    (dict(labels=torch.zeros(4, dtype=torch.long)), "labels"),
])
def test_latent_map_bad_input(kwargs, match, tmp_path):
    args = dict(z=torch.randn(5, 3), path=tmp_path / "m.png") | kwargs
    with pytest.raises(ValueError, match=match):
        save_latent_map(**args)


def rd_epochs():
    return [{"epoch": e, "valid_rate": 1.0 + e, "valid_distortion": 20.0 - 2 * e,
             "train_rate": None} for e in (1, 2, 3)]


@pytest.mark.parametrize("history", [rd_epochs(), History(epochs=rd_epochs())])
def test_rate_distortion_plane(history, tmp_path):
    path = save_rate_distortion(history, tmp_path / "rd.png", points={"test": (3.5, 15.0)},
                                levels={"-ELBO": 18.5, "IWAE": 17.9})
    assert path.read_bytes()[:8] == PNG


@pytest.mark.parametrize("kwargs, match", [
    ({"split": "train"}, "train_rate"),
    ({"split": "test"}, "split"),
    ({"points": {"test": (1.0, float("nan"))}}, "points"),
    ({"levels": {"x": "high"}}, "levels"),
])
def test_rate_distortion_bad_input(kwargs, match, tmp_path):
    with pytest.raises(ValueError, match=match):
        save_rate_distortion(rd_epochs(), tmp_path / "rd.png", **kwargs)
