"""Text-to-image GAN: shapes, the matching-aware term, GAN-INT, bad input."""

import pytest
import torch

from inference.training import AdversarialStep
from ppl_models.data.captions import encode_captions
from ppl_models.gan.text_to_image import TextToImageGAN

TEXTS = ["a thick upright seven", "a thin left-slanted one", "a thin upright one",
         "a thick right-slanted two"]


def _model():
    torch.manual_seed(0)
    return TextToImageGAN([1, 8, 8], latent_dim=3, text_dim=4, channels=2, hidden=8)


def test_sample_shapes_and_range():
    m = _model()
    x = m.sample(4, encode_captions(TEXTS))
    assert x.shape == (4, 1, 8, 8) and x.min() >= 0 and x.max() <= 1


def test_matching_aware_term_is_bce_of_wrong_pairs_as_fake():
    m = _model()
    x, codes = torch.rand(4, 1, 8, 8), encode_captions(TEXTS)
    torch.manual_seed(1)
    loss = m.extra_discriminator_loss((x, codes), (x, codes))
    torch.manual_seed(1)
    perm = torch.randperm(4)
    logits = m.discriminate((x, codes[perm]))[(codes[perm] != codes).any(1)]
    expected = torch.nn.functional.softplus(logits).mean()  # -log(1 - sigmoid)
    assert torch.allclose(loss, expected, atol=1e-6)
    # A wrong implementation labelling (real, wrong text) as real gives another value.
    wrong = torch.nn.functional.softplus(-logits).mean()
    assert not torch.allclose(loss, wrong, atol=1e-3)


def test_a_training_step_runs_with_both_extra_terms():
    m = _model()
    step = AdversarialStep(m)
    out = step.train_step((torch.rand(4, 1, 8, 8), encode_captions(TEXTS)))
    assert all(torch.isfinite(torch.tensor(v)) for v in out.values())


def test_bad_input():
    m = _model()
    with pytest.raises(ValueError, match="unknown word"):
        encode_captions(["a purple seven"])
    with pytest.raises(ValueError, match="beta"):
        TextToImageGAN([1, 8, 8], beta=2.0)
    with pytest.raises(ValueError, match="codes must hold"):
        m.discriminate((torch.rand(2, 1, 8, 8), encode_captions(TEXTS)))


def test_generate_at_is_eval_mode_g_at_the_noise_given():
    m = _model().train()
    z, codes = torch.randn(4, 3), encode_captions(TEXTS)
    out = m.generate_at(z, codes)
    assert m.training and out.shape == (4, 1, 8, 8) and not out.requires_grad
    assert torch.allclose(out, m.generate_at(z, codes))  # no fresh noise inside
    with pytest.raises(ValueError, match="z must"):
        m.generate_at(torch.randn(4, 2), codes)
    with pytest.raises(ValueError, match="codes"):
        m.generate_at(z, codes[:2])
