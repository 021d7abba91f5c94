"""Bad input to the implicit kinds' ``sample``: a clear error naming the argument, never NaN
images back; any integral count accepted (issue 29)."""

import pytest
import torch
from catalogue import Case, assert_clear
from model_configs import SMALL

from ppl_models import registry


def model(kind):
    torch.manual_seed(0)
    return registry.build(kind, **SMALL[kind])


def _nan_images(shape=(2, 1, 8, 8)):
    x = torch.rand(*shape)
    x[0, 0, 0, 0] = float("nan")
    return x


CASES = [
    Case("CycleGAN translating NaN images", lambda: model("cyclegan").sample(2, _nan_images()),
         ("condition", "NaN")),
    Case("CycleGAN translating images in 0..255",
         lambda: model("cyclegan").sample(2, torch.rand(2, 1, 8, 8) * 255),
         ("condition", "[0, 1]", "255")),
    Case("StarGAN translating NaN images",
         lambda: model("stargan").sample(2, (_nan_images(), torch.ones(2, 2))),
         ("images", "NaN")),
    Case("Puzzle-GAN completing NaN images", lambda: model("puzzle_gan").sample(2, _nan_images()),
         ("condition", "NaN")),
    Case("text-to-image captions as strings",
         lambda: model("text_to_image").sample(2, ["a thin seven", "a thick one"]),
         ("condition", "word codes")),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_sampler_input_is_refused_clearly(case):
    assert_clear(case)
