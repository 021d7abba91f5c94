"""Progressive GAN: fade-in direction, equalised LR, pixel norm, minibatch stddev, schedule."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from inference.games import GrowingGame
from ppl_models.gan.progressive_gan import (
    EqualConv2d,
    EqualLinear,
    ProgressiveGAN,
    minibatch_stddev,
    pixel_norm,
)


def _model(**kw):
    torch.manual_seed(0)
    config = dict(input_shape=[1, 8, 8], latent_dim=4, channels=3, stages=2, fade_steps=4,
                  stable_steps=2)
    config.update(kw)
    return ProgressiveGAN(**config)


def test_pixel_norm_hand_case():
    # channels (3, 4) at one pixel: mean square 12.5, so b = a / sqrt(12.5).
    x = torch.tensor([3.0, 4.0]).view(1, 2, 1, 1)
    assert_close(pixel_norm(x, eps=0.0), x / math.sqrt(12.5))


def test_minibatch_stddev_hand_case():
    # two samples, one feature at two locations: values (0, 2) and (2, 6) -> stds 1 and 2,
    # mean 1.5 (population std, as in the paper's code).
    x = torch.tensor([[[[0.0, 2.0]]], [[[2.0, 6.0]]]])
    out = minibatch_stddev(x, eps=0.0)
    assert out.shape == (2, 2, 1, 2)
    assert_close(out[:, 1], torch.full((2, 1, 2), 1.5))
    assert_close(out[:, :1], x)


def test_equalised_lr_scale_hand_fan_in():
    assert EqualLinear(8, 3).scale == pytest.approx(math.sqrt(2 / 8))
    assert EqualConv2d(2, 5, 3).scale == pytest.approx(math.sqrt(2 / 18))
    conv = EqualConv2d(2, 5, 3)
    x = torch.randn(1, 2, 4, 4)
    assert_close(conv(x), F.conv2d(x, conv.weight * conv.scale, conv.bias, padding=1))


def test_equalised_lr_adam_step_scale_invariant():
    # Adam's step on the stored weight is invariant to a rescaled loss, so with weights kept
    # N(0, 1) the effective change of w * scale is proportional to scale for every layer
    # (Sec. 4.1): two layers whose fan-ins differ by 4x move their effective weight by a ratio
    # equal to their scales' ratio after one step.
    torch.manual_seed(0)
    moves = []
    for fan_in in (4, 16):
        layer = EqualLinear(fan_in, 1)
        opt = torch.optim.Adam([layer.weight], lr=1e-3)
        before = (layer.weight * layer.scale).detach().clone()
        layer(torch.ones(1, fan_in)).sum().backward()
        opt.step()
        moves.append(((layer.weight * layer.scale).detach() - before).abs().mean()
                     / layer.scale)
    # Adam's first step is lr * sign(g) (up to eps=1e-8), so both moves equal lr.
    assert_close(moves[0], moves[1], rtol=1e-4, atol=0.0)
    assert_close(moves[0], torch.tensor(1e-3), rtol=1e-4, atol=0.0)


def test_schedule():
    m = _model(stages=3, input_shape=[1, 8, 8])
    # stable 2 at stage 0, fade 4 + stable 2 at stage 1, fade 4 at stage 2, then alpha = 1.
    expected = {0: (0, 1.0), 1: (0, 1.0), 2: (1, 0.0), 3: (1, 0.25), 5: (1, 0.75),
                6: (1, 1.0), 7: (1, 1.0), 8: (2, 0.0), 10: (2, 0.5), 12: (2, 1.0), 99: (2, 1.0)}
    for step, value in expected.items():
        assert m.schedule(step) == value, step


def test_generator_fade_in_endpoints():
    m = _model()
    g = m.generator
    z = torch.randn(5, 4)
    h = pixel_norm(F.leaky_relu(g.project(pixel_norm(z)).view(-1, 3, 4, 4), 0.2))
    h = pixel_norm(F.leaky_relu(g.conv0(h), 0.2))
    old = F.interpolate(g.to_rgb[0](h), scale_factor=2, mode="nearest")
    new = g.to_rgb[1](g.blocks[0](h))
    # A fade computed the wrong way round swaps these two and fails both asserts.
    assert_close(g(z, 1, 0.0), old)
    assert_close(g(z, 1, 1.0), new)
    assert not torch.allclose(old, new)
    assert_close(g(z, 1, 0.25), 0.25 * new + 0.75 * old)


def test_discriminator_fade_in_endpoints():
    m = _model()
    d = m.discriminator
    x = torch.rand(5, 1, 8, 8)

    def tail(h):
        h = F.leaky_relu(d.conv(minibatch_stddev(h)), 0.2)
        return d.logit(F.leaky_relu(d.out(h), 0.2)).squeeze(1)

    old = tail(F.leaky_relu(d.from_rgb[0](F.avg_pool2d(x, 2)), 0.2))
    new = tail(d.blocks[0](F.leaky_relu(d.from_rgb[1](x), 0.2)))
    assert_close(d(x, 1, 0.0), old)
    assert_close(d(x, 1, 1.0), new)
    assert not torch.allclose(old, new)


def test_sample_shape_range_every_stage():
    m = _model()
    for step in (0, 3, 50):
        m.progress.fill_(step)
        x = m.sample(6)
        assert x.shape == (6, 1, 8, 8)
        assert x.min() >= 0 and x.max() <= 1
        assert m.discriminate(x).shape == (6,)
    # at stage 0 the 8x8 sample is a nearest-upsampled 4x4 image
    m.progress.fill_(0)
    x = m.sample(2)
    assert_close(x, F.interpolate(x[..., ::2, ::2], scale_factor=2, mode="nearest"))


def test_progress_is_state_and_advances_in_training_rounds_only():
    m = _model()
    game = GrowingGame(m, loss="wasserstein", gp=10.0)
    game.discriminator_loss(torch.rand(3, 1, 8, 8))  # a training round: the clock moves
    with torch.no_grad():  # drawing, evaluating and sampling never move it
        game.draw(torch.rand(3, 1, 8, 8))
        game.evaluation(torch.rand(3, 1, 8, 8))
    m.sample(2)
    assert int(m.progress) == 1
    other = _model()
    other.load_state_dict(m.state_dict())
    assert other.schedule() == m.schedule() and int(other.progress) == 1


@pytest.mark.parametrize("bad", [dict(input_shape=[1, 8, 6]), dict(input_shape=[1, 6, 6],
                                 stages=3), dict(fade_steps=0), dict(channels=True)])
def test_bad_config(bad):
    with pytest.raises(ValueError):
        _model(**bad)


def test_bad_input_shape():
    with pytest.raises(ValueError, match="x must have shape"):
        _model().discriminate(torch.rand(2, 1, 4, 4))


def test_adversarial_step_checkpoint_resumes_schedule():
    from inference.training import AdversarialStep

    m = _model()
    step = AdversarialStep(m, loss="wasserstein", gp=10.0, lr=1e-3, betas=(0.0, 0.99))
    data = torch.rand(4, 1, 8, 8)
    for _ in range(3):
        step.train_step(data)
    assert int(m.progress) == 3 and m.schedule() == (1, 0.25)
    state = step.state_dict()
    other = _model()
    resumed = AdversarialStep(other, loss="wasserstein", gp=10.0, lr=1e-3, betas=(0.0, 0.99))
    resumed.load_state_dict(state)
    assert other.schedule() == (1, 0.25)
    step.train_step(data)
    resumed.train_step(data)
    assert other.schedule() == m.schedule() == (1, 0.5)
