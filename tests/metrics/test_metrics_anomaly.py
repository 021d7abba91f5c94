import pytest
import torch
from torch import nn
from torch.testing import assert_close

from inference.metrics import (
    anomaly_scores,
    detection_metrics,
    exact_log_likelihood,
    typicality_test,
)
from ppl_models import registry
from ppl_models.data import inverted, perturb_binary
from ppl_models.distributions import ChainRuleBernoulli


class Shifted(nn.Module):
    """An exact-family stand-in whose log-likelihood is another model's plus a constant."""

    def __init__(self, inner, shift):
        super().__init__()
        self.inner, self.shift = inner, shift

    def forward(self, context=None):
        inner, shift = self.inner(), self.shift

        class _D:
            def log_prob(self, x):
                return inner.log_prob(x) + shift
        return _D()


@pytest.fixture(scope="module")
def fitted(digits):
    images, labels = digits
    x = images.reshape(len(images), -1)
    train, test = x[:1400], x[1400:]
    model = ChainRuleBernoulli.markov(64).fit(train, alpha=1, beta=1)
    gen = torch.Generator().manual_seed(0)
    background = ChainRuleBernoulli.independent(64).fit(
        perturb_binary(train, 0.2, generator=gen), alpha=1, beta=1)
    return model, background, train, test


def test_nll_and_bits_per_dim_are_the_exact_log_likelihood(fitted):
    model, _, _, test = fitted
    ll = model().log_prob(test)
    assert_close(anomaly_scores(model, test, "nll"), -ll)
    assert_close(anomaly_scores(model, test.reshape(-1, 1, 8, 8), "bits_per_dim"),
                 -ll / (64 * torch.log(torch.tensor(2.0))))
    # The default score of the exact family is the NLL.
    assert_close(anomaly_scores(model, test), -ll)


def test_inverted_digits_are_detected_by_nll(fitted):
    model, _, _, test = fitted
    m = detection_metrics(anomaly_scores(model, test), anomaly_scores(model, inverted(test)))
    assert m["auroc"] > 0.99  # inverted binary digits are ~40 nats less likely each


def test_likelihood_ratio_is_invariant_to_a_constant_added_to_both_models(fitted):
    model, background, _, test = fitted
    plain = anomaly_scores(model, test, "likelihood_ratio", background=background)
    assert_close(plain, background().log_prob(test) - model().log_prob(test))
    shifted = anomaly_scores(Shifted(model, 123.0), test, "likelihood_ratio",
                             background=Shifted(background, 123.0), family="exact")
    # Float32 log-likelihoods of ~20 nats plus 123: rounding at 1e-5 relative.
    assert_close(shifted, plain, atol=1e-3, rtol=0)
    # A constant added to one model only moves every score by it: the ranking is unchanged.
    one = anomaly_scores(Shifted(model, 5.0), test, "likelihood_ratio", background=background,
                         family="exact")
    assert_close(one, plain - 5.0, atol=1e-4, rtol=0)


def test_typicality_rejects_the_training_modes_most_likely_image_repeated(fitted):
    model, _, train, test = fitted
    indep = ChainRuleBernoulli.independent(64).fit(train, alpha=1, beta=1)
    mode = (torch.cat([q.reshape(-1) for q in indep.probs]) > 0.5).float()
    batch = mode.expand(10, 64).clone()
    ll_mode = indep().log_prob(mode[None])
    assert (ll_mode > indep().log_prob(test)).all()  # the single most likely image ...
    test_ll = typicality_test(indep().log_prob(train), 10, alpha=0.01, seed=0)
    assert test_ll.rejects(indep().log_prob(batch)).all()  # ... is atypical as a batch
    stat = anomaly_scores(indep, batch, "typicality", reference=train)
    assert stat.shape == (1,) and stat.item() > test_ll.threshold
    # In-distribution test batches are rarely rejected: at most 3 of 39 batches at
    # alpha = 0.01 (train and test rows are exchangeable; 3 would be 8x the nominal rate).
    rejected = anomaly_scores(indep, test[:390], "typicality", reference=test_ll)
    assert rejected.shape == (39,) and (rejected > test_ll.threshold).sum() <= 3


def test_latent_scores_neg_elbo_bounds_neg_iwae():
    vae = registry.build("vae", input_shape=[1, 4, 4], latent_dim=2, hidden=[8])
    torch.manual_seed(0)
    x = (torch.rand(6, 1, 4, 4) < 0.5).float()
    neg_elbo = anomaly_scores(vae, x, "neg_elbo", num_samples=200, seed=0)
    neg_iwae = anomaly_scores(vae, x, "neg_iwae", num_samples=200, seed=0)
    assert neg_elbo.shape == neg_iwae.shape == (6,)
    # IWAE-200 is a tighter bound than the ELBO averaged over 200 draws: the gap, at least
    # a few hundredths of a nat for an untrained guide, dwarfs the Monte Carlo error.
    assert (neg_iwae < neg_elbo).all()
    assert_close(anomaly_scores(vae, x, num_samples=200, seed=0), neg_iwae)


def test_bad_input_gives_clear_errors(fitted):
    model, background, _, test = fitted
    vae = registry.build("vae", input_shape=[1, 4, 4], latent_dim=2, hidden=[8])
    with pytest.raises(ValueError, match="method must be one of"):
        anomaly_scores(model, test, "neg_elbo")
    with pytest.raises(ValueError, match="method must be one of"):
        anomaly_scores(vae, torch.zeros(2, 1, 4, 4), "nll")
    with pytest.raises(ValueError, match="background"):
        anomaly_scores(model, test, "likelihood_ratio")
    with pytest.raises(ValueError, match="reference"):
        anomaly_scores(model, test, "typicality")
    with pytest.raises(ValueError, match="x must be"):
        anomaly_scores(model, torch.zeros(0, 64))
    with pytest.raises(ValueError, match="not a registered"):
        anomaly_scores(nn.Linear(2, 2), test)
    with pytest.raises(ValueError, match="fewer than one batch"):
        anomaly_scores(model, test[:3], "typicality", reference=test, typicality_batch_size=10)
    with pytest.raises(ValueError, match="batch_size"):
        typicality_test(exact_log_likelihood(model, test), 0)


def test_a_background_fitted_to_perturbed_data_scores_differently_than_on_clean(digits):
    from inference.cli.fitting import fit_background, fit_network

    torch.set_num_threads(1)
    images, _ = digits
    x = images.reshape(len(images), -1)
    train, valid, test = x[:1000], x[1000:1300], x[1300:1500]

    def small_nade(data_fit, **kw):
        torch.manual_seed(0)
        nade = registry.build("nade", dim=64, hidden=8)
        return data_fit(nade, train, valid, **kw, epochs=8, lr=1e-2, batch_size=100).model

    clean = small_nade(fit_network, seed=0)
    noisy = small_nade(fit_background, rate=0.3, seed=0)
    ll_clean, ll_noisy = (exact_log_likelihood(m, test) for m in (clean, noisy))
    # Perturbation destroys the digits' shapes: the background assigns clean digits a far
    # lower likelihood than the same NADE fitted to them (a no-op perturbation would not).
    assert ll_clean.mean() - ll_noisy.mean() > 3  # measured 4.9 nats; a no-op gives 0
    # So the ratio against it is not a constant shift of the NLL: it ranks images
    # differently from the ratio against a clean background.
    ratio_noisy = anomaly_scores(clean, test, "likelihood_ratio", background=noisy)
    ratio_clean = anomaly_scores(clean, test, "likelihood_ratio", background=clean)
    assert_close(ratio_clean, torch.zeros_like(ratio_clean))
    assert ratio_noisy.std() > 1
    with pytest.raises(ValueError, match="rate"):
        fit_background(registry.build("nade", dim=64, hidden=8), train, valid, 1.5, epochs=1)
