"""Validation of binary observations, shared by every density over :math:`\\{0,1\\}^D`.

A density evaluated at a non-binary value is not an error torch would catch: the
Bernoulli cross-entropy happily scores 0.5 or NaN. Every ``log_prob`` here calls
:func:`check_binary` so bad input fails loudly with the argument named.
"""

import torch

__all__ = ["check_binary"]


def check_binary(value: torch.Tensor, dim: int, name: str = "x") -> None:
    """Raise ``ValueError`` unless ``value`` is a floating tensor ``(*batch, dim)`` in {0, 1}.

    :param value: the tensor to check.
    :param int dim: expected size of the last (event) dimension.
    :param str name: argument name used in the message.
    """
    if torch.jit.is_tracing():
        # Under torch.jit.trace (e.g. Pyro's JitTrace_ELBO) each Python bool below prints a
        # TracerWarning and the traced graph would not repeat the check: eager calls check.
        return
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if value.dim() < 1 or value.shape[-1] != dim:
        raise ValueError(f"{name} must have shape (*batch, {dim}), got {tuple(value.shape)}")
    if not value.is_floating_point():
        raise ValueError(f"{name} must be a floating tensor with values in {{0, 1}}, "
                         f"got dtype {value.dtype}")
    if torch.isnan(value).any():
        raise ValueError(f"{name} contains NaN; expected values in {{0, 1}}")
    bad = (value != 0) & (value != 1)
    if bad.any():
        example = value[bad].flatten()[0].item()
        raise ValueError(f"{name} must be binary (values in {{0, 1}}); found {example!r} "
                         f"({int(bad.sum())} non-binary entries)")
