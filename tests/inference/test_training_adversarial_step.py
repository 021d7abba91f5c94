"""AdversarialStep, the driver of any game: k discriminator updates per generator update,
separate optimisers, the generator's EMA, a game's own term in the same update, and exact
resume through the Trainer."""

import copy

import pytest
import torch
from torch import nn

from inference.games import StandardGame, Terms
from inference.objectives.adversarial import non_saturating_generator_loss
from inference.training import AdversarialStep, Trainer
from ppl_models.gan import GAN


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def _gan(seed=0, **kwargs):
    torch.manual_seed(seed)
    return GAN(2, latent_dim=2, hidden=[8], **kwargs)


def test_k_discriminator_updates_per_generator_update():
    model = _gan()
    step = AdversarialStep(model, d_steps=3, lr=1e-2)
    data = torch.randn(6, 10, 2, generator=torch.Generator().manual_seed(1))
    g_moves, d_moves = [], []
    for batch in data:
        g0, d0 = _params(model.generator), _params(model.discriminator)
        out = step.train_step(batch)
        g_moves.append(not _same(g0, _params(model.generator)))
        d_moves.append(not _same(d0, _params(model.discriminator)))
        assert ("g_loss" in out) == g_moves[-1]
        assert out["loss"] == out["d_loss"]
    assert d_moves == [True] * 6
    assert g_moves == [False, False, True, False, False, True]


def extra(fake):
    return (fake - torch.ones_like(fake)).pow(2).mean()


class _WithExtraTerm(StandardGame):
    """The standard game plus a term of the generator's own: what a game adds."""

    def generator_terms(self, round):
        loss = extra(round.fake)
        return [Terms(loss, {"extra": loss.item()})]


def test_the_generator_update_is_the_games_term_plus_lambda_times_adversarial():
    # SGD makes the update readable: theta <- theta - lr * grad(extra + lambda * adversarial),
    # the gradient taken against the discriminator as it is after its own update, at the
    # fakes of the round the discriminator saw (one generator pass per round).
    model = _gan()
    z = torch.randn(10, 2, generator=torch.Generator().manual_seed(2))
    model.generate = lambda n: model.generator(z[:n])
    lr, lam = 0.1, 0.3
    step = AdversarialStep(
        _WithExtraTerm(model, adversarial_weight=lam),
        generator_optimizer=torch.optim.SGD(model.generator.parameters(), lr=lr),
        discriminator_optimizer=torch.optim.SGD(model.discriminator.parameters(), lr=lr))
    g_before = copy.deepcopy(model.generator)
    batch = torch.randn(10, 2, generator=torch.Generator().manual_seed(3))
    out = step.train_step(batch)
    assert {"g_loss", "extra", "d_loss"} <= out.keys()

    fake = g_before(z)
    loss = extra(fake) + lam * non_saturating_generator_loss(model.discriminate(fake))
    grads = torch.autograd.grad(loss, list(g_before.parameters()))
    for p, p0, g in zip(model.generator.parameters(), g_before.parameters(), grads,
                        strict=True):
        torch.testing.assert_close(p.detach(), p0.detach() - lr * g)


def test_the_generator_ema_is_used_for_evaluation_and_checkpointed():
    model = _gan()
    step = AdversarialStep(model, lr=1e-2, ema_decay=0.9)
    for batch in torch.randn(5, 8, 2, generator=torch.Generator().manual_seed(0)):
        step.train_step(batch)
    raw = _params(model.generator)
    with step.averaged():
        averaged = _params(model.generator)
    assert not _same(raw, averaged) and _same(raw, _params(model.generator))
    assert "average" in step.state_dict()["generator"]


def _train_gan(ckpt, max_epochs, resume, init_seed):
    model = _gan(init_seed, pack=2)
    step = AdversarialStep(model, d_steps=2, lr=5e-3, ema_decay=0.9, r1=0.1)
    data = torch.randn(45, 2, generator=torch.Generator().manual_seed(7))
    trainer = Trainer(step, data, data[:20], batch_size=10, max_epochs=max_epochs,
                      checkpoint_dir=ckpt, seed=3, progress=False, restore_best=False)
    return step, trainer.fit(resume=resume)


def test_exact_resume_of_both_players_through_the_trainer(tmp_path):
    # 5 batches an epoch with d_steps = 2: the generator's turn straddles epochs, so the
    # update counter must be part of the checkpoint.
    full_step, full = _train_gan(tmp_path / "a", 4, False, 0)
    _train_gan(tmp_path / "b", 2, False, 0)
    resumed_step, resumed = _train_gan(tmp_path / "b", 4, True, 99)
    strip = [{k: v for k, v in e.items() if k != "seconds"} for e in full.epochs]
    assert [{k: v for k, v in e.items() if k != "seconds"} for e in resumed.epochs] == strip
    assert _same(_params(full_step.model), _params(resumed_step.model))
    a, b = full_step.state_dict(), resumed_step.state_dict()
    assert a["updates"] == b["updates"] == 20
    for player in ("generator", "discriminator"):
        for i, state in a[player]["optimizer"]["state"].items():
            for k, v in state.items():
                assert torch.equal(v, b[player]["optimizer"]["state"][i][k])
    assert _same(a["generator"]["average"], b["generator"]["average"])


class _Shift(nn.Module):
    """1-D 'GAN': x = z + b against a logistic-regression-plus-square discriminator."""

    def __init__(self):
        super().__init__()
        self.generator = nn.Linear(1, 1)
        self.discriminator = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))
        with torch.no_grad():
            self.generator.weight.fill_(1.0)
            self.generator.bias.zero_()

    def generate(self, n):
        return self.generator(torch.randn(n, 1))

    @torch.no_grad()
    def sample(self, n, condition=None):
        return self.generate(n)

    def discriminate(self, x):
        return self.discriminator(x).squeeze(-1)


@pytest.mark.parametrize("loss", ["non_saturating", "least_squares", "hinge"])
def test_the_game_moves_the_generator_onto_the_data(loss):
    # Data N(3, 1); the generator starts at N(0, 1) and only needs its bias to reach 3.
    torch.manual_seed(0)
    model = _Shift()
    step = AdversarialStep(StandardGame(model, loss=loss), lr=2e-2)
    data = 3 + torch.randn(3000, 1)
    for batch in data.split(50):
        step.train_step(batch)
    for batch in data.split(50):
        step.train_step(batch)
    # 120 updates; adversarial training oscillates around the optimum, so 0.6 (a fifth of
    # the distance travelled) is the tolerance. It starts 3 away.
    assert abs(model.generator.bias.item() - 3) < 0.6


@pytest.mark.parametrize("kwargs, match", [
    (dict(loss="kl"), "loss"),
    (dict(d_steps=0), "d_steps"),
    (dict(r1=-1.0), "r1"),
    (dict(lr=0.0), "lr"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        AdversarialStep(_gan(), **kwargs)
    with pytest.raises(ValueError, match="not a registered model kind"):
        AdversarialStep(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="generator, discriminator"):
        StandardGame(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="ready Game takes none"):
        AdversarialStep(StandardGame(_gan()), loss="hinge")
    with pytest.raises(ValueError, match="Lipschitz"):
        AdversarialStep(_gan(), loss="wasserstein")
