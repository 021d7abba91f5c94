"""Representations for linear probes: a NADE's last hidden state, a VAE's posterior mean."""

import torch
from torch.testing import assert_close

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
