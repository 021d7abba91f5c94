"""InfoGAN (Chen et al. 2016): codes from their priors, Q on D's body giving logits, and the
information term moving G and Q only."""

import math

import pytest
import torch
from scipy import stats
from torch import nn

from inference.games import InformationGame
from inference.objectives import mutual_information
from inference.training import AdversarialStep
from ppl_models import registry
from ppl_models.gan.infogan import Codes, InfoGAN

SMALL = {"latent_dim": 4, "channels": 4, "hidden": 16, "q_hidden": 8}


def _model(shape=(1, 8, 8), **kw):
    torch.manual_seed(0)
    return InfoGAN(shape, **{**SMALL, **kw})


def test_registered_implicit_with_the_papers_codes_by_default():
    assert registry.family_of("infogan") == "implicit"
    m = InfoGAN((1, 28, 28), channels=4, hidden=16)
    assert (m.latent_dim, m.categories, m.continuous) == (62, 10, 2)
    assert m.q_hidden == 128 and m.continuous_support == (-1.0, 1.0)
    assert InformationGame(m).info_weight == 1.0


@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 8, 8)])
def test_shapes(shape):
    m = _model(shape)
    x = m.sample(6)
    assert x.shape == (6, *shape) and ((x >= 0) & (x <= 1)).all() and not x.requires_grad
    _, real, fake, codes = InformationGame(m).draw(torch.rand(5, *shape))
    assert fake.shape == real.shape and fake.requires_grad
    assert codes.categorical.shape == (5,) and codes.continuous.shape == (5, 2)
    logits, loc = m.q(fake)
    assert logits.shape == (5, 10) and loc.shape == (5, 2)
    assert m.discriminate(fake).shape == (5,)
    assert m.predict_code(real).shape == (5,)


def test_continuous_codes_are_uniform_on_minus_one_one():
    # 20,000 draws: a Kolmogorov-Smirnov test against U[-1, 1] at the 1 % level. Draws from
    # N(0, 1) or U[0, 1] (the reported mistakes) give p-values below 1e-100 here.
    m = _model()
    torch.manual_seed(1)
    _, codes = m.sample_codes(20_000)
    u = codes.continuous.flatten().numpy()
    assert u.min() >= -1 and u.max() <= 1
    assert stats.kstest(u, "uniform", args=(-1, 2)).pvalue > 0.01
    # The categorical code is uniform over K: a chi-square test at the 1 % level.
    counts = torch.bincount(codes.categorical, minlength=10).numpy()
    assert stats.chisquare(counts).pvalue > 0.01


def test_q_outputs_logits_not_probabilities():
    # No softmax anywhere: the objective applies log-softmax itself (PyTorch-GAN's InfoGAN
    # applies a softmax before CrossEntropyLoss).
    m = _model()
    assert isinstance(m.q_head[-1], nn.Linear)
    assert not any(isinstance(module, (nn.Softmax, nn.LogSoftmax)) for module in m.modules())
    fake = m.generate(4)
    codes = m.sample_codes(4)[1]
    # The game's term is the bound of Q's logits as they are: the same number as
    # mutual_information on m.q's raw output.
    logits, loc = m.q(fake)
    expected = mutual_information(categorical_logits=logits, categorical_code=codes.categorical,
                                  continuous_loc=loc, continuous_code=codes.continuous,
                                  continuous_low=-1.0, continuous_high=1.0)
    _, bound = InformationGame(m).information(fake, codes)
    torch.testing.assert_close(bound.bound, expected.bound)


def test_the_players_parameters_are_split_as_chen_et_al_specify():
    # G alone in the generator; Q (head and the body it shares) with D's real/fake head.
    m = _model()
    g = {id(p) for p in m.generator.parameters()}
    d = {id(p) for p in m.discriminator.parameters()}
    assert not g & d and g == {id(p) for p in m.g_net.parameters()}
    assert {id(p) for p in [*m.q_head.parameters(), *m.body.parameters(),
                            *m.head.parameters()]} == d
    assert g | d == {id(p) for p in m.parameters()}


def _grad_norm(module):
    return sum(float(p.grad.abs().sum()) for p in module.parameters() if p.grad is not None)


def test_information_gradient_reaches_g_and_q_but_not_the_real_fake_head():
    m = _model()
    game = InformationGame(m)
    _, real, fake, codes = game.draw(torch.rand(8, 1, 8, 8))
    loss, bound = game.information(fake, codes)
    loss.backward()
    assert all(p.grad is None for p in m.head.parameters())
    for module in (m.g_net, m.q_head, m.body):
        assert _grad_norm(module) > 0
    assert bound.entropy.item() == pytest.approx(math.log(10) + 2 * math.log(2))


def _moved(model, before):
    return {k.split(".")[0] for k, v in model.state_dict().items()
            if v.is_floating_point() and not k.endswith(("running_mean", "running_var"))
            and not torch.equal(v, before[k])}


def test_each_update_moves_only_its_players_parameters():
    # The information term alone (adversarial_weight 0 leaves the G update with L_I only);
    # the D update carries the GAN loss and Q's share of L_I.
    m = _model()
    step = AdversarialStep(m, adversarial_weight=0.0)
    x = torch.rand(8, 1, 8, 8)
    _, real, fake, codes = step.game.draw(x)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    loss, _ = step.game.information(fake, codes)
    step.generator_update.zero_grad()
    loss.backward()
    step.generator_update.step()
    assert _moved(m, before) == {"g_net"}
    before = {k: v.clone() for k, v in m.state_dict().items()}
    step.d_steps = 2  # the next call (the first) updates D only
    out = step.train_step(x)
    assert _moved(m, before) == {"body", "head", "q_head"} and "q_information" in out


def test_training_on_the_information_term_raises_the_bound():
    # G and Q cooperating on L_I alone (no adversary, lr 1e-2): Q starts at about 0 nats
    # (it knows nothing) and must climb towards H(c) = log 10 = 2.30. Measured on this seed:
    # 0.04 at the first update, 1.44 after 100; the thresholds leave room either side.
    m = _model(continuous=0)
    step = AdversarialStep(m, adversarial_weight=0.0, lr=1e-2)
    first = None
    for _ in range(100):
        out = step.train_step(torch.rand(32, 1, 8, 8))
        first = out["information"] if first is None else first
    assert first < 0.3 and out["information"] > 1.0


def test_codes_given_to_sample_are_used_and_checked():
    m = _model()
    torch.manual_seed(3)
    a = m.sample(4, condition=torch.tensor([0, 1, 2, 3]))
    assert a.shape == (4, 1, 8, 8)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        m.sample(2, condition=torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="integer indices"):
        m.sample(2, condition=torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="continuous codes"):
        m.generate_from(torch.randn(2, 4), Codes(torch.tensor([0, 1]), torch.zeros(2, 3)))


@pytest.mark.parametrize("kwargs, match", [
    ({"categories": 1}, "at least 2"), ({"continuous": -1}, "non-negative"),
    ({"channels": 0}, "positive"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        InfoGAN((1, 8, 8), **kwargs)
    with pytest.raises(ValueError, match="info_weight"):
        InformationGame(_model(), info_weight=-1.0)


# -- features: the representation Q's head reads ------------------------------------------


def test_features_shape_determinism_and_batching():
    m = _model()
    x = torch.rand(7, 1, 8, 8, generator=torch.Generator().manual_seed(1))
    f = m.features(x)
    assert f.shape == (7, SMALL["hidden"]) and not f.requires_grad
    # Eval mode and no randomness in the body: the same images give the same features,
    # and splitting into batches changes nothing beyond float re-association (1e-6).
    torch.testing.assert_close(m.features(x), f, rtol=0, atol=0)
    torch.testing.assert_close(m.features(x, batch_size=3), f, rtol=1e-6, atol=1e-6)
    assert m.training  # the mode is restored


def test_features_are_exactly_the_input_of_qs_head():
    # A features() that returned the real/fake logit, Q's output or the raw pixels fails.
    m = _model()
    seen = []
    hook = m.q_head.register_forward_pre_hook(lambda mod, args: seen.append(args[0]))
    x = torch.rand(5, 1, 8, 8, generator=torch.Generator().manual_seed(2))
    m.eval()
    with torch.no_grad():
        m.q(x)
    hook.remove()
    m.train()
    torch.testing.assert_close(m.features(x), seen[0], rtol=0, atol=0)


def test_features_are_found_by_the_generic_metrics():
    from inference.metrics import has_features, model_features

    m = _model()
    x = torch.rand(4, 1, 8, 8)
    assert has_features(m)
    torch.testing.assert_close(model_features(m, x), m.features(x), rtol=0, atol=0)


@pytest.mark.parametrize("x", [torch.rand(3, 8, 8), torch.rand(3, 1, 8, 9), torch.rand(3, 2, 8, 8)])
def test_features_reject_a_wrong_shape(x):
    with pytest.raises(ValueError, match="x must have shape"):
        _model().features(x)


def test_generate_at_is_eval_mode_g_at_the_codes_given():
    m = _model().train()
    z, codes = m.sample_codes(3)
    out = m.generate_at(z, codes.categorical, codes.continuous)
    assert m.training and not out.requires_grad  # the mode is restored, no graph kept
    m.eval()
    assert torch.allclose(out, m.generate_from(z, codes).detach())
    with pytest.raises(ValueError, match="categorical code must lie"):
        m.generate_at(z, torch.tensor([0, 1, 10]), codes.continuous)


@pytest.mark.parametrize("continuous", [2, 0])
def test_control_figure_inputs_is_a_traversal_with_one_row_per_code(continuous):
    m = _model(continuous=continuous)
    torch.manual_seed(1)
    spec = m.control_figure_inputs(columns=5)
    assert spec["rows"].shape == (10, 5, 1, 8, 8)
    assert spec["row_titles"] == [f"c = {k}" for k in range(10)]
    rows = spec["rows"]
    # Rows differ by the code (at initial weights the difference is small, not zero).
    gaps = (rows[:, None] - rows[None]).abs().flatten(2).mean(-1)
    assert gaps[~torch.eye(10, dtype=torch.bool)].min() > 0
    if continuous:
        assert spec["column_titles"] == ["-1.0", "-0.5", "+0.0", "+0.5", "+1.0"]
        torch.manual_seed(1)
        z = torch.randn(m.latent_dim)
        again = m.generate_at(z[None], torch.tensor([4]), torch.tensor([[0.5, 0.0]]))
        assert torch.allclose(rows[4, 3], again[0])
    else:
        assert spec["column_titles"] is None
