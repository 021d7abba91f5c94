"""The adversarial step on two processes (gloo, one thread each) equals one process.

The scenarios share one spawn (:mod:`ddp_adversarial_workers`, run by
``conftest.ddp_dirs`` after the MLE and SVI scenarios) and are marked
``distributed``. The single-process references replay each rank's noise: every rank seeds
its global RNG with ``rank_seed(SEED, rank)`` and draws the noise of its own share of each
global batch, so the reference draws rank ``r``'s share from rank ``r``'s stream and
concatenates the shares, then takes the same updates on the whole global batch. Tolerances
as in ``test_training_distributed.py`` (float32 sums in another order); a resumed run must
match bit for bit.
"""

from __future__ import annotations

import math

import ddp_adversarial_workers as W
import pytest
import torch
from torch import nn

from inference.games.game import Round
from inference.training import AdversarialStep, distributed, seed_everything
from inference.training.checkpoint import load_checkpoint
from inference.training.divergence import first_non_finite
from inference.training.seeding import rng_state, set_rng_state

WORLD = 2
TOL = {"atol": 1e-5, "rtol": 1e-5}


@pytest.fixture(scope="module")
def run(ddp_dirs):
    """Every scenario of :func:`ddp_adversarial_workers.worker` on 2 processes (spawned by
    ``conftest.ddp_dirs``, after the MLE and SVI scenarios): (results per rank, dir)."""
    out = ddp_dirs["adversarial"]
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(WORLD)], out


def _close(actual, expected):
    for a, e in zip(actual, expected, strict=True):
        if e is None:
            assert a is None
        else:
            torch.testing.assert_close(a, e, **TOL)


def _replay_noise(game) -> None:
    """Make ``game.draw`` of a global batch draw as the two ranks do."""
    original = game.draw
    streams = []
    for r in range(WORLD):
        seed_everything(distributed.rank_seed(W.SEED, r))
        streams.append(rng_state())

    def draw(batch):
        reals, fakes = [], []
        for r in range(WORLD):
            part = batch[distributed.shard(len(batch), r, WORLD)]
            set_rng_state(streams[r])
            # A rank without examples evaluated a stand-in: its draw is consumed, unused.
            real, fake = original(part if len(part) else batch[:1])[1:3]
            streams[r] = rng_state()
            if len(part):
                reals.append(real)
                fakes.append(fake)
        return Round(batch, torch.cat(reals), torch.cat(fakes))

    game.draw = draw


def _reference(build, data, n_train, batch_size, epochs, step_kwargs=None, replay=True):
    """One process on the same global batches, the noise replayed from the ranks' streams."""
    class Replayed(AdversarialStep):
        def __init__(self, model, **kwargs):
            super().__init__(model, **kwargs)
            if replay:
                _replay_noise(self.game)

    return W.fit(build, data, n_train, batch_size, epochs, step_kwargs=step_kwargs,
                 step_class=Replayed)


@pytest.mark.distributed
def test_ranks_ran_this_checkout(run):
    results, _ = run
    assert results[0]["inference_file"] == W.trainer_module.__file__


@pytest.mark.distributed
def test_discriminator_gradients_after_one_round_equal_one_process(run):
    results, _ = run
    args = (W.build_gan, W.gan_data, 4, 4, 1, {"d_steps": 2})
    expected = _reference(*args)
    for r in range(WORLD):  # DDP leaves the same all-reduced gradient on every rank
        got = results[r]["gan_one_round"]
        _close(got["d_grads"], expected["d_grads"])
        _close(got["params"], expected["params"])
    # The reference can fail: one process drawing its own noise gives another gradient.
    own = _reference(*args, replay=False)
    assert not all(torch.allclose(a, b, atol=1e-3)
                   for a, b in zip(own["d_grads"], expected["d_grads"], strict=True))


@pytest.mark.distributed
def test_both_players_and_the_ema_after_rounds_equal_one_process(run):
    results, _ = run
    expected = _reference(W.build_gan, W.gan_data, 7, 3, 2, {"d_steps": 2, "ema_decay": 0.9})
    for r in range(WORLD):
        got = results[r]["gan_steps"]
        _close(got["params"], expected["params"])
        _close(got["average"], expected["average"])
        _close(got["g_grads"], expected["g_grads"])  # the last round moved the generator
        # Sums of per-example losses and counts: the one-process means.
        assert got["train"] == pytest.approx(expected["train"], rel=1e-5)


@pytest.mark.distributed
def test_aae_with_its_reconstruction_term_and_r1_equals_one_process(run):
    results, _ = run
    expected = _reference(W.build_aae, W.aae_data, 5, 5, 3, {"r1": 0.5})
    for r in range(WORLD):
        got = results[r]["aae_steps"]
        _close(got["params"], expected["params"])
        _close(got["g_grads"], expected["g_grads"])


@pytest.mark.distributed
def test_batchnorm_buffers_are_rank_zeros_on_every_rank(run):
    """The BatchNorm trap: without the broadcast after each update (DDP's default buffer
    sync at every forward, or none) rank 1 ends with its own running statistics, which
    rank 0 never checkpoints."""
    results, out = run
    zero, one = results[0]["dcgan_uninterrupted"], results[1]["dcgan_uninterrupted"]
    assert zero["buffers"]
    for a, b in zip(zero["buffers"], one["buffers"], strict=True):
        assert torch.equal(a, b)
    for a, b in zip(zero["params"], one["params"], strict=True):
        torch.testing.assert_close(a, b, atol=0, rtol=0)
    saved = load_checkpoint(out / "uninterrupted" / "last.pt")["step"]["model"]
    names = [n for n, _ in W.build_dcgan().named_buffers()]
    for name, b in zip(names, zero["buffers"], strict=True):
        assert torch.equal(saved[name], b)


@pytest.mark.distributed
def test_only_rank_zero_writes_checkpoints(run):
    results, _ = run
    assert results[1]["saves"] == []
    assert len(results[0]["saves"]) == 3


@pytest.mark.distributed
def test_resume_on_two_processes_matches_the_uninterrupted_run(run):
    results, _ = run
    for r in range(WORLD):
        full, resumed = results[r]["dcgan_uninterrupted"], results[r]["dcgan_resumed"]
        assert resumed["train"] == full["train"]
        for a, b in zip(full["params"] + full["buffers"], resumed["params"]
                        + resumed["buffers"], strict=True):
            assert torch.equal(a, b)


@pytest.mark.distributed
@pytest.mark.parametrize("scenario, what", [("nan_loss", "non-finite training loss on rank 1"),
                                            ("nan_gradient", "non-finite gradient on rank 1")])
def test_a_nan_on_one_rank_stops_every_rank_with_the_message(run, scenario, what):
    results, out = run
    for r in range(WORLD):
        outcome = results[r][scenario]
        assert outcome["message"] is not None, f"rank {r} trained on"
        assert what in outcome["message"], outcome["message"]
        assert "at epoch 2, batch 1" in outcome["message"]
        assert "(epoch 1) is kept" in outcome["message"]
        assert outcome["seconds"] < 10  # not a collective's timeout (30 s)
    state = load_checkpoint(out / scenario / "last.pt")
    assert state["epoch"] == 1 and first_non_finite(state) is None


@pytest.mark.distributed
def test_a_game_keeping_state_per_rank_resumes_exactly_on_two_processes(run):
    """CycleGAN's replay buffers hold each rank's own fakes: the Trainer saves every rank's
    and gives each its own back (saving rank 0's alone broke this resume)."""
    results, _ = run
    for r in range(WORLD):
        full, resumed = results[r]["cycle_uninterrupted"], results[r]["cycle_resumed"]
        assert all(torch.equal(a, b) for a, b in zip(full["params"], resumed["params"],
                                                       strict=True))
        assert len(full["buffers"]) == 4 and all(
            torch.equal(a, b) for a, b in zip(full["buffers"], resumed["buffers"], strict=True))
    # The ranks' buffers differ: each saw its own share's fakes.
    assert not all(torch.equal(a, b) for a, b in zip(results[0]["cycle_uninterrupted"]["buffers"],
                                                      results[1]["cycle_uninterrupted"]["buffers"],
                                                      strict=True))


@pytest.mark.distributed
def test_rank_zero_scores_samples_alone(run):
    """torchmetrics gathers its states from every rank by default; after training only rank
    0 scores, so FID must be computed on that rank's sets alone."""
    results, _ = run
    outcome = results[0]["fid_on_rank_zero"]
    assert outcome["error"] is None, outcome["error"]
    assert math.isfinite(outcome["fid"]) and outcome["seconds"] < 10


def test_lazy_parameters_are_refused_before_wrapping():
    model = W.build_gan()
    model.discriminator = nn.Sequential(nn.LazyLinear(4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
    with pytest.raises(ValueError, match="not initialised yet"):
        AdversarialStep(model).distribute()


def test_a_step_is_never_handed_a_shard_outside_a_group():
    step = AdversarialStep(W.build_gan())
    with pytest.raises(ValueError, match="not distributed"):
        step.train_step(W.gan_data(), shard=distributed.Shard(3, 7, 2))
    assert math.isfinite(step.train_step(W.gan_data())["loss"])
