"""The MNIST captioner: measurements move with hand-made thickening and shearing."""

import pytest
import torch
import torch.nn.functional as F

from ppl_models.data.captions import (
    VOCABULARY,
    caption,
    caption_attributes,
    encode_captions,
    ink_per_skeleton_length,
    skeleton,
)


def _bar(width: int, shear: float = 0.0) -> torch.Tensor:
    """A vertical bar ``width`` pixels wide, 16 tall, sheared ``x -> x + shear * y``."""
    img = torch.zeros(1, 1, 28, 28)
    for row in range(6, 22):
        up = 14 - row  # y up, centred
        x0 = int(round(12 + shear * up))
        img[0, 0, row, x0:x0 + width] = 1.0
    return img


def _dilate(x):
    return F.max_pool2d(x, 3, stride=1, padding=1)


def test_skeleton_of_a_bar_is_one_pixel_wide():
    sk = skeleton(_bar(5))
    # Each row of the thinned bar keeps at most one pixel (the ends may be shortened).
    assert sk[0, 0].sum(1).max() == 1
    assert sk.sum() >= 10


def test_width_grows_with_dilation():
    x = _bar(2)
    w0 = ink_per_skeleton_length(x)
    w1 = ink_per_skeleton_length(_dilate(x))
    # The bar's width 2 -> 4: ink per skeleton pixel must rise by well over one pixel.
    assert w1 > w0 + 1


def test_thickness_and_slant_words_follow_hand_edits():
    x = torch.cat([_bar(2), _dilate(_dilate(_bar(2))), _bar(2, 0.6), _bar(2, -0.6)])
    thick, lean = caption_attributes(x, thickness_threshold=3.0, slant_threshold=0.2)
    assert thick.tolist() == [0, 1, 0, 0]
    assert lean.tolist() == [1, 1, 2, 0]
    texts = caption(x, torch.tensor([7, 7, 1, 1]), 3.0, 0.2)
    assert texts[1] == "a thick upright seven"
    assert texts[2] == "a thin right-slanted one"


def test_a_wrong_width_definition_would_fail():
    # Erosion survival (the StarGAN measure) is 0 for both 2-wide and 1-wide bars, so it
    # cannot tell them apart; ink per skeleton length does.
    assert ink_per_skeleton_length(_bar(2)) > ink_per_skeleton_length(_bar(1)) + 0.5


def test_encode_round_trip_and_errors():
    codes = encode_captions(["a thick upright seven"])
    assert [VOCABULARY[i] for i in codes[0]] == ["a", "thick", "upright", "seven"]
    with pytest.raises(ValueError, match="unknown word 'purple'"):
        encode_captions(["a purple upright seven"])
    with pytest.raises(ValueError, match=r"labels must be digits in \[0, 9\]"):
        caption(_bar(2), torch.tensor([10]), 3.0, 0.2)
    with pytest.raises(ValueError, match="labels must be an integer tensor"):
        caption(_bar(2), torch.tensor([1.0]), 3.0, 0.2)
