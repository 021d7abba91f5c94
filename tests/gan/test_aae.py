"""The adversarial autoencoder: its priors, its game on codes, its shared update."""

import math

import pytest
import torch

from inference.games import AutoencoderGame
from inference.objectives.adversarial import minimax_discriminator_loss
from inference.training import AdversarialStep
from ppl_models.aae import AAE

pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _train_discriminator(model, x, steps=100):
    # The encoder is fixed: only D learns, as in the inner maximisation of the game.
    opt = torch.optim.Adam(model.discriminator.parameters(), lr=5e-3)
    game = AutoencoderGame(model)
    for _ in range(steps):
        real, fake = game.draw(x)[1:3]
        loss = minimax_discriminator_loss(model.discriminate(real),
                                          model.discriminate(fake.detach()))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():  # fresh draws: the loss D reached, i.e. -V at the trained D
        real, fake = game.draw(x)[1:3]
        return minimax_discriminator_loss(model.discriminate(real),
                                          model.discriminate(fake)).item()


def _fixed_encoder(model, labels, shift=0.0, scale=None):
    """q(z | x_i): the prior's component of x_i's label, moved by ``shift``."""
    def encode(x):
        loc = model.mixture_means[labels[: len(x)]] + shift
        s = model.mixture_scales if scale is None else torch.full_like(model.mixture_scales,
                                                                      scale)
        return loc, s.expand_as(loc)
    return encode


@pytest.mark.parametrize("prior", ["gaussian", "mixture"])
def test_the_discriminator_does_no_better_than_chance_exactly_when_q_is_the_prior(prior):
    # With q(z) = p(z) the best D is 1/2 everywhere and its loss 2 log 2 = log 4 (the game's
    # value is then at its minimum, -log 4, Thm. 1); any mismatch lets D do better.
    torch.manual_seed(0)
    x = torch.bernoulli(torch.full((500, 1, 2, 3), 0.5))
    labels = torch.randint(0, 10, (500,))  # balanced components: q(z) is the mixture itself
    losses = {}
    cases = [("matched", 0.0, None), ("shifted", 1.5, None)]
    if prior == "gaussian":
        cases.append(("narrow", 0.0, 0.1))
    for name, shift, scale in cases:
        torch.manual_seed(1)
        model = AAE((1, 2, 3), latent_dim=2, hidden=[4], prior=prior, disc_hidden=[16, 16])
        model.vae.encode = _fixed_encoder(model, labels, shift, scale)
        losses[name] = _train_discriminator(model, x)
    # 500 draws a side: the matched loss sits within a few hundredths of log 4 (an
    # overfitting D can dip slightly below it on fresh draws, never far).
    assert losses["matched"] == pytest.approx(math.log(4), abs=0.05)
    assert losses["shifted"] < losses["matched"] - 0.2
    if prior == "gaussian":
        # Against the mixture, codes shrunk onto its ten means differ only at a fine scale,
        # which a D this small and this briefly trained does not resolve; against N(0, I),
        # N(0, 0.01 I) is found at once. So the narrow case is checked for the Gaussian only.
        assert losses["narrow"] < losses["matched"] - 0.1


def test_priors_and_shapes():
    torch.manual_seed(0)
    m = AAE((1, 8, 8), latent_dim=4, hidden=[16], prior="mixture")
    z = m.prior_distribution().sample((5000,))
    assert z.shape == (5000, 4)
    radius = z[:, :2].norm(dim=1)
    assert abs(radius.mean().item() - 4.0) < 0.1  # components on the circle of radius 4
    assert abs(z[:, 2:].std().item() - 1.0) < 0.05
    assert m.sample(3).shape == (3, 1, 8, 8)
    real, fake = AutoencoderGame(m).draw(torch.bernoulli(torch.full((6, 1, 8, 8), 0.5)))[1:3]
    assert real.shape == fake.shape == (6, 4) and fake.requires_grad
    g = AAE((1, 8, 8), latent_dim=3, hidden=[16], prior="gaussian")
    torch.testing.assert_close(g.prior_distribution().log_prob(torch.zeros(3)),
                               torch.tensor(-1.5 * math.log(2 * math.pi)))


def test_one_update_trains_reconstruction_and_the_adversarial_term_together():
    torch.manual_seed(0)
    m = AAE((1, 2, 3), latent_dim=2, hidden=[8], disc_hidden=[8])
    step = AdversarialStep(m, lr=1e-2)
    x = torch.bernoulli(torch.full((32, 1, 2, 3), 0.3))
    decoder_before = [p.detach().clone() for p in m.vae.decoder.parameters()]
    out = step.train_step(x)
    assert {"reconstruction", "g_loss", "d_loss"} <= out.keys()
    # The decoder moved: the reconstruction term was in the generator's update.
    assert any(not torch.equal(a, b) for a, b in zip(decoder_before,
                                                    m.vae.decoder.parameters(), strict=True))
    first = out["reconstruction"]
    for _ in range(150):
        out = step.train_step(x)
    assert out["reconstruction"] < first - 0.5  # reconstruction NLL falls (6 pixels, ~4.1 nats)


def test_bad_arguments():
    with pytest.raises(ValueError, match="prior"):
        AAE((1, 8, 8), prior="laplace")
    with pytest.raises(ValueError, match="latent_dim"):
        AAE((1, 8, 8), latent_dim=1, prior="mixture")
    with pytest.raises(ValueError, match="likelihood"):
        AAE((1, 8, 8), likelihood="nade")
