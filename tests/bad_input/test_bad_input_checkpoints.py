"""Bad model files and checkpoints: refused with a clear error, and never unpickled."""

import pytest
import torch
from catalogue import Case, assert_clear
from workspace import workspace

from inference.persistence import load_model, save_model
from inference.training import MLEStep, Trainer, load_checkpoint, save_checkpoint
from ppl_models.distributions import FVSBN, NADE


def W(name):
    return workspace() / name


def _rewritten(**changes):
    state = load_checkpoint(W("nade/model.pt"))
    path = W("rewritten.pt")
    save_checkpoint(path, dict(state, **changes))
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
