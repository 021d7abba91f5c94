"""save_model / load_model: every registered kind, one file format, no code ever unpickled."""

import pickle

import pyro
import pytest
import torch
from model_configs import IMAGE, SMALL, N, trained_like

from inference.persistence import FORMAT, VERSION, load_model, save_model
from inference.training import load_checkpoint, save_checkpoint
from ppl_models import registry


def _exact_score(model, all_states):
    x = all_states(N)
    if registry.shape_keyword(registry.kind_of(model)) == "input_shape":
        x = x.reshape(-1, *IMAGE)  # a kind built from an image shape scores images
    return model().log_prob(x)


def _latent_score(model, all_states):
    # A fixed seed draws the same z for both models: identical parameters, identical ELBO.
    x = all_states(N)[:20].reshape(20, *IMAGE)
    pyro.set_rng_seed(0)
    return torch.tensor(pyro.infer.Trace_ELBO().loss(model.model, model.guide, x))


def _implicit_score(model, all_states):
    torch.manual_seed(0)
    # A conditional sampler (a translation model) says what a valid condition looks like.
    make = getattr(model, "example_condition", None)
    return model.sample(16, condition=make(16) if make is not None else None)


SCORES = {"exact": _exact_score, "latent": _latent_score, "implicit": _implicit_score}


@pytest.mark.parametrize("kind", registry.kinds())
def test_every_kind_round_trips_exactly(kind, tmp_path, all_states):
    model = trained_like(kind)
    path = save_model(tmp_path / "m.pt", model, metadata={"note": "kept", "seed": 3})
    loaded, metadata = load_model(path)
    assert type(loaded) is type(model) and loaded.config == model.config
    assert metadata == {"note": "kept", "seed": 3}
    score = SCORES[registry.family_of(kind)]
    expected = score(model, all_states)
    assert torch.equal(score(loaded, all_states), expected)
    # The control: a fresh model of the same config scores differently, so the equality
    # above is the saved state's doing.
    fresh = registry.build(kind, **SMALL[kind])
    assert not torch.equal(score(fresh, all_states), expected)


def test_the_file_holds_plain_data_only(tmp_path):
    save_model(tmp_path / "m.pt", trained_like("nade"))
    state = load_checkpoint(tmp_path / "m.pt")  # weights_only=True inside
    assert set(state) == {"format", "version", "kind", "config", "state", "metadata"}
    assert state["format"] == FORMAT and state["version"] == VERSION
    assert state["kind"] == "nade" and state["config"]["hidden"] == 5


class _Payload:
    """Unpickling this runs code: it must never be unpickled."""

    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path('PWNED').write_text('ran')",))


def test_a_pickled_object_is_refused_and_its_code_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    good = load_checkpoint(save_model(tmp_path / "good.pt", trained_like("markov")))
    torch.save(dict(good, metadata={"x": _Payload()}), path)
    with pytest.raises(ValueError, match="holds code.*refused"):
        load_model(path)
    assert not (tmp_path / "PWNED").exists()
    with open(path, "wb") as f:  # a bare pickle, not even torch's zip format
        pickle.dump(_Payload(), f)
    with pytest.raises(ValueError):
        load_model(path)
    assert not (tmp_path / "PWNED").exists()


def _rewrite(path, **changes):
    state = load_checkpoint(path)
    state.update(changes)
    save_checkpoint(path, state)


@pytest.mark.parametrize("changes, match", [
    ({"format": "something else"}, "not a ppl-models model file"),
    ({"version": VERSION + 1}, "upgrade"),
    ({"version": "1"}, "version"),
    ({"kind": "pixelcnn"}, "not registered"),
    ({"config": {"dim": N, "hidden": 4}}, "do not describe"),
    ({"config": {"dim": N, "width": 4}}, "do not describe"),
])
def test_bad_files_are_refused_clearly(changes, match, tmp_path):
    path = save_model(tmp_path / "m.pt", trained_like("nade"))
    _rewrite(path, **changes)
    with pytest.raises(ValueError, match=match):
        load_model(path)


def test_missing_truncated_directory_and_trainer_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nowhere.pt")
    with pytest.raises(ValueError, match="directory"):
        load_model(tmp_path)
    path = save_model(tmp_path / "m.pt", trained_like("fvsbn"))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="corrupt"):
        load_model(path)
    save_checkpoint(tmp_path / "last.pt", {"epoch": 1, "step": {}})
    with pytest.raises(ValueError, match="not a ppl-models model file"):
        load_model(tmp_path / "last.pt")


def test_save_refuses_unregistered_models_and_non_json_metadata(tmp_path):
    with pytest.raises(ValueError, match="registered"):
        save_model(tmp_path / "m.pt", torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="metadata"):
        save_model(tmp_path / "m.pt", trained_like("nade"), metadata={"t": torch.zeros(1)})
    assert not (tmp_path / "m.pt").exists()
