"""Text-to-image GAN: shapes, the matching-aware term, GAN-INT, bad input."""

import pytest
import torch

from inference.games import MatchingAwareGame
from inference.games.game import Round
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


def _mismatch_term(m, loss, x, codes):
    game = MatchingAwareGame(m, loss=loss)
    torch.manual_seed(1)
    term = game.discriminator_terms(Round((x, codes), (x, codes), None))[0].total
    torch.manual_seed(1)
    perm = torch.randperm(4)
    return term, m.discriminate((x, codes[perm]))[(codes[perm] != codes).any(1)]


def test_matching_aware_term_is_the_games_loss_of_wrong_pairs_as_fake():
    m = _model()
    x, codes = torch.rand(4, 1, 8, 8), encode_captions(TEXTS)
    loss, logits = _mismatch_term(m, "non_saturating", x, codes)
    expected = torch.nn.functional.softplus(logits).mean()  # -log(1 - sigmoid)
    assert torch.allclose(loss, expected, atol=1e-6)
    # A wrong implementation labelling (real, wrong text) as real gives another value.
    wrong = torch.nn.functional.softplus(-logits).mean()
    assert not torch.allclose(loss, wrong, atol=1e-3)
    # Under least squares the term is 0.5 * D^2, not a hard-coded BCE.
    loss, logits = _mismatch_term(m, "least_squares", x, codes)
    assert torch.allclose(loss, 0.5 * logits.pow(2).mean(), atol=1e-6)
    assert not torch.allclose(loss, torch.nn.functional.softplus(logits).mean(), atol=1e-3)


def test_the_interpolation_term_is_the_games_generator_loss():
    m = _model()
    x, codes = torch.rand(4, 1, 8, 8), encode_captions(TEXTS)
    for loss, fn in (("non_saturating", lambda d: torch.nn.functional.softplus(-d).mean()),
                     ("least_squares", lambda d: 0.5 * (d - 1).pow(2).mean())):
        game = MatchingAwareGame(m, loss=loss, beta=0.25)
        torch.manual_seed(2)
        term = game.generator_terms(Round((x, codes), (x, codes), None))[0].total
        torch.manual_seed(2)
        e1 = m.embed_text(codes)
        e2 = e1[torch.randperm(4)]
        z = torch.randn(4, m.latent_dim)
        d = m.discriminate((m.generate_from_embedding(z, 0.25 * e1 + 0.75 * e2), codes))
        torch.testing.assert_close(term, fn(d))


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
        MatchingAwareGame(m, beta=2.0)
    with pytest.raises(ValueError, match="word codes"):
        m.sample(2, [TEXTS[0], TEXTS[1]])
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
