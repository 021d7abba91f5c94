"""The label-conditioned GAN: both players read the label; labels are checked."""

import pytest
import torch

from inference.games import ConditionalGame
from inference.objectives.adversarial import gradient_penalty
from inference.training import AdversarialStep
from ppl_models import registry
from ppl_models.gan.conditional import DISCRIMINATORS, ConditionalGAN

SMALL = {"latent_dim": 4, "channels": 4, "hidden": 16}


def _model(discriminator="projection", shape=(1, 8, 8)):
    torch.manual_seed(0)
    return ConditionalGAN(shape, discriminator=discriminator, **SMALL)


def test_registered_implicit():
    assert registry.family_of("conditional_gan") == "implicit"
    assert registry.shape_keyword("conditional_gan") == "input_shape"


def _pairwise_gaps(x):
    gaps = (x[:, None] - x[None]).abs().mean(dim=(2, 3, 4))
    return gaps[~torch.eye(len(x), dtype=torch.bool)]


def test_the_generators_output_changes_with_the_label_for_fixed_noise():
    # One z, ten labels: every pair of images differs (a generator that ignores its label,
    # the reported StarGAN failure, gives ten copies of one image: gaps of exactly 0). At
    # N(0, 0.02) initial weights every change is small, so the label's effect is measured
    # against the noise's: on this seed the smallest label gap is 0.5x the median gap between
    # ten noise draws of one label (median label gap 2.2x); 0.1x leaves a margin.
    m = _model().eval()
    z = torch.randn(1, 4).expand(10, 4)
    with torch.no_grad():
        by_label = m.generate_from(z, torch.arange(10))
        by_noise = m.generate_from(torch.randn(10, 4), torch.zeros(10, dtype=torch.long))
    assert _pairwise_gaps(by_label).min() > 0.1 * _pairwise_gaps(by_noise).median()
    # And the same label with the same noise gives the same image.
    with torch.no_grad():
        again = m.generate_from(z[:2], torch.tensor([3, 3]))
    assert torch.equal(again[0], again[1]) and torch.allclose(again[0], by_label[3])


@pytest.mark.parametrize("discriminator", DISCRIMINATORS)
def test_the_discriminator_reads_the_label(discriminator):
    m = _model(discriminator).eval()
    x = torch.rand(1, 1, 8, 8).expand(10, 1, 8, 8)
    with torch.no_grad():
        logits = m.discriminate((x, torch.arange(10)))
    assert logits.shape == (10,) and logits.unique().numel() == 10


@pytest.mark.parametrize("discriminator", DISCRIMINATORS)
def test_one_training_step_and_samples(discriminator):
    m = _model(discriminator)
    step = AdversarialStep(m)
    out = step.train_step((torch.rand(12, 1, 8, 8), torch.arange(12) % 10))
    assert {"d_loss", "g_loss"} <= set(out)
    assert set(step.eval_step((torch.rand(4, 1, 8, 8), torch.arange(4)))) >= {"d_loss"}
    s = m.sample(5, condition=torch.tensor([1, 1, 2, 2, 9]))
    assert s.shape == (5, 1, 8, 8) and ((s >= 0) & (s <= 1)).all()
    assert m.sample(3).shape == (3, 1, 8, 8)


def test_the_fakes_share_the_batchs_labels():
    m = _model()
    y = torch.tensor([3, 1, 4, 1, 5])
    _, (x, y_real), (fake, y_fake), _ = ConditionalGame(m).draw((torch.rand(5, 1, 8, 8), y))
    assert torch.equal(y_real, y) and torch.equal(y_fake, y) and fake.requires_grad


@pytest.mark.parametrize("call, match", [
    (lambda m: m.sample(2, condition=torch.tensor([0, 10])), "label 10 is out of range"),
    (lambda m: m.sample(2, condition=torch.tensor([-1, 0])), "label -1 is out of range"),
    (lambda m: m.sample(2, condition=torch.tensor([0.0, 1.0])), "integer"),
    (lambda m: m.sample(3, condition=torch.tensor([0, 1])), "3 values"),
    (lambda m: ConditionalGame(m).draw(torch.rand(2, 1, 8, 8)), r"\(images, labels\)"),
    (lambda m: m.discriminate(torch.rand(2, 1, 8, 8)), r"\(images, labels\)"),
])
def test_bad_labels_are_refused_clearly(call, match):
    with pytest.raises(ValueError, match=match):
        call(_model())


def test_the_penalties_take_their_gradient_in_the_images_at_the_batchs_labels():
    # A conditional WGAN-GP: the penalty of the critic x -> D(x, y), the labels held fixed.
    m = _model()
    game = ConditionalGame(m, loss="wasserstein", gp=10.0)
    x, y = torch.rand(4, 1, 8, 8), torch.arange(4)
    torch.manual_seed(0)
    total, parts = game.discriminator_loss((x, y))
    torch.manual_seed(0)  # the same fakes, then the same interpolation draw
    _, real, fake, _ = game.draw((x, y))
    critic = lambda images: m.discriminate((images, y))  # noqa: E731
    expected = gradient_penalty(critic, real[0], fake[0].detach())
    # The same penalty from the same draws, through two graphs: float32 rounding only.
    assert parts["gp"] == pytest.approx(expected.item(), rel=1e-5)
    step = AdversarialStep(m, loss="hinge", r1=1.0)
    assert "r1" in step.train_step((x, y))


@pytest.mark.parametrize("kwargs, match", [
    ({"num_classes": 1}, "at least 2"), ({"discriminator": "concat"}, "one of"),
    ({"hidden": 0}, "positive"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConditionalGAN((1, 8, 8), **kwargs)


def test_generate_at_and_the_control_grid_hold_the_noise_down_each_column():
    m = _model().train()
    torch.manual_seed(1)
    spec = m.control_figure_inputs(columns=4)
    assert m.training and spec["rows"].shape == (10, 4, 1, 8, 8)
    assert spec["row_titles"] == [f"label {y}" for y in range(10)]
    torch.manual_seed(1)
    z = torch.randn(4, m.latent_dim)
    assert torch.allclose(spec["rows"][6], m.generate_at(z, torch.full((4,), 6)))
    assert _pairwise_gaps(spec["rows"][:, 0]).min() > 0  # a label-blind G gives 0
    with pytest.raises(ValueError, match="out of range"):
        m.generate_at(z, torch.tensor([0, 1, 2, 10]))


@pytest.mark.parametrize("discriminator", DISCRIMINATORS)
def test_the_discriminator_starts_undecided(discriminator):
    # At init D should not already separate anything: with nn.Embedding's N(0, 1) projection
    # weights, embed(y) . phi(x) sums 256 products and gave logits of std 11 here (12 at
    # hidden 1024), so D won before G learned (label accuracy at chance). N(0, 0.02)
    # weights like the head's keep the std well under 1.
    torch.manual_seed(0)
    m = ConditionalGAN((1, 28, 28), discriminator=discriminator, channels=16, hidden=256)
    with torch.no_grad():
        logits = m.discriminate((torch.rand(256, 1, 28, 28), torch.arange(256) % 10))
    assert logits.std() < 1.0
