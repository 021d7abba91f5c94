"""The GAN models: output shapes, packing, DCGAN's batch-norm arguments, bad input."""

import pytest
import torch
from torch import nn

from ppl_models import registry
from ppl_models.gan import DCGAN, GAN
from ppl_models.gan.dcgan import BN_EPS, BN_MOMENTUM


def test_both_are_registered_implicit():
    assert {"gan", "dcgan"} <= set(registry.kinds("implicit"))
    assert registry.shape_keyword("gan") == "dim"
    assert registry.shape_keyword("dcgan") == "input_shape"


@pytest.mark.parametrize("pack", [1, 4])
def test_mlp_gan_shapes_and_packing(pack):
    torch.manual_seed(0)
    gan = GAN(2, latent_dim=3, hidden=[16], pack=pack)
    assert gan.sample(10).shape == (10, 2) and not gan.sample(3).requires_grad
    assert gan.discriminator[0].in_features == 2 * pack
    fake = gan.generate(10)
    assert fake.shape == (10, 2) and fake.requires_grad
    # Rows that fill no pack are not scored: 10 rows give 10 // pack logits.
    assert gan.discriminate(fake).shape == (10 // pack,)


def test_packing_puts_consecutive_samples_in_one_input():
    # A pack's logit depends only on its own rows.
    torch.manual_seed(0)
    gan = GAN(2, hidden=[8], pack=2)
    x = torch.randn(4, 2)
    base = gan.discriminate(x)
    x2 = x.clone()
    x2[3] += 1.0
    changed = gan.discriminate(x2)
    assert changed[0] == base[0] and changed[1] != base[1]


@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 8, 8), (3, 12, 16)])
def test_dcgan_output_shapes(shape):
    torch.manual_seed(0)
    m = DCGAN(shape, latent_dim=8, channels=4)
    x = m.generate(5)
    assert x.shape == (5, *shape)
    assert ((x >= 0) & (x <= 1)).all()  # a sigmoid output: images in [0, 1]
    assert m.discriminate(x).shape == (5,)
    assert m.sample(2).shape == (2, *shape)


def test_dcgan_batchnorm_gets_eps_and_momentum_where_intended():
    # PyTorch-GAN's BatchNorm2d(c, 0.8) passes 0.8 as eps; here every layer has the values
    # it was meant to have, and they are torch's documented defaults.
    m = DCGAN((1, 28, 28), latent_dim=8, channels=4)
    norms = [b for b in m.modules() if isinstance(b, nn.BatchNorm2d)]
    assert len(norms) == 3  # two in G, one in D
    for b in norms:
        assert b.eps == BN_EPS == 1e-5 and b.momentum == BN_MOMENTUM == 0.1
        assert b.affine and b.track_running_stats


def test_dcgan_has_no_batchnorm_at_g_output_or_d_input():
    m = DCGAN((1, 8, 8), latent_dim=8, channels=4)
    g = list(m.generator)
    assert isinstance(g[-2], nn.ConvTranspose2d) and isinstance(g[-1], nn.Sigmoid)
    d = list(m.discriminator)
    assert isinstance(d[0], nn.Conv2d) and isinstance(d[1], nn.LeakyReLU)
    assert d[1].negative_slope == 0.2
    assert all(isinstance(a, nn.ReLU) for a in g if isinstance(a, (nn.ReLU, nn.LeakyReLU)))


def test_dcgan_weights_follow_radford_init():
    torch.manual_seed(0)
    m = DCGAN((1, 28, 28), latent_dim=100, channels=64)
    w = torch.cat([c.weight.flatten() for c in m.modules()
                   if isinstance(c, (nn.Conv2d, nn.ConvTranspose2d))])
    # ~1.5 M draws of N(0, 0.02): the sample std is within 1 % of 0.02.
    assert abs(w.std().item() - 0.02) < 2e-4


@pytest.mark.parametrize("build, match", [
    (lambda: DCGAN((1, 10, 10)), "divisible by 4"),
    (lambda: DCGAN((28, 28)), "input_shape"),
    (lambda: DCGAN((1, 8, 8), latent_dim=0), "latent_dim"),
    (lambda: GAN(0), "dim"),
    (lambda: GAN(2, pack=0), "pack"),
    (lambda: GAN(2, hidden=16), "hidden"),
])
def test_bad_arguments_are_refused(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_bad_inputs_are_refused():
    gan = GAN(2, pack=3)
    with pytest.raises(ValueError, match="at least pack=3"):
        gan.discriminate(torch.randn(2, 2))
    with pytest.raises(ValueError, match="shape"):
        gan.discriminate(torch.randn(3, 5))
    with pytest.raises(ValueError, match="condition"):
        gan.sample(2, condition=torch.zeros(2))
    with pytest.raises(ValueError, match="shape"):
        DCGAN((1, 8, 8)).discriminate(torch.rand(2, 1, 28, 28))
