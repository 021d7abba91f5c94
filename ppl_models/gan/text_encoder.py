"""A learned encoder of short captions over a small vocabulary, for text-to-image GANs.

Word embeddings followed by a GRU (its last hidden state over the non-padding words) or by
a mean over the non-padding words; index 0 is padding. Reed et al. (ICML 2016, sec. 3)
learn a char-CNN-RNN encoder; over the 17-word vocabulary of
:mod:`ppl_models.data.captions` a word-level encoder trained with the GAN is enough.
"""

from __future__ import annotations

__all__ = ["POOLINGS", "TextEncoder"]

import torch
from torch import Tensor, nn

POOLINGS = ("gru", "mean")


class TextEncoder(nn.Module):
    """Codes ``(N, L)`` int64 (0 = padding) to embeddings ``(N, dim)``.

    :param int vocabulary_size: number of words, padding included.
    :param int dim: embedding (and GRU hidden) width.
    :param str pooling: one of :data:`POOLINGS`.
    """

    def __init__(self, vocabulary_size: int, dim: int = 64, pooling: str = "gru") -> None:
        super().__init__()
        for value, name in ((vocabulary_size, "vocabulary_size"), (dim, "dim")):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self.vocabulary_size, self.dim, self.pooling = vocabulary_size, dim, pooling
        self.embedding = nn.Embedding(vocabulary_size, dim, padding_idx=0)
        if pooling == "gru":
            self.gru = nn.GRU(dim, dim, batch_first=True)

    def forward(self, codes: Tensor) -> Tensor:
        if (not isinstance(codes, Tensor) or codes.dim() != 2 or codes.is_floating_point()
                or codes.dtype == torch.bool):
            raise ValueError(f"codes must be an int64 (N, L) tensor, got "
                             f"{tuple(getattr(codes, 'shape', ()))}")
        if codes.numel() and (codes.min() < 0 or codes.max() >= self.vocabulary_size):
            raise ValueError(f"codes must be word indices in [0, {self.vocabulary_size - 1}]")
        mask = codes != 0
        lengths = mask.sum(1)
        if (lengths == 0).any():
            raise ValueError("every caption needs at least one non-padding word")
        words = self.embedding(codes)
        if self.pooling == "mean":
            return words.sum(1) / lengths[:, None].to(words)
        packed = nn.utils.rnn.pack_padded_sequence(words, lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        _, h = self.gru(packed)
        return h[-1]
