"""InfoGAN's bound L_I = E[log Q(c | x)] + H(c) (Chen et al. 2016, eq. 5): exact at a perfect
Q, the mutual information itself at the true posterior, below it for a noisy Q."""

import math

import pytest
import torch
from torch.testing import assert_close

from inference.objectives import InformationBound
from inference.objectives import mutual_information as objective
from inference.objectives.mutual_information import mutual_information

K = 10


def _perfect_logits(code: torch.Tensor, k: int = K) -> torch.Tensor:
    # Logits 1e4 apart: log_softmax is exactly 0 at the code in float32 (exp(-1e4) = 0).
    return 1e4 * torch.nn.functional.one_hot(code, k).float()


def test_the_package_exports_the_function():
    assert objective is mutual_information


def test_a_perfect_q_attains_the_entropy_exactly():
    code = torch.arange(40) % K
    mi = mutual_information(categorical_logits=_perfect_logits(code), categorical_code=code)
    assert isinstance(mi, InformationBound)
    assert mi.categorical_log_q.item() == 0.0
    assert_close(mi.bound, torch.tensor(math.log(K)))
    assert_close(mi.entropy, torch.tensor(math.log(K)))


def test_a_perfect_q_attains_a_non_uniform_priors_entropy():
    prior = torch.tensor([0.5, 0.25, 0.25, 0.0])
    code = torch.tensor([0, 0, 1, 2])
    mi = mutual_information(categorical_logits=_perfect_logits(code, 4), categorical_code=code,
                            categorical_prior=prior)
    # H = 0.5 log 2 + 2 * 0.25 log 4 = 1.5 log 2; the empty class adds 0 (0 log 0 = 0).
    assert_close(mi.bound, torch.tensor(1.5 * math.log(2)))


def _noisy_channel(k: int = 4):
    """Every (c, x) pair of a symmetric channel with exact frequencies: x = c with
    probability 3/4, each other value 1/12 (12 rows per code)."""
    rows = [(c, c) for c in range(k) for _ in range(9)]
    rows += [(c, x) for c in range(k) for x in range(k) if x != c]
    c, x = torch.tensor(rows).T
    posterior = torch.full((k, k), 1 / 12).fill_diagonal_(3 / 4)  # p(c | x) by symmetry
    return c, posterior[x].log()


def test_the_true_posterior_gives_the_mutual_information_below_the_entropy():
    c, logits = _noisy_channel()
    mi = mutual_information(categorical_logits=logits, categorical_code=c)
    # I(c; x) = H(x) - H(x | c) = log 4 - H(3/4, 1/12, 1/12, 1/12), about 0.51 nats.
    h_noise = -(0.75 * math.log(0.75) + 3 * (1 / 12) * math.log(1 / 12))
    assert_close(mi.bound, torch.tensor(math.log(4) - h_noise))
    assert mi.bound < math.log(4) - 0.5


def test_a_q_that_ignores_x_gives_zero_and_a_worse_q_than_the_posterior_less():
    c, logits = _noisy_channel()
    flat = mutual_information(categorical_logits=torch.zeros_like(logits), categorical_code=c)
    assert_close(flat.bound, torch.tensor(0.0), atol=1e-6, rtol=0)
    posterior = mutual_information(categorical_logits=logits, categorical_code=c).bound
    blurred = mutual_information(categorical_logits=0.5 * logits, categorical_code=c).bound
    assert blurred < posterior  # the gap is E KL(p(c|x) || Q(c|x)) > 0 (eq. 4)


def test_softmax_before_the_cross_entropy_is_the_pitfall_it_looks_like():
    # PyTorch-GAN's InfoGAN feeds softmax outputs to CrossEntropyLoss, which applies its own
    # log-softmax: a perfect Q then scores log Q = -log(1 + (K-1)/e) = -1.32 nats for K = 10,
    # so the bound stays 1.32 nats under H(c) however good Q gets. The function takes logits.
    code = torch.arange(20) % K
    logits = _perfect_logits(code)
    right = mutual_information(categorical_logits=logits, categorical_code=code)
    wrong = mutual_information(categorical_logits=logits.softmax(-1), categorical_code=code)
    assert_close(right.bound, torch.tensor(math.log(K)))
    assert_close(wrong.categorical_log_q, torch.tensor(-math.log(1 + (K - 1) / math.e)))


def test_continuous_codes_score_a_factored_gaussian_against_the_uniform_entropy():
    torch.manual_seed(0)
    code = torch.rand(50, 2) * 2 - 1
    loc, scale = code + 0.1 * torch.randn(50, 2), torch.full((50, 2), 0.2)
    mi = mutual_information(continuous_loc=loc, continuous_scale=scale, continuous_code=code)
    expected = torch.distributions.Normal(loc, scale).log_prob(code).sum(-1).mean()
    assert_close(mi.continuous_log_q, expected)
    assert_close(mi.entropy, torch.tensor(2 * math.log(2)))  # U[-1, 1]^2
    assert_close(mi.bound, expected + 2 * math.log(2))
    # Unit scale by default: log Q is minus half the squared error, minus log sqrt(2 pi).
    unit = mutual_information(continuous_loc=loc, continuous_code=code)
    sq = ((loc - code) ** 2).sum(-1).mean()
    assert_close(unit.continuous_log_q, -0.5 * sq - math.log(2 * math.pi))


def test_both_codes_add():
    torch.manual_seed(0)
    c = torch.arange(8) % K
    u = torch.rand(8, 2) * 2 - 1
    both = mutual_information(categorical_logits=_perfect_logits(c), categorical_code=c,
                              continuous_loc=u, continuous_code=u)
    alone = mutual_information(continuous_loc=u, continuous_code=u)
    assert_close(both.bound, alone.bound + math.log(K))
    assert_close(both.categorical_bound, torch.tensor(math.log(K)))
    assert_close(both.continuous_bound, alone.bound)


def test_codes_drawn_from_the_wrong_distribution_are_refused():
    # Gaussian draws where U[-1, 1] was declared: about a third fall outside [-1, 1].
    torch.manual_seed(0)
    code = torch.randn(100, 2)
    with pytest.raises(ValueError, match=r"U\[-1.0, 1.0\]"):
        mutual_information(continuous_loc=torch.zeros(100, 2), continuous_code=code)


def test_only_q_carries_gradient():
    torch.manual_seed(0)
    logits = torch.randn(6, K, requires_grad=True)
    loc = torch.zeros(6, 2, requires_grad=True)
    log_scale = torch.zeros(6, 2, requires_grad=True)
    c, u = torch.arange(6), torch.rand(6, 2) * 2 - 1
    mi = mutual_information(categorical_logits=logits, categorical_code=c,
                            continuous_loc=loc, continuous_scale=log_scale.exp(),
                            continuous_code=u)
    assert not mi.entropy.requires_grad
    mi.bound.backward()
    assert all(t.grad.abs().sum() > 0 for t in (logits, loc, log_scale))


@pytest.mark.parametrize("kwargs, match", [
    ({}, "give categorical_logits"),
    ({"categorical_logits": torch.zeros(3, K)}, "come together"),
    ({"categorical_logits": torch.zeros(3, K), "categorical_code": torch.tensor([0, 1, K])},
     r"\[0, 10\)"),
    ({"categorical_logits": torch.zeros(3, K), "categorical_code": torch.zeros(3)},
     "integer indices"),
    ({"categorical_logits": torch.zeros(2, 2), "categorical_code": torch.tensor([0, 1]),
      "categorical_prior": torch.tensor([0.7, 0.7])}, "summing to 1"),
    ({"continuous_loc": torch.zeros(3, 2), "continuous_code": torch.zeros(3, 1)}, "shape"),
    ({"continuous_loc": torch.zeros(3, 2), "continuous_code": torch.zeros(3, 2),
      "continuous_scale": torch.zeros(3, 2)}, "positive"),
])
def test_bad_input_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mutual_information(**kwargs)
