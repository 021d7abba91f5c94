"""The registry: every kind by name, in one family, rebuilt from its plain-data config."""

import json

import pytest
from model_configs import SMALL, N, trained_like
from torch import nn

from ppl_models import registry
from ppl_models.distributions import FVSBN, NADE, MarkovBernoulli
from ppl_models.registry import ModelTooLarge, Option


def test_builtin_kinds_and_families():
    assert registry.FAMILIES == ("exact", "latent", "implicit")
    assert registry.kinds("exact") == ("deep_nade", "chain_rule", "independent", "markov",
                                       "full", "fvsbn", "nade", "pixelrnn", "rnade")
    assert registry.kinds("latent") == ("vae",)
    assert set(registry.kinds()) == set(SMALL)
    assert registry.family_of("nade") == "exact" and registry.family_of("vae") == "latent"


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_config_is_plain_data_and_rebuilds_a_twin(kind):
    model = trained_like(kind)
    config = model.config
    assert json.loads(json.dumps(config)) == config
    twin = registry.build(kind, **config)
    assert type(twin) is type(model) and twin.config == config
    twin.load_state_dict(model.state_dict())  # same shapes: strict loading succeeds
    assert registry.kind_of(twin) == kind


def test_shape_keyword_says_how_the_data_shape_is_passed():
    assert registry.shape_keyword("nade") == "dim"
    assert registry.shape_keyword("vae") == "input_shape"
    assert registry.shape_keyword("chain_rule") is None  # built from parent sets, by code


@pytest.mark.parametrize("kind, expected", [
    ("independent", N), ("markov", 2 * N - 1), ("full", 2**N - 1),
    ("fvsbn", N * (N + 1) // 2), ("nade", 2 * N * 5 + N + 5),
])
def test_num_parameters(kind, expected):
    assert registry.num_parameters(registry.build(kind, dim=N, **(
        {"hidden": 5} if kind == "nade" else {}))) == expected


def test_build_returns_the_named_structure():
    assert isinstance(registry.build("fvsbn", dim=N), FVSBN)
    nade = registry.build("nade", dim=N, hidden=7)
    assert isinstance(nade, NADE) and nade.hidden == 7
    markov = registry.build("markov", dim=N)
    assert isinstance(markov, MarkovBernoulli)
    assert markov.parents == [(), (0,), (1,), (2,), (3,), (4,)]


@pytest.mark.parametrize("kind, config, match", [
    ("pixelcnn", {"dim": 4}, "kind"),
    ("nade", {"dim": 0, "hidden": 3}, "dim"),
    ("markov", {"dim": 4, "context_dim": 2}, "context_dim"),
    ("full", {"dim": 64}, "table entries"),
    ("fvsbn", {"dim": 4, "order": [0, 0, 1, 2]}, "order"),
])
def test_bad_arguments(kind, config, match):
    with pytest.raises(ValueError, match=match):
        registry.build(kind, **config)


def test_a_table_too_large_says_how_large_before_allocating():
    with pytest.raises(ModelTooLarge) as info:
        registry.build("full", dim=5000)  # 2^5000 - 1: counted, never built
    assert info.value.num_parameters == 2**5000 - 1
    assert info.value.formula == "2^5000 - 1"


def test_register_and_unregister_a_kind():
    @registry.register("toy_constant", "implicit", game="standard",
                       options=(Option("width", 3, "how wide"),))
    class Toy(nn.Module):
        def __init__(self, dim: int, width: int = 3):
            super().__init__()
            self.dim, self.width = dim, width

        @property
        def config(self):
            return {"dim": self.dim, "width": self.width}

    try:
        assert "toy_constant" in registry.kinds("implicit")
        assert registry.entry("toy_constant").options[0].cli_flag == "--width"
        assert registry.build("toy_constant", dim=2).width == 3
        with pytest.raises(ValueError, match="registered already"):
            registry.register("toy_constant", "implicit", game="standard")(NADE)
    finally:
        registry.unregister("toy_constant")
    assert "toy_constant" not in registry.kinds()


def test_register_refuses_bad_registrations():
    with pytest.raises(ValueError, match="family"):
        registry.register("x", "adversarial")
    with pytest.raises(ValueError, match="config"):
        registry.register("no_config", "exact")(nn.Linear)
    # An implicit kind declares the game that trains it; no other family has one.
    with pytest.raises(ValueError, match="game"):
        registry.register("no_game", "implicit")
    with pytest.raises(ValueError, match="game"):
        registry.register("exact_with_game", "exact", game="standard")
    with pytest.raises(ValueError, match="registered"):
        registry.kind_of(nn.Linear(2, 2))
