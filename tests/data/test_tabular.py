"""Tabular sets standardised on their training split (ppl_models.data.tabular)."""

import pytest
import torch

from ppl_models.data import TABULAR, load_tabular


@pytest.mark.parametrize("name", TABULAR)
def test_standardised_on_train_and_split_70_15_15(name):
    s = load_tabular(name, seed=0)
    n = len(s.train) + len(s.valid) + len(s.test)
    assert len(s.train) == int(0.7 * n) and len(s.valid) == int(0.15 * n)
    torch.testing.assert_close(s.train.mean(0), torch.zeros(s.dim), atol=1e-5, rtol=0)
    torch.testing.assert_close(s.train.std(0, unbiased=False), torch.ones(s.dim),
                               atol=1e-5, rtol=0)
    assert s.log_scale == pytest.approx(s.std.log().sum().item())
    assert len(s.columns) == s.dim >= 5
    # No column of ties: the commonest value of each kept column is under 5% of the rows.
    x = torch.cat([s.train, s.valid, s.test])
    for j in range(s.dim):
        assert torch.unique(x[:, j], return_counts=True)[1].max() <= 0.05 * n


def test_discrete_columns_are_dropped():
    assert "CHAS" not in load_tabular("boston").columns
    assert "sex" not in load_tabular("diabetes").columns


def test_the_split_follows_the_seed():
    a, b = load_tabular("wine", seed=0), load_tabular("wine", seed=0)
    assert torch.equal(a.test, b.test) and torch.equal(a.std, b.std)


def test_unknown_name_raises():
    with pytest.raises(ValueError, match="name must be one of"):
        load_tabular("iris")
