"""Representations for linear probes: a NADE's last hidden state, a VAE's posterior mean, an
AAE's code, and the one generic call to them."""

import pytest
import torch
from torch.testing import assert_close

from inference.metrics import has_features, model_features
from ppl_models import registry
from ppl_models.distributions import NADE


def test_nade_features_are_the_hidden_state_that_predicts_the_last_variable():
    torch.manual_seed(0)
    order = torch.randperm(12)
    nade = NADE(12, 5, order=order)
    with torch.no_grad():
        nade.c.normal_()
        nade.b.normal_()
    x = (torch.rand(7, 12) < 0.5).float()
    h = nade.features(x)
    assert h.shape == (7, 5) and not h.requires_grad
    # The last conditional, p(x_order[-1] | the rest), is sigm(b_D + V_D . h_D) (eq. 4).
    last = nade.logits(x)[:, order[-1]]
    assert_close(last, nade.b[-1] + h @ nade.V[-1], atol=1e-5, rtol=1e-5)
    # It ignores the last variable and nothing else.
    flipped = x.clone()
    flipped[:, order[-1]] = 1 - flipped[:, order[-1]]
    assert_close(nade.features(flipped), h)
    flipped[:, order[0]] = 1 - flipped[:, order[0]]
    assert not torch.allclose(nade.features(flipped), h)


def test_vae_features_are_the_guide_mean():
    torch.manual_seed(0)
    vae = registry.build("vae", input_shape=[1, 4, 4], latent_dim=3, hidden=[8])
    x = (torch.rand(5, 1, 4, 4) < 0.5).float()
    assert_close(vae.features(x), vae.encode(x)[0].detach())
    assert vae.features(x).shape == (5, 3)


def _aae(prior="gaussian"):
    torch.manual_seed(0)
    return registry.build("aae", input_shape=[1, 4, 4], latent_dim=3, hidden=[8], prior=prior)


def test_aae_features_are_the_encoder_mean_and_deterministic():
    aae = _aae()
    x = (torch.rand(5, 1, 4, 4) < 0.5).float()
    f = aae.features(x)
    assert f.shape == (5, 3) and not f.requires_grad
    # The mean, not a draw of q(z|x): two calls agree exactly, and equal encode's loc.
    assert torch.equal(aae.features(x), f)
    assert_close(f, aae.vae.encode(x)[0].detach())
    # It reads the image: a different input gives a different code.
    assert not torch.allclose(aae.features(1 - x), f)


def test_model_features_calls_each_models_own_method_in_batches():
    aae = _aae("mixture")
    nade = NADE(16, 4)
    x = (torch.rand(7, 1, 4, 4) < 0.5).float()
    assert_close(model_features(aae, x, batch_size=3), aae.features(x))
    # A dim-built kind gets flattened rows, as anomaly_scores gives it.
    assert_close(model_features(nade, x, batch_size=2), nade.features(x.reshape(7, 16)))
    assert aae.training  # restored after the eval-mode call


def test_model_features_refuses_a_model_without_a_representation():
    independent = registry.build("independent", dim=16)
    assert not has_features(independent)
    with pytest.raises(ValueError, match="no features"):
        model_features(independent, torch.zeros(2, 16))
    with pytest.raises(ValueError, match="batch_size"):
        model_features(_aae(), torch.zeros(2, 1, 4, 4), batch_size=0)
