"""The plane of a latent map: principal components or the most active units, said which."""

import math

import pytest
import torch

from inference.diagnostics import latent_plane


def spread_means(n=200, seed=0):
    """Means varying along (1, 1, 0, 0) / sqrt 2 (sd 3) and z[3] (sd 1); z[2] barely moves."""
    g = torch.Generator().manual_seed(seed)
    t, s = torch.randn(n, generator=g) * 3, torch.randn(n, generator=g)
    means = 0.01 * torch.randn(n, 4, generator=g, dtype=torch.float64)
    means[:, 0] += t / math.sqrt(2)
    means[:, 1] += t / math.sqrt(2)
    means[:, 3] += s
    return means


def test_principal_components_find_the_directions_of_spread():
    plane = latent_plane(spread_means(), "pca")
    assert plane.coords.shape == (200, 2) and plane.dims is None
    assert plane.axis_labels == ("PC 1", "PC 2")
    assert "principal" not in plane.description and "PC 1 and PC 2" in plane.description
    assert "4-D" in plane.description and "100% of variance" in plane.description
    # PC 1 is (up to sampling wobble) the diagonal, PC 2 the unit z[3].
    means = spread_means()
    along = means[:, :2].sum(1) / math.sqrt(2)
    assert torch.corrcoef(torch.stack([plane.coords[:, 0], along]))[0, 1].abs() > 0.999
    assert torch.corrcoef(torch.stack([plane.coords[:, 1], means[:, 3]]))[0, 1].abs() > 0.99
    assert plane.coords[:, 0].var() > 5 * plane.coords[:, 1].var()


def test_pca_signs_do_not_depend_on_the_data_order():
    means = spread_means()
    a = latent_plane(means, "pca").coords
    b = latent_plane(means.flip(0), "pca").coords.flip(0)
    torch.testing.assert_close(a, b)


def test_most_active_units():
    plane = latent_plane(spread_means(), "active")
    # Activities: 4.5, 4.5, ~1e-4, 1: the two diagonal units.
    assert set(plane.dims) == {0, 1} and plane.axis_labels == tuple(f"z[{d}]" for d in plane.dims)
    torch.testing.assert_close(plane.coords, spread_means()[:, list(plane.dims)])
    assert "most active of 4" in plane.description


def test_a_two_dimensional_code_is_its_own_plane():
    means = spread_means()[:, :2]
    for method in ("pca", "active"):
        plane = latent_plane(means, method)
        torch.testing.assert_close(plane.coords, means)
        assert plane.dims == (0, 1)


@pytest.mark.parametrize("means, method, match", [
    (torch.zeros(5, 3), "tsne", "method"),
    (torch.zeros(1, 3), "pca", "N >= 2"),
    (torch.zeros(5, 1), "pca", "D >= 2"),
])
def test_bad_input(means, method, match):
    with pytest.raises(ValueError, match=match):
        latent_plane(means, method)
