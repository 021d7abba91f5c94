"""Quantised RGB patches of scikit-learn's sample photographs."""

import pytest
import torch

from ppl_models.data import load_sample_patches


def test_sample_patches_are_quantised_rgb_images():
    s = load_sample_patches(size=8, levels=4, n=200, seed=0)
    assert s.image_shape == (3, 8, 8) and len(s.train) == 160 and len(s.test) == 20
    k = torch.cat([s.train, s.valid, s.test]) * 3
    assert torch.equal(k, k.round()) and k.min() == 0 and k.max() == 3
    with pytest.raises(ValueError, match="levels"):
        load_sample_patches(levels=1)
