"""SVIStep: Pyro's ELBOs as the loss, rate/distortion bookkeeping, KL warm-up, exact resume."""

import math

import pyro
import pytest
import torch
from pyro.infer import RenyiELBO, Trace_ELBO, TraceMeanField_ELBO
from torch import nn
from torch.distributions import Normal, kl_divergence

from inference.training import Step, Trainer
from inference.training.divergence import TrainingDiverged
from inference.training.svi_step import SVIStep
from ppl_models.data import load_dataset
from ppl_models.vae import VAE


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _vae(likelihood="bernoulli"):
    torch.manual_seed(0)
    return VAE((1, 8, 8), 4, hidden=(32,), likelihood=likelihood, nade_hidden=16)


def test_is_a_step():
    assert isinstance(SVIStep(_vae()), Step)


@pytest.mark.parametrize(
    "objective, kwargs, pyro_elbo",
    [
        ("trace", {}, Trace_ELBO()),
        ("meanfield", {}, TraceMeanField_ELBO()),
        ("renyi", {"num_particles": 3}, RenyiELBO(alpha=0, num_particles=3)),
        ("trace", {"num_particles": 2}, Trace_ELBO(num_particles=2)),
        # Told the VAE's one plate, Pyro's ELBO guesses nothing; the step guesses the
        # nesting on a forked generator, so both draw the same particles.
        ("renyi", {"num_particles": 3, "vectorize_particles": True},
         RenyiELBO(alpha=0, num_particles=3, vectorize_particles=True, max_plate_nesting=1)),
        ("meanfield", {"num_particles": 4, "vectorize_particles": True},
         TraceMeanField_ELBO(num_particles=4, vectorize_particles=True, max_plate_nesting=1)),
    ],
)
def test_loss_is_pyros_loss_on_the_same_draw(digits, objective, kwargs, pyro_elbo):
    vae, x = _vae(), digits.train[:20]
    pyro.set_rng_seed(1)
    expected = pyro_elbo.loss(vae.model, vae.guide, x) / len(x)
    pyro.set_rng_seed(1)
    out = SVIStep(vae, objective=objective, **kwargs).train_step(x)
    assert out["loss"] == pytest.approx(expected, rel=1e-6)
    assert out["elbo"] == -(out["rate"] + out["distortion"])
    # Per datum and per draw, not summed over particles: an untrained decoder's distortion
    # hardly depends on z, so another draw agrees to well within 10%.
    assert out["distortion"] == pytest.approx(SVIStep(vae).eval_step(x)["distortion"], rel=0.1)
    if objective == "trace" and not kwargs:  # one draw: the ELBO terms are the loss's
        assert out["elbo"] == pytest.approx(-out["loss"], rel=1e-6)


@pytest.mark.parametrize("likelihood", ["bernoulli", "nade"])
def test_eval_terms_match_pyro_and_leave_parameters_alone(digits, likelihood):
    vae, x = _vae(likelihood), digits.valid[:30]
    before = [p.detach().clone() for p in vae.parameters()]
    pyro.set_rng_seed(2)
    expected = -Trace_ELBO().loss(vae.model, vae.guide, x) / len(x)
    pyro.set_rng_seed(2)
    out = SVIStep(vae).eval_step(x)
    assert out.keys() == {"loss", "elbo", "rate", "distortion"}
    assert out["elbo"] == pytest.approx(expected, rel=1e-6)
    assert out["loss"] == -out["elbo"] == out["rate"] + out["distortion"]
    assert all(torch.equal(a, b) for a, b in zip(before, vae.parameters(), strict=True))
    assert all(p.grad is None for p in vae.parameters())


def test_rate_is_a_monte_carlo_kl_and_distortion_a_reconstruction_cost(digits):
    vae = _vae()
    x = digits.valid[:1].expand(4000, -1, -1, -1)  # one digit, 4000 draws of z ~ q(z|x)
    pyro.set_rng_seed(3)
    out = SVIStep(vae).eval_step(x)
    loc, scale = vae.encode(digits.valid[:1])
    kl = kl_divergence(Normal(loc, scale), Normal(0.0, 1.0)).sum().item()
    # The MC rate log q - log p has standard deviation ~ sqrt(L / 2) ~ 1.4 nats per draw
    # for a near-prior posterior, so its mean over 4000 draws is within 0.03 of the KL.
    assert out["rate"] == pytest.approx(kl, abs=0.15)
    assert out["distortion"] > 0


def test_kl_warmup_starts_at_distortion_and_rises_to_the_elbo(digits):
    step = SVIStep(_vae(), kl_warmup_steps=4, lr=1e-2)
    x = digits.train[:50]
    betas, outs = [], []
    for _ in range(6):
        betas.append(step.beta)
        outs.append(step.train_step(x))
    assert betas == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    first = outs[0]
    assert first["rate"] > 0.01
    assert first["loss"] == pytest.approx(first["distortion"], rel=1e-6)  # beta = 0
    middle = outs[2]  # beta = 1/2, same draw for loss and terms
    expected = middle["distortion"] + 0.5 * middle["rate"]
    assert middle["loss"] == pytest.approx(expected, rel=1e-6)
    last = outs[-1]
    assert last["loss"] == pytest.approx(-last["elbo"], rel=1e-6)
    assert step.state_dict()["num_updates"] == 6


def _fit(digits, ckpt, max_epochs, resume, init_seed):
    torch.manual_seed(init_seed)
    vae = VAE((1, 8, 8), 4, hidden=(32,))
    optimizer = torch.optim.Adam(vae.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=16)
    # Warm-up over 6 updates crosses the 2-epoch (8-update) split; so does the schedule.
    step = SVIStep(vae, optimizer=optimizer, scheduler=scheduler, kl_warmup_steps=6,
                   grad_clip=5.0)
    trainer = Trainer(step, digits.train[:200], digits.valid[:60], batch_size=50,
                      max_epochs=max_epochs, checkpoint_dir=ckpt, seed=5, progress=False,
                      restore_best=False)
    return step, trainer.fit(resume=resume)


def test_resume_through_trainer_is_bit_identical(digits, tmp_path):
    full_step, full = _fit(digits, tmp_path / "a", 4, False, 0)
    _fit(digits, tmp_path / "b", 2, False, 0)
    resumed_step, resumed = _fit(digits, tmp_path / "b", 4, True, 123)
    strip = [{k: v for k, v in e.items() if k != "seconds"} for e in full.epochs]
    assert [{k: v for k, v in e.items() if k != "seconds"} for e in resumed.epochs] == strip
    assert {"train_elbo", "train_rate", "valid_distortion"} <= full.epochs[0].keys()
    for a, b in zip(full_step.module.parameters(), resumed_step.module.parameters(),
                    strict=True):
        assert torch.equal(a, b)
    assert resumed_step.num_updates == full_step.num_updates == 16
    assert resumed_step.beta == 1.0


def test_the_param_store_holds_the_modules_own_parameters(digits):
    # The VAE declares its parameters through pyro.module (so plain Pyro SVI trains it);
    # what the store holds are the module's own tensors, so the step's torch optimiser and
    # the store never disagree, and two VAEs never share an entry.
    pyro.clear_param_store()
    owned = set()
    for objective in ("trace", "renyi"):
        vae = _vae()
        owned |= {id(p) for p in vae.parameters()}
        before = [p.detach().clone() for p in vae.parameters()]
        SVIStep(vae, objective=objective, num_particles=2).train_step(digits.train[:10])
        assert all(not torch.equal(a, b) for a, b in zip(before, vae.parameters(), strict=True))
    store = pyro.get_param_store()
    assert len(store) == len(owned)
    assert {id(store._params[name]) for name in store.keys()} == owned


class _Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(3, 2)

    def forward(self, x):
        with pyro.plate("data", x.shape[0]):
            loc, raw = self.net(x).unbind(-1)
            pyro.sample("z", pyro.distributions.Normal(loc, nn.functional.softplus(raw)))


class _Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(1, 3)

    def forward(self, x):
        with pyro.plate("data", x.shape[0]):
            z = pyro.sample("z", pyro.distributions.Normal(0.0, 1.0))
            logits = self.net(z.unsqueeze(-1))
            pyro.sample("x", pyro.distributions.Bernoulli(logits=logits).to_event(1), obs=x)


def test_separate_model_and_guide_modules_and_methods(digits):
    model, guide = _Decoder(), _Encoder()
    step = SVIStep(model, guide)
    assert {id(p) for p in step.module.parameters()} == {
        id(p) for p in (*model.parameters(), *guide.parameters())
    }
    out = step.train_step(torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))
    assert out["elbo"] == -(out["rate"] + out["distortion"])
    vae = _vae()
    assert SVIStep(vae.model, vae.guide).module is vae


def test_load_state_dict_round_trip_and_checks():
    step = SVIStep(_vae(), kl_warmup_steps=10)
    step.num_updates = 7
    other = SVIStep(_vae(), kl_warmup_steps=10)
    other.load_state_dict(step.state_dict())
    assert other.beta == pytest.approx(0.7)
    with pytest.raises(ValueError, match="num_updates"):
        other.load_state_dict({"model": {}, "optimizer": {}})


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((lambda x: None,), {}, "nn.Module with model and guide methods"),
        ((lambda x: None, lambda x: None), {}, "vae_or_model must be an nn.Module or a method"),
        ((), {"objective": "elbo"}, "objective must be one of"),
        ((), {"num_particles": 0}, "num_particles must be an int >= 1"),
        ((), {"kl_warmup_steps": -1}, "kl_warmup_steps must be an int >= 0"),
        ((), {"renyi_alpha": 0.5}, "renyi_alpha applies to objective='renyi' only"),
        ((), {"objective": "renyi", "renyi_alpha": 1.0}, "renyi_alpha must not be 1"),
        ((), {"lr": 0.0}, "lr must be positive"),
        ((), {"grad_clip": -1.0}, "grad_clip must be positive"),
        ((), {"optimizer": "adam"}, "optimizer must be a torch.optim.Optimizer"),
    ],
)
def test_bad_arguments(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        SVIStep(*(args or (_vae(),)), **kwargs)


def test_bad_batch_is_refused():
    with pytest.raises(ValueError, match="batch must be a tensor"):
        SVIStep(_vae()).train_step(())


class _ValidationSpy(nn.Module):
    """A one-latent model/guide pair recording whether Pyro validation was on at each call."""

    def __init__(self):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(()))
        self.seen = []

    def model(self, x):
        self.seen.append(pyro.infer.util.is_validation_enabled())
        with pyro.plate("data", x.shape[0]):
            z = pyro.sample("z", pyro.distributions.Normal(0.0, 1.0))
            pyro.sample("x", pyro.distributions.Normal(z, 1.0), obs=x)

    def guide(self, x):
        with pyro.plate("data", x.shape[0]):
            pyro.sample("z", pyro.distributions.Normal(self.loc, 1.0))


@pytest.mark.parametrize("every_step, globally, expected", [
    (False, True, [True, False, False, True]),
    (True, True, [True, True, True, True]),
    (False, False, [False, False, False, False]),
])
def test_pyro_validation_runs_on_the_first_update_and_in_evaluation(every_step, globally,
                                                                    expected):
    spy, x = _ValidationSpy(), torch.randn(5)
    step = SVIStep(spy, validate_every_step=every_step)
    with pyro.validation_enabled(globally):
        for _ in range(3):
            step.train_step(x)
        step.eval_step(x)
        assert pyro.infer.util.is_validation_enabled() == globally  # restored
    assert spy.seen == expected


def test_the_vaes_own_data_check_runs_on_every_update(digits):
    step, x = SVIStep(_vae()), digits.train[:20].clone()
    step.train_step(x)
    step.train_step(x)
    x[3, 0, 2, 2] = 0.5
    with pytest.raises(ValueError, match="x must be binary"):
        step.train_step(x)


@pytest.mark.parametrize("objective", ["trace", "meanfield", "renyi"])
def test_train_terms_are_unscaled_log_densities_of_the_losss_draw(digits, objective):
    # beta = 0 in the first warm-up update: the loss ignores the latent sites, yet rate and
    # distortion must be the unscaled terms of the very draw z ~ q(z|x) the loss used.
    vae, x = _vae(), digits.train[:20]
    step = SVIStep(vae, objective=objective, kl_warmup_steps=10, lr=1e-12)
    pyro.set_rng_seed(4)
    out = step.train_step(x)
    pyro.set_rng_seed(4)
    guide_trace = pyro.poutine.trace(vae.guide).get_trace(x)
    model_trace = pyro.poutine.trace(pyro.poutine.replay(vae.model, guide_trace)).get_trace(x)
    rate = (guide_trace.nodes["z"]["fn"].log_prob(guide_trace.nodes["z"]["value"])
            - model_trace.nodes["z"]["fn"].log_prob(guide_trace.nodes["z"]["value"]))
    distortion = -model_trace.nodes["x"]["fn"].log_prob(x)
    assert out["rate"] == pytest.approx(rate.mean().item(), rel=1e-5)
    assert out["distortion"] == pytest.approx(distortion.mean().item(), rel=1e-5)


@pytest.mark.filterwarnings("ignore:Encountered NaN:UserWarning")
@pytest.mark.parametrize("jit", [False, True])
def test_a_nan_loss_stops_training_before_any_update(jit):
    # One process: the step checks its loss (a float already), not every gradient. Pyro's
    # validation, which would refuse NaN logits, runs on the first update only; off here,
    # as on every later update.
    torch.manual_seed(0)
    vae = VAE((4,), 2, hidden=(3,))
    with torch.no_grad():
        vae.decoder[0][-1].bias[0] = math.nan
    before = [p.detach().clone() for p in vae.parameters()]
    data = torch.bernoulli(torch.full((6, 4), 0.5))
    trainer = Trainer(SVIStep(vae, objective="meanfield", jit=jit), data, data, batch_size=3,
                      max_epochs=1, progress=False)
    with pyro.validation_enabled(False), pytest.raises(
            TrainingDiverged, match=r"non-finite loss \(nan\).* epoch 1, batch 1"):
        trainer.fit()
    for p, b in zip(vae.parameters(), before, strict=True):
        assert torch.allclose(p.detach(), b, equal_nan=True)


@pytest.mark.parametrize("objective", ["trace", "meanfield"])
def test_a_compiled_step_is_the_eager_loss_terms_and_gradient_on_the_same_draw(digits,
                                                                                objective):
    from inference.training.svi_step import _mean_terms

    vae, x = _vae(), digits.train[:20]
    eager, jit = SVIStep(vae, objective=objective), SVIStep(vae, objective=objective, jit=True)
    params = list(vae.parameters())
    jit._compiled(jit.model, jit.guide, x)  # compiling draws more than one pass does
    pyro.set_rng_seed(3)
    loss, summed = jit._compiled(jit.model, jit.guide, x)
    grads = torch.autograd.grad(loss, params)
    pyro.set_rng_seed(3)
    with pyro.validation_enabled(False):
        ref = eager.elbo.differentiable_loss(eager.model, eager.guide, x)
    ref_terms = _mean_terms(*eager.elbo.last_traces, 1)
    torch.testing.assert_close(loss, ref)
    torch.testing.assert_close(summed.tolist(), [ref_terms["rate"], ref_terms["distortion"]])
    for g, r in zip(grads, torch.autograd.grad(ref, params), strict=True):
        torch.testing.assert_close(g, r)


def test_a_compiled_step_trains_and_compiles_each_batch_shape_once(digits):
    torch.manual_seed(0)
    vae = _vae()
    step = SVIStep(vae, objective="meanfield", jit=True, lr=3e-3)
    before = step.eval_step(digits.valid)["loss"]
    # 100 images in batches of 32: three of 32 and a last one of 4.
    Trainer(step, digits.train[:100], digits.valid, batch_size=32, max_epochs=4,
            progress=False).fit()
    assert len(step._compiled._compiled) == 2
    assert step.eval_step(digits.valid)["loss"] < before


def test_jit_is_refused_where_it_cannot_apply():
    with pytest.raises(ValueError, match="jit=True applies"):
        SVIStep(_vae(), objective="renyi", jit=True)
    with pytest.raises(ValueError, match="jit"):
        SVIStep(_vae(), jit=1)
    with pytest.raises(ValueError, match="jit=True step cannot be trained on several"):
        SVIStep(_vae(), jit=True).distribute()


class _HeavyTailedPrior(nn.Module):
    """z ~ StudentT(3) in the model, Normal in the guide: no closed-form KL is registered."""

    def __init__(self):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(()))

    def model(self, x):
        with pyro.plate("data", x.shape[0]):
            z = pyro.sample("z", pyro.distributions.StudentT(3.0, 0.0, 1.0))
            pyro.sample("x", pyro.distributions.Normal(z, 1.0), obs=x)

    def guide(self, x):
        with pyro.plate("data", x.shape[0]):
            pyro.sample("z", pyro.distributions.Normal(self.loc, 1.0))


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("validation", [True, False])
def test_meanfield_refuses_a_site_without_a_closed_form_kl_before_any_update(jit,
                                                                            validation):
    # Pyro's TraceMeanField_ELBO would estimate that KL by Monte Carlo and carry on, while
    # the run is recorded as using the analytic KL.
    pair, x = _HeavyTailedPrior(), torch.randn(5)
    step = SVIStep(pair, objective="meanfield", jit=jit, lr=0.1)
    with pyro.validation_enabled(validation), pytest.raises(
            ValueError, match=r"objective='meanfield'.*site 'z' \(guide Normal, prior StudentT\)"
                              r".*use objective='trace'"):
        step.train_step(x)
    assert pair.loc.item() == 0 and step.num_updates == 0
    # The same pair trains on the trace ELBO, whose KL is a Monte Carlo estimate by name.
    SVIStep(pair, objective="trace", lr=0.1).train_step(x)
    assert pair.loc.item() != 0
