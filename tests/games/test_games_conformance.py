"""Every registered implicit kind, through its declared game and the one Trainer: built from
the registry, trained two updates on tiny data, saved and reloaded, resumed bit for bit,
sampled, and refusing a bad batch with a clear error. A new kind is covered by registering
it (and adding its small configuration to ``model_configs.SMALL``)."""

import numpy as np
import pytest
import torch
from model_configs import SMALL
from nested_equal import nested_equal

from inference.games import Game, game_for
from inference.games.cycle import CycleGame
from inference.training import AdversarialStep, Trainer
from ppl_models import registry
from ppl_models.data import UnpairedDomains
from ppl_models.gan.networks import Networks

KINDS = registry.kinds("implicit")
N = 8


def _shape(model) -> tuple[int, ...]:
    config = model.config
    if "dim" in config:
        return (config["dim"],)
    return tuple(config.get("input_shape") or config["image_shape"])


def tiny_data(game: Game, seed: int = 0):
    """``N`` training examples in the form the game's batches take."""
    g = torch.Generator().manual_seed(seed)
    config = game.model.config
    # {0, 1} values: valid for every kind (images in [0, 1], the AAE's Bernoulli pixels).
    x = torch.rand(N, *_shape(game.model), generator=g).round()
    form = game.batch_form
    if form in ("inputs", "images_to_complete"):
        return x
    if form == "labelled":
        return x, torch.randint(config["num_classes"], (N,), generator=g)
    if form == "captioned":
        return x, torch.randint(1, config["vocabulary_size"], (N, 3), generator=g)
    if form == "unpaired_domains":
        return UnpairedDomains(x, torch.rand(N + 3, *_shape(game.model), generator=g))
    if form == "attributed":
        return x, torch.randint(2, (N, config["num_domains"]), generator=g).float()
    raise AssertionError(f"a batch form the conformance test does not know: {form!r}")


def condition_for(game: Game, n: int):
    """A valid ``condition`` of ``model.sample(n, condition)`` for the game's data."""
    data = tiny_data(game, seed=5)
    if game.batch_form == "inputs":
        return None
    if game.batch_form == "images_to_complete":
        return data[:n]
    if game.batch_form == "unpaired_domains":
        return data.a[:n]
    return tuple(t[:n] for t in data) if game.batch_form == "attributed" else data[1][:n]


def _build(kind, seed=0):
    torch.manual_seed(seed)
    return registry.build(kind, **SMALL[kind])


def _step(model, game_cls=None):
    game = game_for(model) if game_cls is None else game_cls(model)
    return AdversarialStep(game, lr=1e-3)


def _fit(kind, ckpt, epochs, resume=False, init_seed=0, game_cls=None):
    step = _step(_build(kind, init_seed), game_cls)
    trainer = Trainer(step, tiny_data(step.game), None, batch_size=4, max_epochs=epochs,
                      checkpoint_dir=ckpt, seed=1, progress=False, restore_best=False)
    return step, trainer.fit(resume=resume)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_declares_a_game_and_meets_the_networks_contract(kind):
    model = _build(kind)
    assert isinstance(model, Networks)
    game = game_for(model)
    assert game.name == registry.entry(kind).game and game.model is model
    assert game.generator_parameters() and game.discriminator_parameters()


@pytest.mark.parametrize("kind", KINDS)
def test_two_updates_through_the_trainer_move_both_players(kind):
    model = _build(kind)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    step = _step(model)
    history = Trainer(step, tiny_data(step.game), None, batch_size=4, max_epochs=1, seed=0,
                      progress=False).fit()
    assert step.updates == 2
    record = history.epochs[0]
    assert {"train_d_loss", "train_g_loss"} <= record.keys()
    assert all(torch.isfinite(torch.tensor(v)) for k, v in record.items()
               if k.startswith("train_") and v is not None)
    # Both players moved: some of each one's parameters (a step whose discriminator or
    # generator update did nothing fails here).
    for player in (step.game.generator_parameters(), step.game.discriminator_parameters()):
        ids = {id(p) for p in player}
        assert any(not torch.equal(p.detach(), before[_name(model, p)])
                   for p in model.parameters() if id(p) in ids)


def _name(model, param):
    return next(n for n, p in model.named_parameters() if p is param)


@pytest.mark.parametrize("kind", KINDS)
def test_state_dict_round_trip_samples_the_same(kind):
    model = _build(kind, seed=0)
    step = _step(model)
    step.train_step(_first_batch(step.game))
    twin = _build(kind, seed=1)
    twin.load_state_dict(model.state_dict())
    game = step.game
    torch.manual_seed(3)
    a = model.sample(3, condition_for(game, 3))
    torch.manual_seed(3)
    b = twin.sample(3, condition_for(game, 3))
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def _first_batch(game):
    data = tiny_data(game)
    if isinstance(data, UnpairedDomains):
        return data.take(slice(0, 4))
    return data[:4] if isinstance(data, torch.Tensor) else tuple(t[:4] for t in data)


@pytest.mark.parametrize("kind", KINDS)
def test_a_resume_continues_bit_identically(kind, tmp_path):
    full_step, full = _fit(kind, tmp_path / "a", 3)
    _fit(kind, tmp_path / "b", 1)
    resumed_step, resumed = _fit(kind, tmp_path / "b", 3, resume=True, init_seed=9)
    strip = [{k: v for k, v in e.items() if k != "seconds"} for e in full.epochs]
    assert [{k: v for k, v in e.items() if k != "seconds"} for e in resumed.epochs] == strip
    assert nested_equal(full_step.state_dict(), resumed_step.state_dict())


class _ForgetfulCycleGame(CycleGame):
    """CycleGAN's game with its replay buffers kept outside the checkpoint, as they once
    were: what the resume case must catch."""

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        pass


@pytest.mark.parametrize("game_cls, exact", [(CycleGame, True), (_ForgetfulCycleGame, False)])
def test_a_game_keeping_state_outside_its_state_dict_fails_the_resume_case(game_cls, exact,
                                                                           tmp_path):
    # Two images per buffer: full after the first epoch, so the second draws from it.
    def small_buffers(model):
        return game_cls(model, buffer_size=2)

    full_step, _ = _fit("cyclegan", tmp_path / "a", 3, game_cls=small_buffers)
    _fit("cyclegan", tmp_path / "b", 1, game_cls=small_buffers)
    resumed_step, _ = _fit("cyclegan", tmp_path / "b", 3, resume=True, init_seed=9,
                           game_cls=small_buffers)
    same = nested_equal(full_step.model.state_dict(), resumed_step.model.state_dict())
    assert same is exact


@pytest.mark.parametrize("kind", KINDS)
def test_sampling_shapes(kind):
    model = _build(kind)
    game = game_for(model)
    # Any integral count (a numpy integer, as a loop over an array gives) is a count.
    x = model.sample(np.int64(3), condition_for(game, 3))
    assert x.shape == (3, *_shape(model)) and not x.requires_grad
    assert torch.isfinite(x).all()


def _bad_batches(game):
    """Batches the game must refuse, each with what its error must say."""
    batch = _first_batch(game)
    wrong = torch.rand(4, *(s + 1 for s in _shape(game.model)))  # one more in each dim
    if isinstance(batch, torch.Tensor):
        yield wrong, r"shape \(N, "
        return
    yield (wrong, *batch[1:]), r"shape \(N, "
    yield batch[0], r"pair|batches|\(images"  # the conditions left out
    if game.batch_form == "labelled":
        yield (batch[0], batch[1] + 100), "out of range"
    if game.batch_form == "attributed":
        yield (batch[0], batch[1] * 0.5), "0s and 1s"


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_batch_is_refused_with_a_clear_error(kind):
    step = _step(_build(kind))
    for bad, match in _bad_batches(step.game):
        with pytest.raises(ValueError, match=match):
            step.train_step(bad)
