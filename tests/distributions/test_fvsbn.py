import torch

from ppl_models.distributions import FVSBN


def test_num_parameters():
    assert FVSBN(784).num_parameters == 784 * 785 // 2
    assert FVSBN(1).num_parameters == 1


def test_log_prob_matches_logistic_regressions():
    """Frey (1998): conditional k is a logistic regression on the earlier variables."""
    torch.manual_seed(0)
    m = FVSBN(6, order=[2, 0, 5, 1, 4, 3]).double()
    torch.nn.init.normal_(m.A)
    torch.nn.init.normal_(m.b)
    x = torch.bernoulli(torch.full((4, 6), 0.5, dtype=torch.double))
    xo = x[:, m.order]
    expected = torch.zeros(4, dtype=torch.double)
    for k in range(6):
        p = torch.sigmoid(m.b[k] + xo[:, :k] @ m.A[k, :k])
        expected += torch.where(xo[:, k] == 1, p.log(), (-p).log1p())
    torch.testing.assert_close(m().log_prob(x), expected)


def test_upper_triangle_is_inert():
    """Weights above the diagonal would break the chain rule; the mask must zero them."""
    m = FVSBN(5)
    x = torch.bernoulli(torch.full((3, 5), 0.5))
    before = m().log_prob(x)
    with torch.no_grad():
        m.A.copy_(torch.randn(5, 5).triu())
    torch.testing.assert_close(m().log_prob(x), before)
