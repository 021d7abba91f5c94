r"""The importance-weighted objective with vectorised particles.

``SVIStep(objective="renyi", num_particles=K, vectorize_particles=True)`` is Pyro's
``RenyiELBO(alpha=0)`` with its K particles drawn in one pass under a plate left of the
VAE's ``"data"`` plate. It must be the IWAE bound of Burda et al. (2016, eq. 8),

.. math:: \mathcal{L}_K = \sum_n \log \frac{1}{K} \sum_{k=1}^{K} w_{kn}, \qquad
          \log w_{kn} = \log p(x_n, z_{kn}) - \log q(z_{kn} \mid x_n),

which holds only if every site of the model and guide broadcasts over that extra leftmost
dimension (a likelihood that flattened it into the batch, or scored the data against the
wrong axis, would give another number). The checks: on the draws the loss used, its value
and gradient equal a computation by hand that scores each particle separately, without
Pyro or a particle dimension (for every likelihood, architecture and prior of the VAE); over
many draws its mean loss and gradient agree with the sequential ``RenyiELBO`` (one pass per
particle) within four standard errors. The ELBO (a mean of the log-weights instead of their
log-mean-exp), and a log-mean-exp over the wrong axis, fail the same checks.
"""

import copy
import math

import pyro
import pyro.optim
import pytest
import torch
from pyro.infer import SVI, RenyiELBO, Trace_ELBO

from inference.training.svi_step import SVIStep
from ppl_models.vae import VAE

K, N, LATENT = 5, 6, 3

CONFIGS = {
    "bernoulli": {},
    "conv": {"architecture": "conv"},
    "nade": {"likelihood": "nade", "nade_hidden": 8},
    "continuous_bernoulli": {"likelihood": "continuous_bernoulli"},
    "vampprior": {"prior": "vampprior", "num_pseudo_inputs": 4},
}


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def _vae_and_data(config: str) -> tuple[VAE, torch.Tensor]:
    torch.manual_seed(0)
    vae = VAE((1, 8, 8), LATENT, hidden=(16,), **CONFIGS[config])
    x = torch.rand(N, 1, 8, 8)
    return vae, (x if config == "continuous_bernoulli" else torch.bernoulli(x))


def _log_weights_by_hand(vae: VAE, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    r""":math:`\log p(x_n, z_{kn}) - \log q(z_{kn} \mid x_n)`, ``(K, N)``, one particle at a
    time: each ``z[k]`` is an ``(N, L)`` batch scored as a plain (unvectorised) VAE would."""
    loc, scale = vae.encode(x)
    guide = torch.distributions.Normal(loc, scale)
    prior = vae.prior_distribution()
    obs = x.reshape(len(x), -1) if vae.likelihood == "nade" else x
    rows = [prior.log_prob(zk) + vae.decode(zk).log_prob(obs) - guide.log_prob(zk).sum(-1)
            for zk in z]
    return torch.stack(rows)


def iwae(log_w: torch.Tensor) -> torch.Tensor:
    """The IWAE bound: log-mean-exp over the particles (dim 0), summed over the data."""
    return (torch.logsumexp(log_w, 0) - math.log(log_w.shape[0])).sum()


def elbo(log_w: torch.Tensor) -> torch.Tensor:
    """The ELBO on the same draws: the mean of the log-weights. Wrong for alpha = 0."""
    return log_w.mean(0).sum()


def lme_over_the_batch(log_w: torch.Tensor) -> torch.Tensor:
    """Log-mean-exp over the data instead of the particles, what a particle plate on the
    wrong side of the data plate would give. Wrong."""
    return (torch.logsumexp(log_w, 1) - math.log(log_w.shape[1])).sum()


def _vectorised_step(vae: VAE) -> SVIStep:
    return SVIStep(vae, objective="renyi", num_particles=K, vectorize_particles=True)


@pytest.mark.parametrize("config", list(CONFIGS))
def test_the_loss_is_the_iwae_bound_by_hand_on_the_same_draws(config):
    vae, x = _vae_and_data(config)
    step = _vectorised_step(vae)
    pyro.set_rng_seed(1)
    loss = step.elbo.loss(vae.model, vae.guide, x)
    model_trace, guide_trace = step.elbo.last_traces
    z = guide_trace.nodes["z"]["value"]
    # The particles sit left of the data plate: Pyro guessed one data plate plus them.
    assert step.elbo.max_plate_nesting == 2
    assert z.shape == (K, N, LATENT)
    model_trace.compute_log_prob()
    assert model_trace.nodes["x"]["log_prob"].shape == (K, N)
    with torch.no_grad():
        log_w = _log_weights_by_hand(vae, x, z)
    assert -loss == pytest.approx(iwae(log_w).item(), rel=1e-5)
    # The same comparison refuses the ELBO and the wrong axis, by far more than its
    # tolerance: measured 1.8 to 6.8 nats over the batch below the IWAE bound for the
    # ELBO, 2.2 to 50 nats off for the wrong axis, across the five configurations.
    for wrong in (elbo, lme_over_the_batch):
        assert -loss != pytest.approx(wrong(log_w).item(), rel=1e-3, abs=1e-3)


@pytest.mark.parametrize("config", ["bernoulli", "nade", "vampprior"])
def test_the_gradient_is_the_iwae_gradient_by_hand_on_the_same_draws(config):
    vae, x = _vae_and_data(config)
    twin = copy.deepcopy(vae)  # the hand computation's parameters, untouched by Pyro
    step = _vectorised_step(vae)
    pyro.set_rng_seed(2)
    step.elbo.loss_and_grads(vae.model, vae.guide, x)
    z = step.elbo.last_traces[1].nodes["z"]["value"].detach()
    pyro_grads = [p.grad for p in vae.parameters()]
    assert all(g is not None for g in pyro_grads)

    def hand_grads(bound):
        twin.zero_grad()
        loc, scale = twin.encode(x)
        eps = ((z - loc) / scale).detach()  # the standard normal draws behind z
        (-bound(_log_weights_by_hand(twin, x, loc + scale * eps))).backward()
        return torch.cat([p.grad.flatten() for p in twin.parameters()])

    pyro_flat = torch.cat([g.flatten() for g in pyro_grads])
    scale = pyro_flat.abs().max()
    assert (hand_grads(iwae) - pyro_flat).abs().max() < 1e-4 * scale
    # The ELBO's gradient on the same draws (the weights left equal) is another vector.
    assert (hand_grads(elbo) - pyro_flat).abs().max() > 1e-2 * scale


def _draws(vae: VAE, x: torch.Tensor, objective, repeats: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``repeats`` draws of the loss ``(R,)`` and of the gradient's bias coordinates
    ``(R, B)``, in float64."""
    losses, grads = [], []
    for _ in range(repeats):
        vae.zero_grad()
        losses.append(objective.loss_and_grads(vae.model, vae.guide, x))
        grads.append(torch.cat([p.grad for name, p in vae.named_parameters()
                                if name.endswith("bias")]))
    return torch.tensor(losses, dtype=torch.float64), torch.stack(grads).double()


def _z_scores(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``|mean a - mean b|`` over its standard error (independent draws), per column; the
    columns that vary in ``a``."""
    varies = a.var(0) > 0
    a, b = a[:, varies], b[:, varies]
    se = (a.var(0) / len(a) + b.var(0) / len(b)).sqrt()
    return (a.mean(0) - b.mean(0)).abs() / se


def test_loss_and_gradient_agree_with_the_sequential_particles_in_expectation():
    torch.manual_seed(0)
    vae = VAE((10,), 2, hidden=(8,))
    x = torch.bernoulli(torch.full((4, 10), 0.3))
    pyro.set_rng_seed(0)
    k, repeats = 8, 150
    vectorised = _draws(vae, x, RenyiELBO(alpha=0, num_particles=k, vectorize_particles=True,
                                          max_plate_nesting=1), repeats)
    sequential = _draws(vae, x, RenyiELBO(alpha=0, num_particles=k), repeats)
    the_elbo = _draws(vae, x, Trace_ELBO(num_particles=k, vectorize_particles=True,
                                         max_plate_nesting=1), repeats)
    # The mean loss over 150 draws has a standard error of about 0.07 nats (the loss summed
    # over the 4 rows) for either estimator; the gradient's bias coordinates that the data
    # do not leave at zero (the encoder's dead units) are compared one by one.
    assert _z_scores(vectorised[0][:, None], sequential[0][:, None]).item() < 4
    assert (_z_scores(vectorised[1], sequential[1]) < 4).all()
    # The test has the power to see the ELBO (about 0.7 nats above IWAE-8 here), whose loss
    # and gradient are another's.
    assert _z_scores(vectorised[0][:, None], the_elbo[0][:, None]).item() > 4
    assert (_z_scores(vectorised[1], the_elbo[1]) > 4).float().mean() > 0.25


def test_plain_pyro_svi_trains_on_the_vectorised_bound():
    torch.manual_seed(0)
    vae = VAE((1, 8, 8), LATENT, hidden=(16,))
    x = torch.bernoulli(torch.rand(N, 1, 8, 8))
    before = [p.detach().clone() for p in vae.parameters()]
    svi = SVI(vae.model, vae.guide, pyro.optim.Adam({"lr": 1e-2}),
              RenyiELBO(alpha=0, num_particles=K, vectorize_particles=True,
                        max_plate_nesting=1))
    losses = [svi.step(x) for _ in range(3)]
    assert all(math.isfinite(v) for v in losses)
    assert all(not torch.equal(a, b) for a, b in zip(before, vae.parameters(), strict=True))


def test_validation_scores_the_bound_trained_not_the_elbo():
    # The kept epoch must be chosen on the objective climbed: for renyi, eval_step's loss is
    # the IWAE-K estimate on the same draws as the step's own RenyiELBO.loss, and not -ELBO.
    vae, x = _vae_and_data("bernoulli")
    step = SVIStep(vae, objective="renyi", num_particles=K, vectorize_particles=True)
    pyro.set_rng_seed(3)
    out = step.eval_step(x)
    pyro.set_rng_seed(3)
    pyro.poutine.trace(vae.guide).get_trace(x)  # the ELBO's draw comes first
    expected = step.elbo.loss(vae.model, vae.guide, x) / N
    assert out["loss"] == pytest.approx(expected, rel=1e-6)
    # The bound is above the ELBO in expectation (Burda et al. theorem 1): over 200 batches
    # the mean -bound is below the mean -ELBO by far more than four standard errors.
    gaps = torch.tensor([(lambda o: o["loss"] + o["elbo"])(step.eval_step(x))
                         for _ in range(200)])
    assert gaps.mean() < -4 * gaps.std() / math.sqrt(len(gaps))
    trace_step = SVIStep(vae, objective="trace")
    out = trace_step.eval_step(x)
    assert out["loss"] == -out["elbo"]
