"""Equality of nested training states (dicts, lists and tuples of tensors and plain values),
tensor for tensor: what a bit-identical resume is checked with."""

import torch


def nested_equal(a, b) -> bool:
    """Whether ``a`` and ``b`` hold the same structure, equal plain values and tensors equal
    element for element (``torch.equal``)."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(
            nested_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return (isinstance(b, (list, tuple)) and len(a) == len(b)
                and all(nested_equal(x, y) for x, y in zip(a, b, strict=True)))
    return a == b
