"""Training on two processes (gloo, one thread each) equals one process on the same batches.

The two-process tests share one spawn (:mod:`ddp_workers`, run by ``conftest.ddp_dirs``
with the adversarial scenarios: a few seconds of start-up once) and are marked
``distributed`` so that ``-m "not distributed"`` deselects them.

Tolerances: gradients and parameters are float32 sums taken in another order (two partial
sums all-reduced instead of one), so they agree to a few ulps of numbers of order 1; 1e-5
(absolute and relative) is ~100x that and far below any real difference (a gradient of one
shard instead of the whole batch differs at 1e-2). A resumed run repeats the same
operations in the same order, so it must match bit for bit.
"""

from __future__ import annotations

import ddp_workers as W
import pytest
import torch
from torch import nn

from inference.training import SVIStep, Trainer, distributed, seed_everything
from inference.training.checkpoint import load_checkpoint
from inference.training.seeding import rng_state, set_rng_state
from inference.training.trainer import _shuffle_seed

WORLD = 2
TOL = {"atol": 1e-5, "rtol": 1e-5}


@pytest.fixture(scope="module")
def run(ddp_dirs):
    """Every scenario of :func:`ddp_workers.worker` on 2 processes: (results per rank, dir)
    (spawned by ``conftest.ddp_dirs``, with the adversarial scenarios)."""
    out = ddp_dirs["mle_svi"]
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(WORLD)], out


def _close(actual, expected):
    for a, e in zip(actual, expected, strict=True):
        torch.testing.assert_close(a, e, **TOL)


# -- helpers without a process group ------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 5, 7])
def test_shards_cover_the_batch_once_and_evenly(n):
    parts = [distributed.shard(n, r, 3) for r in range(3)]
    assert [i for p in parts for i in range(n)[p]] == list(range(n))
    assert max(p.stop - p.start for p in parts) - min(p.stop - p.start for p in parts) <= 1


def test_shard_weights_make_the_average_the_global_mean():
    shards = [distributed.Shard(2, 3, 2), distributed.Shard(1, 3, 2)]
    # DDP averages over ranks: (1/W) sum_r w_r * mean_r must weight each example by 1/B.
    assert sum(s.mean_weight() / s.size for s in shards) / 2 * 3 == pytest.approx(2.0)
    assert distributed.Shard(0, 1, 2).mean_weight() == 0
    assert distributed.Shard(0, 1, 2).sum_weight() == 0
    assert distributed.Shard(3, 5, 2).sum_weight() == 2


def test_rank_seed_keeps_rank_zero_and_differs_elsewhere():
    assert distributed.rank_seed(7, 0) == 7
    assert distributed.rank_seed(7, 1) != 7
    assert distributed.rank_seed(7, 1) == distributed.rank_seed(7, 1)


def test_backend_follows_the_device():
    assert distributed.backend_for("cpu") == "gloo"
    assert distributed.backend_for(None) == "gloo"
    assert distributed.backend_for("cuda:1") == "nccl"


def test_without_torchrun_nothing_is_initialised(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed.init_from_env() is None
    assert distributed.current() is None and distributed.is_main()
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.delenv("MASTER_PORT", raising=False)
    with pytest.raises(ValueError, match="torchrun"):
        distributed.init_from_env()


def test_lazy_parameters_are_refused_before_wrapping():
    model = nn.Sequential(nn.LazyLinear(3))
    with pytest.raises(ValueError, match="not initialised yet"):
        distributed.data_parallel(model, lambda: model(torch.zeros(1, 2)).sum())


def test_renyi_objective_is_refused_on_several_processes():
    step = SVIStep(W.build_vae(), objective="renyi", num_particles=2)
    with pytest.raises(ValueError, match="renyi"):
        step.distribute()


# -- two processes ------------------------------------------------------------------------


@pytest.mark.distributed
def test_ranks_ran_this_checkout(run):
    results, _ = run
    assert results[0]["inference_file"] == W.trainer_module.__file__


@pytest.mark.distributed
def test_nade_gradients_after_one_step_equal_one_process(run):
    results, _ = run
    expected = W.fit_nade(5, 5, 1)
    for r in range(WORLD):  # DDP leaves the same all-reduced gradient on every rank
        _close(results[r]["nade_one_step"]["grads"], expected["grads"])
    # Sanity: the gradient of one rank's share alone is clearly different.
    model = W.build_nade()
    (-model().log_prob(W.nade_data()[:3]).mean()).backward()
    assert not torch.allclose(model.W.grad, expected["grads"][list(dict(
        model.named_parameters())).index("W")], atol=1e-3)


@pytest.mark.distributed
def test_nade_parameters_and_losses_after_steps_equal_one_process(run):
    results, _ = run
    expected = W.fit_nade(7, 3, 3)
    for r in range(WORLD):
        got = results[r]["nade_steps"]
        _close(got["params"], expected["params"])
        _close(got["grads"], expected["grads"])  # the last update: rank 1 held a stand-in
        # Sums of per-example losses and counts: the one-process means.
        assert got["valid"] == pytest.approx(expected["valid"], rel=1e-6)
        assert got["train"] == pytest.approx(expected["train"], rel=1e-6)


def _svi_reference(n_train: int, batch_size: int, epochs: int):
    """One process, the ELBO over the union of the two ranks' draws.

    Each rank seeds its global RNG with ``rank_seed(SEED, rank)`` and draws the noise of its
    own share; the ELBO of the global batch is the sum of the shares' ELBOs (a sum over the
    ``"data"`` plate), so one process replays each rank's stream on that rank's share and
    adds up the losses before one backward and one update.
    """
    x = W.vae_data()[:n_train]
    vae = W.build_vae()
    step = SVIStep(vae, lr=W.LR)
    streams = []
    for r in range(WORLD):
        seed_everything(distributed.rank_seed(W.SEED, r))
        streams.append(rng_state())
    order_gen = torch.Generator().manual_seed(_shuffle_seed(W.SEED))
    for _ in range(epochs):
        order = torch.randperm(n_train, generator=order_gen)
        for start in range(0, n_train, batch_size):
            idx = order[start:start + batch_size]
            step.update.zero_grad()
            for r in range(WORLD):
                local = idx[distributed.shard(len(idx), r, WORLD)]
                set_rng_state(streams[r])
                # A rank without examples evaluated a stand-in: its draw is consumed, unused.
                loss = step.elbo.differentiable_loss(vae.model, vae.guide,
                                                     x[local if len(local) else idx[:1]])
                if len(local):
                    loss.backward()
                streams[r] = rng_state()
            step.update.step()
    return [p.detach().clone() for p in vae.parameters()], [p.grad.clone()
                                                            for p in vae.parameters()]


@pytest.mark.distributed
@pytest.mark.parametrize("scenario, args", [("vae_one_step", (4, 4, 1)),
                                            ("vae_steps", (7, 3, 2))])
def test_vae_svi_equals_one_process_over_the_union_of_the_ranks_draws(run, scenario, args):
    results, _ = run
    params, grads = _svi_reference(*args)
    for r in range(WORLD):
        _close(results[r][scenario]["grads"], grads)
        _close(results[r][scenario]["params"], params)
    # The reference can fail: one process drawing its own noise gives another gradient.
    one = W.fit_vae(*args)
    assert not all(torch.allclose(a, b, atol=1e-3) for a, b in zip(one["grads"], grads,
                                                                    strict=True))


@pytest.mark.distributed
def test_only_rank_zero_writes_checkpoints(run):
    results, out = run
    assert results[1]["saves"] == []
    assert results[0]["saves"] and all("uninterrupted" in p for p in results[0]["saves"])
    state = load_checkpoint(out / "uninterrupted" / "last.pt")
    assert state["config"]["world_size"] == WORLD
    assert len(state["rng_per_rank"]) == WORLD
    assert not torch.equal(state["rng_per_rank"][0]["torch"], state["rng_per_rank"][1]["torch"])


@pytest.mark.distributed
def test_resume_on_two_processes_matches_the_uninterrupted_run(run):
    results, _ = run
    for r in range(WORLD):
        full, resumed = results[r]["vae_uninterrupted"], results[r]["vae_resumed"]
        assert resumed["valid"] == full["valid"]
        for a, b in zip(full["params"], resumed["params"], strict=True):
            assert torch.equal(a, b)


@pytest.mark.distributed
def test_a_change_of_world_size_is_refused_in_both_directions(run):
    results, out = run
    for r in range(WORLD):
        assert "1 process(es), this one has 2" in results[r]["world_size_refusal"]
    with pytest.raises(ValueError, match="2 process\\(es\\), this one has 1"):
        W.fit_vae(5, 2, 4, ckpt=out / "uninterrupted", resume=True, valid=True)


@pytest.mark.distributed
def test_steps_that_cannot_synchronise_are_refused(run):
    results, _ = run
    for r in range(WORLD):
        assert "no distribute() method" in results[r]["no_distribute_refusal"]
        assert "'outside_the_module' is not a parameter" in results[r]["store_param_refusal"]


@pytest.mark.distributed
def test_ranks_share_rank_zeros_clock_and_evaluate_numbers(run):
    results, _ = run
    for r in range(WORLD):  # one epoch (max_seconds passed), scored by rank 0's callback
        assert results[r]["shared_decisions"] == [0.0]


def test_a_step_is_never_handed_a_shard_outside_a_group():
    step = SVIStep(W.build_vae())
    with pytest.raises(ValueError, match="not distributed"):
        step.train_step(W.vae_data(), shard=distributed.Shard(3, 7, 2))
    assert Trainer(step, W.vae_data(), max_epochs=1, progress=False).fit().epochs
