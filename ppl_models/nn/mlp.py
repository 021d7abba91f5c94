"""Fully connected blocks: the encoder and decoder networks of an MLP VAE."""

from collections.abc import Sequence

from torch import nn

__all__ = ["MLP", "check_widths"]


def check_widths(widths: Sequence[int], name: str = "hidden") -> tuple[int, ...]:
    """Return ``widths`` as a tuple after checking it is a sequence of positive ints.

    :param widths: layer widths, e.g. ``(400,)``; may be empty.
    :param str name: argument name used in the message.
    :raises ValueError: if ``widths`` is not a sequence of positive ints.
    """
    # A bare int is the usual slip (hidden=400); iterating it would fail with a TypeError.
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise ValueError(f"{name} must be a sequence of positive ints, e.g. (400,), "
                         f"got {widths!r}")
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
        raise ValueError(f"{name} must hold positive ints only, got {tuple(widths)!r}")
    return tuple(int(w) for w in widths)


class MLP(nn.Sequential):
    """``Linear -> ReLU`` layers of widths ``hidden``, then a final ``Linear``.

    Maps ``(N, in_features)`` to ``(N, out_features)``; the output has no activation (it is a
    vector of logits or of distribution parameters). With ``hidden=()`` it is one affine map.

    :param int in_features: input width.
    :param hidden: widths of the hidden layers.
    :param int out_features: output width.
    """

    def __init__(self, in_features: int, hidden: Sequence[int], out_features: int):
        widths = (*check_widths((in_features,), "in_features"), *check_widths(hidden),
                  *check_widths((out_features,), "out_features"))
        layers: list[nn.Module] = []
        for a, b in zip(widths[:-2], widths[1:-1], strict=True):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.Linear(widths[-2], widths[-1]))
        super().__init__(*layers)
        self.in_features, self.out_features = widths[0], widths[-1]
