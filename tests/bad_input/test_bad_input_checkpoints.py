"""Bad model files and checkpoints: refused with a clear error, and never unpickled."""

import os

import pytest
import torch
from catalogue import Case, assert_clear
from workspace import workspace

from inference.persistence import load_model, save_model
from inference.training import MLEStep, Trainer, load_checkpoint, save_checkpoint
from ppl_models.distributions import FVSBN, NADE, ChainRuleBernoulli
from ppl_models.registry import ModelTooLarge


def W(name):
    return workspace() / name


def _rewritten(**changes):
    state = load_checkpoint(W("nade/model.pt"))
    path = W("rewritten.pt")
    save_checkpoint(path, dict(state, **changes))
    return path


def _truncated(name):
    """A real file without its last quarter: torch's zip reader says "[Errno 22] Invalid
    argument" once the first records are whole (beyond ~4 kB)."""
    data = W(name).read_bytes()
    path = W(f"truncated_{name.replace('/', '_')}")
    path.write_bytes(data[: len(data) * 3 // 4])
    return path


def _huge_config():
    """An FVSBN over 64 pixels whose file says dim = 10^7 (4e14 bytes of weights)."""
    path = W("fvsbn_huge.pt")
    save_model(path, FVSBN(64))
    state = load_checkpoint(path)
    save_checkpoint(path, dict(state, config=dict(state["config"], dim=10**7)))
    return path


def _huge_hidden_with_an_order():
    """A NADE with a given order whose file says hidden = 10^9 (1.3e11 weights)."""
    path = W("nade_huge.pt")
    save_model(path, NADE(64, 4, order=list(range(63, -1, -1))))
    state = load_checkpoint(path)
    save_checkpoint(path, dict(state, config=dict(state["config"], hidden=10**9)))
    return path


def _code():
    path = W("code.pt")
    torch.save({"run": os.system}, path)
    return path


def _table_of(value):
    model = ChainRuleBernoulli.markov(4)
    model.table[0] = value  # past the constructor's check, as an edited file would be
    path = W("markov_table.pt")
    save_model(path, model)
    return path


def _resume_fvsbn_onto_nade():
    x = torch.zeros(4, 64)
    trainer = Trainer(MLEStep(FVSBN(64)), x, batch_size=2, max_epochs=2,
                      checkpoint_dir=W("nade/checkpoints"), progress=False)
    return trainer.fit(resume=True)


CASES = [
    Case("missing model file", lambda: load_model(W("none.pt")), ("none.pt",),
         FileNotFoundError),
    Case("a directory", lambda: load_model(W(".")), ("directory",)),
    Case("text, not a checkpoint", lambda: load_model(W("junk.pt")), ("junk.pt",)),
    Case("a plain pickle", lambda: load_model(W("pickled.pt")), ("pickled.pt",)),
    Case("a trainer checkpoint", lambda: load_model(W("foreign.pt")), ("not a ppl-models",)),
    Case("a newer version", lambda: load_model(_rewritten(version=99)), ("upgrade",)),
    Case("an unknown kind", lambda: load_model(_rewritten(kind="pixelcnn")),
         ("not registered",)),
    Case("a config that does not fit the tensors",
         lambda: load_model(_rewritten(config={"dim": 64, "hidden": 5})), ("do not describe",)),
    Case("no metadata", lambda: load_model(_missing("metadata")), ("lacks",)),
    Case("save an unregistered model",
         lambda: save_model(W("x.pt"), torch.nn.Linear(2, 2)), ("registered",)),
    Case("save tensors as metadata",
         lambda: save_model(W("x.pt"), NADE(4, 2), metadata={"t": torch.zeros(1)}),
         ("metadata",)),
    Case("save a non-dict checkpoint", lambda: save_checkpoint(W("x.pt"), [1, 2]), ("dict",)),
    Case("resume another model's last.pt", _resume_fvsbn_onto_nade, ("cannot resume",)),
    Case("a truncated model.pt", lambda: load_model(_truncated("nade/model.pt")),
         ("truncated",)),
    Case("a truncated last.pt",
         lambda: load_checkpoint(_truncated("nade/checkpoints/last.pt")), ("truncated",)),
    Case("a config of dim 10^7", lambda: load_model(_huge_config()),
         ("too large", "100,000,030,000,000 numbers"), ModelTooLarge),
    Case("a config of hidden 10^9 beside an order",
         lambda: load_model(_huge_hidden_with_an_order()), ("too large",), ModelTooLarge),
    Case("a pickle of code", lambda: load_model(_code()),
         ("holds code", "refused", "posix.system")),
    Case("a table of 1.5", lambda: load_model(_table_of(1.5)), ("table", "[0, 1]", "1.5")),
]


def _missing(key):
    state = load_checkpoint(W("nade/model.pt"))
    del state[key]
    path = W("missing.pt")
    save_checkpoint(path, state)
    return path


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_checkpoint(case):
    assert_clear(case)


@pytest.mark.parametrize("make", [lambda: W("pickled.pt"), _code],
                         ids=["plain pickle", "code"])
def test_pickle_refusal_never_suggests_unpickling(make):
    """The refusal is one whole message of ours: torch's advice to pass weights_only=False
    (the unsafe path) used to be quoted and cut off mid-sentence."""
    with pytest.raises(ValueError) as e:
        load_model(make())
    message = str(e.value)
    assert "weights_only" not in message and "trust" not in message
    assert message.endswith("save_checkpoint")


def test_save_model_removes_a_killed_writes_temporary(tmp_path):
    """A kill during the model.pt write leaves .model.pt.<random>.tmp (0 bytes); the next
    write of model.pt removes it, and nothing else of the directory's."""
    stale = tmp_path / ".model.pt.k1ll3d.tmp"
    stale.write_bytes(b"")
    other = tmp_path / ".last.pt.k1ll3d.tmp"
    other.write_bytes(b"")
    save_model(tmp_path / "model.pt", NADE(4, 2))
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".last.pt.k1ll3d.tmp", "model.pt"]
