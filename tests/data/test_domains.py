"""Domains for translation: the digits <-> MNIST frame and the measured MNIST attributes."""

import pytest
import torch

from ppl_models.data.domains import (
    ATTRIBUTES,
    attribute_domains,
    downsample_to_digits,
    slant,
    stroke_thickness,
    upsample_digits,
)


def _bar(width: int, size: int = 28) -> torch.Tensor:
    """An upright bar ``width`` pixels wide and 16 tall, centred: one image (1, 1, H, W)."""
    x = torch.zeros(1, 1, size, size)
    left = size // 2 - width // 2
    x[..., 6:22, left:left + width] = 1.0
    return x


def _shear(x: torch.Tensor, k: float) -> torch.Tensor:
    """Shear ``x -> x + k y`` (``y`` up, about the centre row), nearest neighbour."""
    n, c, h, w = x.shape
    out = torch.zeros_like(x)
    for r in range(h):
        shift = round(k * ((h - 1) / 2 - r))  # rows above the centre move right for k > 0
        out[..., r, :] = torch.roll(x[..., r, :], shift, dims=-1)
    return out


def _dilate(x: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.max_pool2d(x, 3, stride=1, padding=1)


def test_a_hand_dilated_digit_is_thicker():
    thin = _bar(1)
    assert stroke_thickness(thin).item() == 0.0  # a 1-pixel stroke erodes away entirely
    thick = _dilate(_dilate(thin))  # 5 pixels wide, 20 tall
    # Erosion keeps the 3 x 18 interior of the 5 x 20 bar: 54 / 100 exactly.
    assert stroke_thickness(thick).item() == pytest.approx(54 / 100)
    images = torch.cat([thin, thick])
    _, attributes, threshold = attribute_domains(images, thickness_threshold=0.25)
    assert attributes[:, ATTRIBUTES.index("thick")].tolist() == [0.0, 1.0]
    assert threshold == 0.25


def test_a_hand_sheared_digit_is_slanted_its_way():
    bar = _bar(3)
    assert slant(bar).item() == pytest.approx(0.0, abs=1e-6)  # upright
    right, left = _shear(bar, 0.5), _shear(bar, -0.5)
    # The moment shear recovers the applied one up to the rounding of each row's shift.
    assert slant(right).item() == pytest.approx(0.5, abs=0.05)
    assert slant(left).item() == pytest.approx(-0.5, abs=0.05)
    _, attributes, _ = attribute_domains(torch.cat([right, left]))
    assert attributes[:, ATTRIBUTES.index("slant_right")].tolist() == [1.0, 0.0]


def test_inversion_is_an_attribute_and_is_applied():
    images = torch.cat([_bar(3), _bar(5)])
    out, attributes, _ = attribute_domains(images, invert=torch.tensor([False, True]))
    assert torch.equal(out[0], images[0]) and torch.equal(out[1], 1 - images[1])
    assert attributes[:, ATTRIBUTES.index("inverted")].tolist() == [0.0, 1.0]


def test_digits_sit_in_mnists_box_and_come_back():
    torch.manual_seed(0)
    digits = torch.rand(5, 1, 8, 8)
    up = upsample_digits(digits)
    assert up.shape == (5, 1, 28, 28)
    assert up[..., :4, :].abs().sum() == 0 and up[..., -4:, :].abs().sum() == 0  # 4-px margin
    # A constant image survives the round trip exactly (bilinear then area averaging).
    flat = torch.full((1, 1, 8, 8), 0.7)
    assert torch.allclose(downsample_to_digits(upsample_digits(flat)), flat)
    # Random images come back smoothed, but far closer than to another image.
    back = downsample_to_digits(up)
    assert (back - digits).abs().mean() < 0.5 * (back - digits.roll(1, 0)).abs().mean()


@pytest.mark.parametrize("call, match", [
    (lambda: stroke_thickness(torch.rand(2, 28, 28)), "images"),
    (lambda: upsample_digits(torch.rand(2, 1, 8, 8), box=19), "size - box"),
    (lambda: attribute_domains(torch.rand(2, 1, 8, 8), invert=torch.tensor([1, 0])), "invert"),
])
def test_bad_inputs_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
