"""Bad data files and data options: a ValueError (or FileNotFoundError) naming the file."""

import pytest
import torch
from catalogue import Case, assert_clear
from workspace import workspace

from ppl_models.data import (
    binarize_stochastic,
    binarize_threshold,
    load_binarized_mnist,
    load_dataset,
    load_mnist,
    read_idx,
)


def W(name):
    return workspace() / name


CASES = [
    Case("empty .npz", lambda: load_binarized_mnist(W("empty.npz")), ("empty.npz",)),
    Case(".npz without the splits", lambda: load_binarized_mnist(W("no_arrays.npz")),
         ("missing array",)),
    Case("junk as .npz", lambda: load_binarized_mnist(W("junk.pt")), ("junk.pt",)),
    Case("missing .npz", lambda: load_binarized_mnist(W("none.npz")), ("none.npz",),
         FileNotFoundError),
    Case("IDX with a bad magic", lambda: read_idx(W("idx_bad_magic")), ("idx_bad_magic",)),
    Case("IDX that is not IDX", lambda: read_idx(W("junk.pt")), ("junk.pt",)),
    Case("MNIST folder without files", lambda: load_mnist(W("markov")), ("markov",),
         (FileNotFoundError, ValueError)),
    Case("unknown dataset", lambda: load_dataset("cifar10"), ("cifar10",)),
    Case("unknown binarisation", lambda: load_dataset("digits", binarize="median"),
         ("binarize",)),
    Case("file dataset without a path", lambda: load_dataset("mnist"), ("path",)),
    Case("threshold outside (0, 1)", lambda: binarize_threshold(torch.rand(3), 1.5),
         ("threshold",)),
    Case("binarise values outside [0, 1]", lambda: binarize_threshold(torch.rand(3) * 2),
         ("[0, 1]",)),
    Case("binarise NaN", lambda: binarize_stochastic(torch.full((3,), float("nan")), seed=0),
         ("NaN",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_data_input(case):
    assert_clear(case)
