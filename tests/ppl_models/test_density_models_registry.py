"""Every density model by name: built right, counted right, and saved without loss."""

import pytest
import torch

from inference.training import load_checkpoint, save_checkpoint
from ppl_models.density_models import (
    DENSITY_MODELS,
    build_density_model,
    density_model_state,
    density_of,
    load_density_model,
    num_parameters,
)
from ppl_models.distributions import FVSBN, NADE, ChainRuleBernoulli

N = 6


def trained_like(kind, order=None, context_dim=0):
    """A model whose parameters are nowhere near their defaults, so a lossy round trip
    (e.g. a fresh model, or a lost order) changes ``log_prob``."""
    torch.manual_seed(0)
    model = build_density_model(kind, N, hidden=5, order=order, context_dim=context_dim)
    if isinstance(model, ChainRuleBernoulli):
        x = torch.bernoulli(torch.rand(40, N))
        return model.fit(x, alpha=0.5, beta=0.5)
    for p in model.parameters():
        torch.nn.init.normal_(p)
    return model


def round_trip(model, tmp_path):
    path = tmp_path / "model.pt"
    save_checkpoint(path, density_model_state(model))
    return load_density_model(load_checkpoint(path))  # weights_only=True inside


@pytest.mark.parametrize("kind", DENSITY_MODELS)
@pytest.mark.parametrize("shuffled", [False, True])
def test_round_trip_gives_identical_log_prob(kind, shuffled, tmp_path, all_states):
    order = torch.randperm(N, generator=torch.Generator().manual_seed(2)) if shuffled else None
    model = trained_like(kind, order)
    loaded = round_trip(model, tmp_path)
    assert type(loaded) is type(model)
    x = all_states(N)
    expected = density_of(model).log_prob(x)
    assert torch.equal(density_of(loaded).log_prob(x), expected)
    assert not torch.equal(density_of(build_density_model(kind, N, hidden=5)).log_prob(x),
                           expected)
    assert density_model_state(loaded)["kind"] == kind


@pytest.mark.parametrize("kind", ["fvsbn", "nade"])
def test_round_trip_keeps_the_context_network(kind, tmp_path, all_states):
    model = trained_like(kind, context_dim=3)
    loaded = round_trip(model, tmp_path)
    context = torch.randn(2 ** N, 3, generator=torch.Generator().manual_seed(1))
    x = all_states(N)
    assert torch.equal(loaded(context).log_prob(x), model(context).log_prob(x))


def test_custom_parent_sets_round_trip(tmp_path, all_states):
    parents = [(), (0,), (0, 1), (1,), (), (2, 4)]
    model = ChainRuleBernoulli(parents).fit(torch.bernoulli(torch.rand(30, N)), 1.0, 1.0)
    loaded = round_trip(model, tmp_path)
    assert loaded.parents == model.parents
    assert torch.equal(loaded.log_prob(all_states(N)), model.log_prob(all_states(N)))


@pytest.mark.parametrize("kind, expected", [
    ("independent", N), ("markov", 2 * N - 1), ("full", 2**N - 1),
    ("fvsbn", N * (N + 1) // 2), ("nade", 2 * N * 5 + N + 5),
])
def test_num_parameters(kind, expected):
    assert num_parameters(build_density_model(kind, N, hidden=5)) == expected


def test_build_returns_the_named_structure():
    assert isinstance(build_density_model("fvsbn", N), FVSBN)
    nade = build_density_model("nade", N, hidden=7)
    assert isinstance(nade, NADE) and nade.hidden == 7
    markov = build_density_model("markov", N)
    assert markov.parents == [(), (0,), (1,), (2,), (3,), (4,)]


@pytest.mark.parametrize("kwargs, match", [
    ({"kind": "pixelcnn", "dim": 4}, "kind"),
    ({"kind": "nade", "dim": 0}, "dim"),
    ({"kind": "markov", "dim": 4, "context_dim": 2}, "context_dim"),
    ({"kind": "full", "dim": 64}, "table entries"),
    ({"kind": "fvsbn", "dim": 4, "order": [0, 0, 1, 2]}, "order"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_density_model(**kwargs)


@pytest.mark.parametrize("state", [None, {}, {"kind": "gan"}, {"kind": "nade", "dim": 4}])
def test_load_refuses_what_is_not_a_state(state):
    with pytest.raises(ValueError, match="state"):
        load_density_model(state)


def test_load_refuses_tensors_of_the_wrong_shape():
    state = density_model_state(build_density_model("nade", N, hidden=5))
    state["hidden"] = 4
    with pytest.raises(ValueError, match="state"):
        load_density_model(state)
