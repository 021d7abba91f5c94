import pytest
import torch

from ppl_models.data import (
    constant_images,
    held_out_classes,
    inverted,
    perturb_binary,
    resized,
    uniform_noise,
)


def test_held_out_classes_splits_by_label_in_order():
    x = torch.arange(6.0).reshape(6, 1, 1, 1)
    y = torch.tensor([0, 1, 2, 1, 0, 2])
    xi, yi, xo, yo = held_out_classes(x, y, 1)
    assert yi.tolist() == [0, 2, 0, 2] and xo.flatten().tolist() == [1.0, 3.0]
    assert yo.tolist() == [1, 1] and xi.flatten().tolist() == [0.0, 2.0, 4.0, 5.0]
    assert held_out_classes(x, y, [0, 2])[3].tolist() == [0, 2, 0, 2]
    with pytest.raises(ValueError, match="held_out"):
        held_out_classes(x, y, 7)
    with pytest.raises(ValueError, match="every class"):
        held_out_classes(x, y, [0, 1, 2])
    with pytest.raises(ValueError, match="labels"):
        held_out_classes(x, y[:5], 1)


def test_inverted_resized_noise_and_constants():
    x = (torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0)) < 0.3).float()
    assert torch.equal(inverted(inverted(x)), x)
    big = resized(x, (28, 28))
    assert big.shape == (3, 1, 28, 28) and set(big.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(resized(torch.ones(1, 1, 8, 8), (28, 28)), torch.ones(1, 1, 28, 28))
    gen = torch.Generator().manual_seed(1)
    noise = uniform_noise(2000, (1, 8, 8), generator=gen)
    # 128,000 fair coins: the mean's sd is 0.0014.
    assert set(noise.unique().tolist()) == {0.0, 1.0} and abs(noise.mean() - 0.5) < 0.01
    grey = uniform_noise(5, (1, 2, 2), binary=False, generator=gen)
    assert ((grey >= 0) & (grey <= 1)).all() and grey.shape == (5, 1, 2, 2)
    c = constant_images((1, 2, 3), values=(0.0, 0.25, 1.0))
    assert c.shape == (3, 1, 2, 3) and c[1].unique().tolist() == [0.25]
    with pytest.raises(ValueError, match="image_shape"):
        constant_images((2, 3))
    with pytest.raises(ValueError, match="values"):
        constant_images((1, 2, 2), values=(2.0,))
    with pytest.raises(ValueError, match="n must be"):
        uniform_noise(0, (1, 2, 2))
    with pytest.raises(ValueError, match="size"):
        resized(x, (0, 3))


def test_perturb_binary_flips_about_half_the_replaced_entries():
    x = torch.zeros(100_000)
    out = perturb_binary(x, 0.2, generator=torch.Generator().manual_seed(0))
    # A replaced entry becomes 1 with probability 1/2: mean 0.1, sd 0.001 here.
    assert abs(out.mean().item() - 0.1) < 0.006
    assert torch.equal(perturb_binary(x, 0.0), x)
    with pytest.raises(ValueError, match="rate"):
        perturb_binary(x, 1.5)
    with pytest.raises(ValueError, match="binary"):
        perturb_binary(torch.full((3,), 0.5), 0.1)
