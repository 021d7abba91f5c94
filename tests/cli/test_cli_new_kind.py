"""Adding a model kind is one class plus one ``register`` line: the command line trains,
scores and samples it without any other file changing."""

import json

import pyro.distributions as dist
import pytest
import torch
from torch import nn

from ppl_models import registry
from ppl_models.distributions import LazyDistribution
from ppl_models.registry import Option


@pytest.fixture
def toy_kind():
    @registry.register("toy_bernoulli", "exact",
                       options=(Option("init_logit", 0.0, "starting logit", type=float),))
    class ToyBernoulli(LazyDistribution):
        """Independent Bernoulli pixels, one trainable logit each."""

        def __init__(self, dim: int, init_logit: float = 0.0):
            super().__init__()
            self.dim, self.init_logit = dim, init_logit
            self.logits = nn.Parameter(torch.full((dim,), float(init_logit)))

        @property
        def config(self):
            return {"dim": self.dim, "init_logit": self.init_logit}

        def forward(self, context=None):
            return dist.Bernoulli(logits=self.logits).to_event(1)

    yield "toy_bernoulli"
    registry.unregister("toy_bernoulli")


def test_a_kind_registered_here_trains_evaluates_and_samples(toy_kind, tmp_path, cli,
                                                             last_json_line):
    run = tmp_path / "toy"
    code, out, err = cli("train", "--model", toy_kind, "--dataset", "digits", "--epochs", 3,
                         "--lr", 0.05, "--init-logit", -1, "--threads", 1, "--out", run)
    assert code == 0, err
    metrics = last_json_line(out)
    assert metrics["model"] == toy_kind and metrics["estimator"] == "exact"
    assert metrics["num_parameters"] == 64 and metrics["epochs"] == 3
    # Trained, not left at its start: better than independent pixels at logit -1.
    start = -dist.Bernoulli(logits=torch.full((64,), -1.0)).to_event(1).log_prob(
        torch.zeros(64)).item()
    assert metrics["nll_nats"] < 64 * 0.7 and metrics["nll_nats"] != pytest.approx(start)
    assert json.loads((run / "config.json").read_text())["init_logit"] == -1.0

    code, out, err = cli("evaluate", "--checkpoint", run / "model.pt")
    assert code == 0, err
    assert last_json_line(out)["nll_nats"] == metrics["nll_nats"]
    code, out, err = cli("sample", "--checkpoint", run / "model.pt", "--num", 8,
                         "--out", tmp_path / "toy.png")
    assert code == 0, err
    assert (tmp_path / "toy.png").read_bytes()[:4] == b"\x89PNG"


def test_its_option_is_refused_for_other_kinds(toy_kind, tmp_path, cli):
    code, _, err = cli("train", "--model", "markov", "--dataset", "digits", "--init-logit", 1,
                       "--out", tmp_path / "run")
    assert code == 2 and "--init-logit" in err and toy_kind in err
