"""CycleGAN: the cycle game's losses by hand, the replay buffer's sampling, the game through
the generic AdversarialStep (tuples of domains, a history of fakes, linear decay)."""

import pytest
import torch
from torch import nn

from inference.games import CycleGame
from inference.games.replay_buffer import ReplayBuffer
from inference.training import AdversarialStep, linear_decay
from ppl_models import registry
from ppl_models.gan.cyclegan import CycleGAN

SHAPE = (1, 8, 8)


def _small(**kw):
    torch.manual_seed(0)
    return CycleGAN(SHAPE, channels=2, residual_blocks=1, **kw)


class _Shift(nn.Module):
    def __init__(self, by):
        super().__init__()
        self.by = by

    def forward(self, x):
        return x + self.by


def test_registered_as_implicit_playing_the_cycle_game():
    assert registry.family_of("cyclegan") == "implicit"
    assert registry.entry("cyclegan").game == "cycle"
    # Built for a data set's shape like every image kind (its two domains share it).
    assert registry.shape_keyword("cyclegan") == "input_shape"


def _terms(model, a, b, **game_options):
    game = CycleGame(model, **game_options)
    return game.generator_terms(game.draw((a, b)))[0]


def test_identity_generators_have_zero_cycle_and_identity_loss():
    model = _small()
    model.generator["a_to_b"], model.generator["b_to_a"] = nn.Identity(), nn.Identity()
    a, b = torch.rand(3, *SHAPE), torch.rand(3, *SHAPE)
    terms = _terms(model, a, b)
    assert terms.parts == {"cycle": 0.0, "identity": 0.0} and terms.total.item() == 0.0
    assert torch.equal(model.translate(a), a)  # source = target: nothing to change


def test_losses_on_a_hand_computed_shift():
    model = _small()
    model.generator["a_to_b"], model.generator["b_to_a"] = _Shift(0.1), _Shift(0.1)
    a, b = torch.rand(3, *SHAPE) * 0.5, torch.rand(3, *SHAPE) * 0.5
    # Each cycle shifts twice: 0.2 per pixel in each direction; identity shifts once.
    terms = _terms(model, a, b)
    assert terms.parts["cycle"] == pytest.approx(0.4, abs=1e-6)
    assert terms.parts["identity"] == pytest.approx(0.2, abs=1e-6)
    # (10 * 0.4 + 0.5 * 10 * 0.2) / 4: the paper's weights, on the game's LS scale.
    assert terms.total.item() == pytest.approx(1.25, abs=1e-5)
    no_identity = _terms(model, a, b, identity_ratio=0.0)
    assert "identity" not in no_identity.parts
    assert no_identity.total.item() == pytest.approx(1.0, abs=1e-5)


def test_the_adversarial_terms_follow_the_games_loss():
    # Least squares (the paper's) against hinge: the discriminator's loss of one round is
    # the chosen loss of the concatenated patch logits, nothing else.
    model = _small()
    a, b = torch.rand(2, *SHAPE), torch.rand(2, *SHAPE)
    for loss, fn in (("least_squares", lambda r, f: 0.5 * (r - 1).pow(2).mean()
                      + 0.5 * f.pow(2).mean()),
                     ("hinge", lambda r, f: (1 - r).relu().mean() + (1 + f).relu().mean())):
        game = CycleGame(model, loss=loss, buffer_size=0)
        torch.manual_seed(4)
        total, _ = game.discriminator_loss((a, b))
        torch.manual_seed(4)
        real, fake = game.draw((a, b))[1:3]
        with torch.no_grad():
            expected = fn(model.discriminate(real), model.discriminate(fake))
        torch.testing.assert_close(total.detach(), expected)


def test_discriminate_uses_each_domains_discriminator():
    model = _small()
    a, b = torch.rand(3, *SHAPE), torch.rand(2, *SHAPE)
    logits = model.discriminate((a, b))
    patches = (SHAPE[1] // 4) * (SHAPE[2] // 4)
    assert logits.shape == ((3 + 2) * patches,)
    assert torch.equal(logits[:3 * patches], model.discriminator["a"](a).flatten())
    assert torch.equal(logits[3 * patches:], model.discriminator["b"](b).flatten())


def test_replay_buffer_fills_then_returns_history_half_the_time():
    buffer = ReplayBuffer(50)
    first = torch.arange(50.0)[:, None]  # image i is the constant i: its identity
    torch.manual_seed(0)
    assert torch.equal(buffer.query(first), first)  # filling: returned as they are
    assert len(buffer.images) == 50
    n, seen = 4000, set(range(50))
    new = torch.arange(50.0, 50.0 + n)[:, None]
    out = torch.cat([buffer.query(new[i:i + 8]) for i in range(0, n, 8)])[:, 0]
    from_history = out != new[:, 0]
    # Binomial(4000, 1/2): sd 0.0079, so 4 sd is 0.032.
    assert abs(from_history.float().mean().item() - 0.5) < 0.032
    assert len(buffer.images) == 50  # never grows past its size
    # A returned old image is one stored earlier, never the one it replaced, never unseen.
    for i in torch.nonzero(from_history)[:200, 0].tolist():
        assert out[i].item() < new[i, 0].item() and int(out[i]) in seen | set(range(50, 50 + i))
    assert torch.equal(ReplayBuffer(0).query(new[:4]), new[:4])


def test_the_replay_buffer_state_round_trips():
    buffer = ReplayBuffer(3)
    buffer.query(torch.rand(5, 2))
    twin = ReplayBuffer(3)
    twin.load_state_dict(buffer.state_dict())
    torch.manual_seed(1)
    a = buffer.query(torch.ones(4, 2))
    torch.manual_seed(1)
    assert torch.equal(twin.query(torch.ones(4, 2)), a)
    with pytest.raises(ValueError, match="at most 2 images"):
        ReplayBuffer(2).load_state_dict(buffer.state_dict())


def test_linear_decay_is_flat_then_linear_to_zero():
    f = linear_decay(10, 6)
    assert [f(t) for t in (0, 6, 7, 8, 10, 12)] == [1.0, 1.0, 0.75, 0.5, 0.0, 0.0]
    with pytest.raises(ValueError, match="decay_start"):
        linear_decay(5, 5)


def test_one_generic_adversarial_step_trains_both_pairs_and_decays_lr():
    model = _small()
    step = AdversarialStep(model, loss="least_squares", lr=2e-4,
                           lr_lambda=linear_decay(4, 2))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(1)
    batch = (torch.rand(4, *SHAPE), torch.rand(4, *SHAPE))
    for _ in range(4):
        out = step.train_step(batch)
    assert {"d_loss", "g_loss", "cycle", "identity"} <= set(out)
    # The 4th update ran at factor (4 - 3) / (4 - 2) = 0.5 of both players' rates.
    for update in (step.generator_update, step.discriminator_update):
        assert update.optimizer.param_groups[0]["lr"] == pytest.approx(1e-4)
    # All four networks moved; the buffers hold the 16 fakes each domain produced.
    for name in ("generator.a_to_b.1.weight", "generator.b_to_a.1.weight",
                 "discriminator.a.0.0.weight", "discriminator.b.0.0.weight"):
        assert not torch.equal(before[name], model.state_dict()[name]), name
    buffers = step.game.buffers
    assert len(buffers["a"].images) == len(buffers["b"].images) == 16
    assert len(step.state_dict()["game"]["a"]["images"]) == 16


@pytest.mark.parametrize("call, match", [
    (lambda m: m.translate(torch.rand(2, *SHAPE), "a_to_c"), "direction"),
    (lambda m: m.sample(2), "condition"),
    (lambda m: m.sample(3, condition=torch.rand(2, *SHAPE)), "n = 3"),
    (lambda m: CycleGame(m).draw(torch.rand(2, *SHAPE)), "pair"),
    (lambda m: m.translate(torch.rand(2, 1, 4, 4)), "shape"),
    (lambda m: CycleGAN((1, 6, 6)), "multiples of 4"),
    (lambda m: CycleGame(m, cycle_weight=-1.0), "cycle_weight"),
    (lambda m: ReplayBuffer(-1), "size"),
    (lambda m: AdversarialStep(m, gp=10.0), "no R1 or WGAN-GP"),
    (lambda m: AdversarialStep(m, loss="wasserstein"), "no R1 or WGAN-GP|Lipschitz"),
])
def test_bad_inputs_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call(_small())


def test_a_resumed_step_continues_the_decay_from_its_counter():
    model = _small()
    step = AdversarialStep(model, loss="least_squares", lr=2e-4, lr_lambda=linear_decay(4, 0))
    batch = (torch.rand(2, *SHAPE), torch.rand(2, *SHAPE))
    for _ in range(2):
        step.train_step(batch)
    state = step.state_dict()
    twin = AdversarialStep(_small(), loss="least_squares", lr=2e-4,
                           lr_lambda=linear_decay(4, 0))
    twin.load_state_dict(state)
    twin.train_step(batch)
    # The third update (counter 2) runs at (4 - 2) / 4 of the initial rate, not at the
    # rate a fresh schedule would restart from.
    assert twin.discriminator_update.optimizer.param_groups[0]["lr"] == pytest.approx(1e-4)
