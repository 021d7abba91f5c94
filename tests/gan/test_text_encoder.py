"""The caption encoder: padding is ignored, word order matters for the GRU, bad codes fail."""

import pytest
import torch

from ppl_models.data.captions import VOCABULARY, encode_captions
from ppl_models.gan.text_encoder import TextEncoder


@pytest.mark.parametrize("pooling", ["gru", "mean"])
def test_padding_does_not_change_the_embedding(pooling):
    torch.manual_seed(0)
    enc = TextEncoder(len(VOCABULARY), 8, pooling)
    short = encode_captions(["a thick seven"], length=3)
    padded = encode_captions(["a thick seven"], length=5)
    # Same words, extra padding: equal up to float round-off.
    assert torch.allclose(enc(short), enc(padded), atol=1e-6)


def test_gru_distinguishes_captions_differing_in_one_word():
    torch.manual_seed(0)
    enc = TextEncoder(len(VOCABULARY), 8, "gru")
    e = enc(encode_captions(["a thick upright seven", "a thin upright seven"]))
    assert (e[0] - e[1]).abs().max() > 1e-3


def test_bad_codes_raise():
    enc = TextEncoder(len(VOCABULARY), 8)
    with pytest.raises(ValueError, match="word indices"):
        enc(torch.tensor([[len(VOCABULARY)]]))
    with pytest.raises(ValueError, match="non-padding"):
        enc(torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="pooling"):
        TextEncoder(5, 8, "max")
