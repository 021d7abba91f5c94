"""The VAE by name: built from its config, saved weights-only and restored without loss."""

import pytest
import torch

from inference.training import load_checkpoint, save_checkpoint
from ppl_models.density_models import build_density_model
from ppl_models.latent_models import (
    LATENT_MODELS,
    build_latent_model,
    is_latent_model,
    latent_model_state,
    load_latent_model,
)
from ppl_models.vae import VAE


@pytest.mark.parametrize("kwargs", [
    {},
    {"architecture": "conv", "hidden": (16, 8)},
    {"likelihood": "nade", "nade_hidden": 6},
])
def test_round_trip_through_a_weights_only_checkpoint(kwargs, tmp_path):
    torch.manual_seed(0)
    vae = build_latent_model("vae", (1, 8, 8), latent_dim=3, **{"hidden": (12,), **kwargs})
    for p in vae.parameters():
        torch.nn.init.normal_(p, std=0.3)
    save_checkpoint(tmp_path / "m.pt", latent_model_state(vae))
    back = load_latent_model(load_checkpoint(tmp_path / "m.pt"))  # weights_only=True inside
    assert isinstance(back, VAE) and back.config() == vae.config()
    x = torch.bernoulli(torch.full((5, 1, 8, 8), 0.4))
    for a, b in zip(vae.encode(x), back.encode(x), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    z = torch.randn(5, 3)
    draw = vae.decode(z).sample()
    torch.testing.assert_close(back.decode(z).log_prob(draw), vae.decode(z).log_prob(draw),
                               rtol=0, atol=0)


def test_the_kinds_stay_apart():
    assert LATENT_MODELS == ("vae",)
    assert is_latent_model(build_latent_model("vae", (1, 8, 8), latent_dim=2))
    assert not is_latent_model(build_density_model("nade", 4, hidden=3))
    with pytest.raises(ValueError, match="kind"):
        build_latent_model("nade", (1, 8, 8))
    with pytest.raises(ValueError, match="VAE"):
        latent_model_state(build_density_model("nade", 4, hidden=3))


@pytest.mark.parametrize("state, match", [
    ({"kind": "nade"}, "latent_model_state"),
    ("vae", "latent_model_state"),
    ({"kind": "vae", "config": {"input_shape": [1, 8, 8], "latent_dim": 2}}, "tensors"),
])
def test_bad_state(state, match):
    with pytest.raises(ValueError, match=match):
        load_latent_model(state)
