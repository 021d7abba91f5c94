r"""Training on several processes with :mod:`torch.distributed` and ``DistributedDataParallel``.

``torchrun --nproc_per_node=N`` (``python -m torch.distributed.run``) starts N copies of one
program and describes the group in the environment (``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``, ``MASTER_PORT``, ``LOCAL_RANK``); :func:`init_from_env` joins it, with the
backend chosen from the device (gloo on CPU, nccl on CUDA). The
:class:`~inference.training.trainer.Trainer` then notices the group (:func:`current`) and

- draws the same epoch permutation on every rank (its shuffle generator is seeded from the
  run's seed alone) and gives each rank a contiguous share of every *global* batch
  (:func:`shard`), so the global batch size, and hence the optimisation, is the
  single-process one;
- hands each step a :class:`Shard` saying what share of the global batch it holds, so the
  step can weight its loss such that DDP's gradient *average* over ranks equals the
  single-process gradient of the whole global batch, also when the last batch does not divide
  evenly (see :meth:`Shard.mean_weight`);
- reduces metrics as sums of per-example values and counts (:func:`reduce_means`), so a
  validation loss is the number one process reports on the same examples;
- seeds each rank's global RNGs differently (:func:`rank_seed`): noise (an ELBO's
  reparameterised draws, stochastic binarisation) is independent across the ranks' examples.

**Why the loss, not the model, is what DDP wraps.** DDP synchronises gradients through
hooks it arms in its own ``forward``; a call that bypasses it (a Pyro ELBO calls
``vae.model`` and ``vae.guide``, methods, never ``forward``; a density's ``log_prob`` is
evaluated on the distribution the module returned) would leave each rank with its local
gradient, silently. :func:`data_parallel` therefore wraps a small module whose ``forward``
*is* the step's whole loss (``_LossModule``): one DDP forward per backward, the pattern DDP
assumes, and the parameters are still those of the step's model (no copy, no renamed
``state_dict`` keys). A module called twice inside that one forward (a BatchNorm
discriminator on real and fake images) is therefore not the "two forwards before one
backward" case of pytorch issues 22095 / 65907. The adversarial step still has two wrapped
losses (one per player) and a generator pass whose graph outlives its forward, so it turns
DDP's buffer broadcast at every forward off and calls :func:`broadcast_buffers` after each
whole update instead (see
:meth:`~inference.training.adversarial_step.AdversarialStep.distribute`).

**Decisions every rank must take together.** A rank that stops alone leaves the others
waiting in their next collective. :func:`failed_ranks` reduces one flag per rank, so a
non-finite loss or gradient seen on one rank stops all of them with the same message.

References:

1. Li et al., "PyTorch Distributed: Experiences on Accelerating Data Parallel Training",
   VLDB 2020.
2. Pyro's ``examples/svi_horovod.py`` and ``examples/svi_lightning.py``: module-local
   parameters, a torch optimiser, one shard of minibatches per worker.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel

__all__ = [
    "Group",
    "Shard",
    "all_gather_object",
    "backend_for",
    "barrier",
    "broadcast_buffers",
    "broadcast_object",
    "current",
    "data_parallel",
    "failed_ranks",
    "init_from_env",
    "initialised",
    "is_main",
    "rank_seed",
    "reduce_means",
    "shard",
    "shutdown",
]


@dataclass(frozen=True)
class Group:
    """The process group a run belongs to: this process's ``rank`` of ``world_size``."""

    rank: int
    world_size: int
    backend: str


@dataclass(frozen=True)
class Shard:
    """This rank's share of one global batch.

    :param int size: examples this rank holds; 0 when the global batch has fewer examples
        than there are ranks (the rank then evaluates a stand-in example with weight 0, so
        that it still takes part in the gradient all-reduce).
    :param int global_size: examples in the global batch, over all ranks.
    :param int world_size: number of ranks.
    """

    size: int
    global_size: int
    world_size: int

    def mean_weight(self) -> float:
        r"""Factor for a loss that is a *mean* over the local examples.

        DDP averages gradients over the ``W`` ranks, so with weight
        :math:`c_r = n_r W / B` the synchronised gradient is
        :math:`\frac{1}{W}\sum_r c_r \nabla \bar\ell_r = \frac{1}{B}\sum_i \nabla \ell_i`,
        the single-process mean over the global batch, whatever the split.
        """
        return self.size * self.world_size / self.global_size

    def sum_weight(self) -> float:
        """Factor for a loss that is a *sum* over the local examples: ``W`` (0 for a
        stand-in), so DDP's average is the sum over the global batch."""
        return float(self.world_size) if self.size else 0.0


def backend_for(device: torch.device | str | None) -> str:
    """``"nccl"`` for a CUDA device, ``"gloo"`` otherwise (CPU)."""
    return "nccl" if torch.device(device or "cpu").type == "cuda" else "gloo"


def current() -> Group | None:
    """The initialised process group if it has more than one rank, else ``None``."""
    if not (dist.is_available() and dist.is_initialized()):
        return None
    world = dist.get_world_size()
    if world < 2:
        return None
    return Group(rank=dist.get_rank(), world_size=world, backend=dist.get_backend())


def is_main() -> bool:
    """Whether this process writes files and prints: rank 0, or the only process."""
    group = current()
    return group is None or group.rank == 0


def init_from_env(device: torch.device | str | None = None) -> Group | None:
    """Join the process group ``torchrun`` describes in the environment.

    Nothing happens (and ``None`` is returned) when ``WORLD_SIZE`` is unset or 1 and no group
    is initialised, so a plain ``python`` run is unchanged. On CUDA each process takes the
    GPU ``LOCAL_RANK``.

    :param device: where the model lives; decides the backend (:func:`backend_for`).
    :return: the group, or ``None`` for a single process.
    """
    if not dist.is_available():
        return None
    if not dist.is_initialized():
        world = os.environ.get("WORLD_SIZE", "1")
        if not world.isdigit() or int(world) < 1:
            raise ValueError(f"WORLD_SIZE must be a positive integer, got {world!r}")
        if int(world) == 1:
            return None
        missing = [k for k in ("RANK", "MASTER_ADDR", "MASTER_PORT") if k not in os.environ]
        if missing:
            raise ValueError(f"WORLD_SIZE={world} but {missing} are not set; start the "
                             "processes with torchrun (python -m torch.distributed.run)")
        backend = backend_for(device)
        if backend == "nccl":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend)
    return current()


def initialised() -> bool:
    """Whether this process belongs to a process group already."""
    return dist.is_available() and dist.is_initialized()


def shutdown() -> None:
    """Leave the process group (no-op without one)."""
    if initialised():
        dist.destroy_process_group()


def rank_seed(seed: int, rank: int) -> int:
    """The seed of rank ``rank``'s global RNGs: ``seed`` itself on rank 0 (so a one-process
    run is unchanged), a hash of ``(seed, rank)`` on the others."""
    if rank == 0:
        return seed
    return int(np.random.SeedSequence([seed, rank]).generate_state(1)[0])


def shard(n: int, rank: int, world_size: int) -> slice:
    """Rank ``rank``'s contiguous part of ``n`` items split as evenly as possible.

    The first ``n % world_size`` ranks get one item more (``torch.tensor_split``'s rule);
    a rank may get none when ``n < world_size``.
    """
    base, extra = divmod(n, world_size)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (rank < extra))


def barrier() -> None:
    """Wait for every rank (no-op for one process)."""
    if current() is not None:
        dist.barrier()


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s ``obj`` on every rank (pickled; ``obj`` itself for one process)."""
    if current() is None:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def all_gather_object(obj: Any) -> list[Any]:
    """Every rank's ``obj``, in rank order (``[obj]`` for one process)."""
    group = current()
    if group is None:
        return [obj]
    out: list[Any] = [None] * group.world_size
    dist.all_gather_object(out, obj)
    return out


def reduce_means(sums: Mapping[str, float], counts: Mapping[str, int]) -> dict[str, float]:
    """Means over all ranks' examples from each rank's per-key sums and counts.

    Keys are united over ranks (a rank may have seen no validation example at all); the
    sums are reduced in float64, so the mean is the one-process number up to the order of
    summation.

    :param sums: per key, the sum over this rank's examples of the per-example value.
    :param counts: per key, this rank's number of examples.
    """
    group = current()
    if group is None:
        return {k: sums[k] / counts[k] for k in sums}
    keys = sorted(set().union(*all_gather_object(sorted(sums))))
    device = "cuda" if group.backend == "nccl" else "cpu"
    t = torch.tensor([[float(sums.get(k, 0.0)) for k in keys],
                      [float(counts.get(k, 0)) for k in keys]], dtype=torch.float64,
                     device=device)
    dist.all_reduce(t)
    total, n = t.tolist()
    return {k: s / c for k, s, c in zip(keys, total, n, strict=True) if c > 0}


class _LossModule(nn.Module):
    """A module whose ``forward`` is a step's loss; DDP wraps this, not the model."""

    def __init__(self, module: nn.Module, loss_fn: Callable[..., torch.Tensor]) -> None:
        super().__init__()
        self.module = module  # registered, so DDP hooks exactly these parameters
        self.loss_fn = loss_fn

    def forward(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self.loss_fn(*args, **kwargs)


def failed_ranks(failed: bool) -> list[int]:
    """The ranks on which ``failed`` is true, the same list on every rank.

    One all-reduce of a one-hot vector (``[0]`` or ``[]`` for one process), so every rank
    learns *that* and *where* something failed and can stop with the same message.

    :param bool failed: whether this rank found a problem.
    """
    group = current()
    if group is None:
        return [0] if failed else []
    flags = torch.zeros(group.world_size, dtype=torch.float64,
                        device="cuda" if group.backend == "nccl" else "cpu")
    flags[group.rank] = float(bool(failed))
    dist.all_reduce(flags)
    return [r for r, f in enumerate(flags.tolist()) if f]


@torch.no_grad()
def broadcast_buffers(module: nn.Module, src: int = 0) -> None:
    """Overwrite every rank's buffers of ``module`` with rank ``src``'s (no-op for one process).

    Called where no autograd graph holds them (after a whole update), so the in-place write
    cannot be the one of pytorch issue 22095. One broadcast per dtype (the running statistics
    are float, the batch counters int64).
    """
    if current() is None:
        return
    by_dtype: dict[torch.dtype, list[Tensor]] = {}
    for b in module.buffers():
        by_dtype.setdefault(b.dtype, []).append(b)
    for dtype in sorted(by_dtype, key=str):  # the same order on every rank
        buffers = by_dtype[dtype]
        flat = torch.cat([b.reshape(-1) for b in buffers])
        dist.broadcast(flat, src=src)
        for b, part in zip(buffers, flat.split([b.numel() for b in buffers]), strict=True):
            b.copy_(part.view_as(b))


def _no_forward_buffer_sync() -> dict[str, bool]:
    # Recent torch (2.13 here) renamed broadcast_buffers to forward_sync_buffers and warns
    # on the old name; False means "no broadcast at each forward" under either name.
    params = inspect.signature(DistributedDataParallel.__init__).parameters
    if "forward_sync_buffers" in params:
        return {"forward_sync_buffers": False}
    return {"broadcast_buffers": False}


def data_parallel(module: nn.Module, loss_fn: Callable[..., Any], *,
                  sync_buffers_in_forward: bool = True) -> DistributedDataParallel:
    """Wrap ``loss_fn`` (which uses ``module``'s parameters) so that its backward all-reduces.

    Calling the result runs ``loss_fn(*args)`` as DDP's forward; ``backward()`` on (a
    multiple of) its value leaves every rank with the average over ranks of their gradients.
    Construction broadcasts rank 0's parameters to every rank.

    Every parameter must get a gradient in every update (DDP's default
    ``find_unused_parameters=False``, which costs nothing per update); a model with a branch
    that some batches skip would hang the next update, which DDP reports.

    :param nn.Module module: the module holding every parameter ``loss_fn`` depends on.
    :param callable loss_fn: returns a scalar tensor (or a tuple starting with one).
    :param bool sync_buffers_in_forward: DDP's default, rank 0's buffers sent at the start
        of every forward (and at construction). ``False`` sends none; the caller then keeps
        the buffers equal itself, e.g. with :func:`broadcast_buffers`.
    :raises ValueError: for a module with parameters still uninitialised (``nn.Lazy*``:
        DDP must know every parameter's shape when it is built, so run one forward first) or
        with no parameters at all.
    """
    lazy = [name for name, p in module.named_parameters()
            if isinstance(p, nn.parameter.UninitializedParameter)]
    if lazy:
        raise ValueError(f"parameters {lazy[:3]} are not initialised yet (a lazy module): "
                         "call the model once on a batch before training it on several "
                         "processes, so DDP can see their shapes")
    params = list(module.parameters())
    if not params:
        raise ValueError("the model has no parameters for DistributedDataParallel to "
                         "synchronise")
    device = params[0].device
    device_ids = [device.index] if device.type == "cuda" else None
    buffers = {} if sync_buffers_in_forward else _no_forward_buffer_sync()
    return DistributedDataParallel(_LossModule(module, loss_fn), device_ids=device_ids,
                                   **buffers)
