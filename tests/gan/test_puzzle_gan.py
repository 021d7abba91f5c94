"""Puzzle-GAN: patch cropping, part swapping, the mask target, and one training step."""

import pytest
import torch

from inference.games import PartsGame
from inference.games.game import Round
from inference.objectives.parts import appearance_loss
from inference.training import AdversarialStep
from ppl_models import registry
from ppl_models.gan.puzzle_gan import PuzzleGAN, crop_patches, object_mask, random_boxes, swap_parts


def _coordinate_image(n=2, h=6, w=7):
    """Pixel (i, r, c) holds 100 i + 10 r + c: every value names its image and place."""
    i = torch.arange(n)[:, None, None]
    r = torch.arange(h)[None, :, None]
    c = torch.arange(w)[None, None, :]
    return (100 * i + 10 * r + c).float()[:, None]


def test_crop_patches_are_the_right_pixels():
    torch.manual_seed(0)
    x = _coordinate_image()
    boxes = random_boxes(2, 3, 3, 6, 7)
    patches = crop_patches(x, boxes, 3)
    assert patches.shape == (2, 3, 1, 3, 3)
    for i in range(2):
        for k in range(3):
            r, c = boxes[i, k].tolist()
            assert torch.equal(patches[i, k], x[i, :, r:r + 3, c:c + 3])


def test_random_boxes_stay_inside_and_vary():
    torch.manual_seed(0)
    boxes = random_boxes(200, 2, 3, 6, 7)
    assert boxes[..., 0].min() == 0 and boxes[..., 0].max() == 3
    assert boxes[..., 1].min() == 0 and boxes[..., 1].max() == 4


def test_swapped_parts_take_box_pixels_from_the_other_image():
    x = _coordinate_image()
    boxes = torch.tensor([[[0, 0], [3, 4]], [[1, 1], [1, 1]]])
    out = swap_parts(x, boxes, 2, torch.tensor([1, 0]))
    source = out // 100  # which image each pixel came from
    expected = torch.zeros(2, 1, 6, 7)
    expected[0, 0, 0:2, 0:2] = 1
    expected[0, 0, 3:5, 4:6] = 1
    expected[1] = 1
    expected[1, 0, 1:3, 1:3] = 0
    assert torch.equal(source, expected)
    assert torch.equal(out % 100, x % 100)  # positions are kept, only the source changes


def test_mask_target_is_the_digit_ink_not_the_patch_boxes():
    x = torch.zeros(1, 1, 4, 4)
    x[0, 0, 1, 1:3] = 0.9
    x[0, 0, 2, 2] = 0.4  # faint: below the 0.5 threshold
    mask = object_mask(x)
    assert mask.sum() == 2 and mask[0, 0, 1, 1] == 1 and mask[0, 0, 2, 2] == 0


def test_encoder_sees_only_patch_pixels():
    """Positions are discarded: the same patches at different places give the same output."""
    torch.manual_seed(0)
    model = PuzzleGAN([1, 8, 8], num_patches=2, patch_size=3, channels=4).eval()
    patches = torch.rand(2, 2, 1, 3, 3)
    z = torch.randn(2, model.latent_dim)
    a, _ = model(patches, z)
    b, _ = model(patches.flip(1), z)  # summed embeddings: order-free too
    torch.testing.assert_close(a, b)  # float sum reordering only
    with pytest.raises(ValueError, match="patches"):
        model(torch.rand(2, 2, 1, 8, 8), z)


def test_discriminator_labels_swapped_reals_fake():
    """The swap loss is -log(1 - D): it pushes D(swapped) down. A wrong implementation that
    labels the swapped reals real would push them up and fail this test."""
    torch.manual_seed(0)
    model = PuzzleGAN([1, 8, 8], num_patches=2, patch_size=4, channels=4)
    x = torch.rand(8, 1, 8, 8)
    game = PartsGame(model)
    round_ = game.draw(x)
    swapped = model.swapped_reals(x, round_.latent[0])
    before = model.discriminate(swapped).mean()
    model.zero_grad()
    game.discriminator_terms(round_)[0].total.backward()
    with torch.no_grad():
        for p in model.discriminator.parameters():
            p -= 0.05 * p.grad
    assert model.discriminate(swapped).mean() < before
    # The known wrong version (swapped labelled real) has the opposite gradient.
    wrong = torch.nn.functional.binary_cross_entropy_with_logits(
        model.discriminate(swapped), torch.ones(8))
    right = game.discriminator_terms(round_)[0].total
    g_wrong = torch.autograd.grad(wrong, list(model.discriminator.parameters())[-1])[0]
    g_right = torch.autograd.grad(right, list(model.discriminator.parameters())[-1])[0]
    assert (g_wrong * g_right).sum() < 0


def test_registered_and_one_adversarial_step_runs():
    assert registry.family_of("puzzle_gan") == "implicit"
    torch.manual_seed(0)
    model = PuzzleGAN([1, 8, 8], num_patches=2, patch_size=3, channels=4)
    step = AdversarialStep(model)
    x = torch.rand(6, 1, 8, 8)
    out = step.train_step(x)
    assert {"swap", "mask", "appearance"} <= set(out)
    assert model.sample(3, torch.rand(3, 1, 8, 8)).shape == (3, 1, 8, 8)


def test_mask_and_appearance_losses_decrease_with_training():
    """Two fixed binary templates (patches of 6x6 of an 8x8 image always tell them apart):
    the whole mask and image are predictable from the parts, so 150 Adam steps must cut the
    generator's L1 losses to under half their start (measured with the convolutional networks:
    9.6 -> 0.16; half is generous slack for the random crops and noise)."""
    torch.manual_seed(0)
    model = PuzzleGAN([1, 8, 8], num_patches=2, patch_size=6, channels=8)
    templates = (torch.rand(2, 1, 8, 8) > 0.5).float()
    x = templates[torch.arange(16) % 2]
    opt = torch.optim.Adam(model.generator.parameters(), 1e-2)
    game = PartsGame(model)
    first = None
    for _ in range(150):
        loss = game.generator_terms(game.draw(x))[0].total
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first


@pytest.mark.parametrize("kwargs", [dict(input_shape=[1, 8]), dict(input_shape=[1, 8, 8],
                                                                      patch_size=9),
                                    dict(input_shape=[1, 8, 8], num_patches=0)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        PuzzleGAN(**kwargs)


def test_appearance_compares_each_image_under_its_own_mask():
    """Hand-computed: one ink pixel (0.8) in a 2x2 image, a completion of 0.5 everywhere and a
    predicted mask of 1 everywhere give |0.5 - 0.8| on the ink and |0.5 - 0| on the other
    three pixels: mean 0.45. The version with the true mask on both sides sees only the ink
    pixel (0.3 / 4 = 0.075), so a grey or white canvas outside the ink costs it nothing."""
    model = PuzzleGAN([1, 2, 2], num_patches=1, patch_size=1, channels=2)
    game = PartsGame(model, mask_weight=0.0, appearance_weight=1.0)
    x = torch.zeros(1, 1, 2, 2)
    x[0, 0, 0, 0] = 0.8
    fake = torch.full((1, 1, 2, 2), 0.5)
    boxes, mask = torch.zeros(1, 1, 2, dtype=torch.long), torch.ones(1, 1, 2, 2)
    terms = game.generator_terms(Round(x, x, fake, (boxes, mask)))[0]
    assert terms.total.item() == pytest.approx(0.45)
    assert appearance_loss(fake, mask, x, object_mask(x)).item() == pytest.approx(0.45)


def test_the_swap_term_follows_the_games_loss():
    """Least squares: the swapped reals cost 0.5 * mean(D^2), the fake half of the game's
    discriminator loss; a term hard-coding BCE (softplus(D)) would differ."""
    torch.manual_seed(0)
    model = PuzzleGAN([1, 8, 8], num_patches=2, patch_size=4, channels=4)
    x = torch.rand(4, 1, 8, 8)
    game = PartsGame(model, loss="least_squares", swap_weight=2.0)
    round_ = game.draw(x)
    logits = model.discriminate(model.swapped_reals(x, round_.latent[0]))
    total = game.discriminator_terms(round_)[0].total
    torch.testing.assert_close(total, 2.0 * 0.5 * logits.pow(2).mean())
    bce = torch.nn.functional.softplus(logits).mean()
    assert not torch.allclose(total, 2.0 * bce)


def test_the_game_trains_the_image_not_the_mask_generator():
    """The adversarial loss reaches G_I's output layers but not G_M (its mask collapsed to
    empty when it did: IoU 0.0 on MNIST after 940 updates); the mask loss does reach G_M."""
    torch.manual_seed(0)
    model = PuzzleGAN([1, 8, 8], num_patches=2, patch_size=3, channels=4)
    x = torch.rand(6, 1, 8, 8)
    game = PartsGame(model)
    round_ = game.draw(x)
    fake = round_.fake
    g = model.generator
    mask_params = list(g.mask_features.parameters()) + list(g.mask.parameters())
    adversarial = -torch.nn.functional.logsigmoid(model.discriminate(fake)).mean()
    grads = torch.autograd.grad(adversarial, mask_params + list(g.image.parameters()),
                                allow_unused=True)
    assert all(gr is None or gr.abs().max() == 0 for gr in grads[:len(mask_params)])
    assert all(gr is not None and gr.abs().max() > 0 for gr in grads[len(mask_params):])
    mask_grads = torch.autograd.grad(game.generator_terms(round_)[0].total, mask_params)
    assert all(gr.abs().max() > 0 for gr in mask_grads)
