r"""Data-parallel training with :mod:`torch.distributed` (gloo on CPU, NCCL on CUDA).

Krotov & Hopfield's rule (:mod:`hebbian.competing.rule`) sums its change over a batch
and then divides it by its largest entry. Data parallelism therefore has to sum the
processes' shares *before* normalising: each of ``N`` processes takes its slice of
``b`` samples from a global batch of ``N b``, computes its share of
:math:`\Delta W = \sum_b g_b (v_b - I_b W)`, an all-reduce adds the shares, and every
process applies the same normalised step. ``N`` processes with local batch ``b``
then follow the weights of one process with batch ``N b``, up to the order of the
floating-point additions.

Every process holds the whole data set and draws the same permutation from a
generator with the same seed; the initial weights are broadcast from rank 0. The
training loop is :func:`hebbian.competing.training.fit_competing`'s, with the
all-reduce :func:`all_reduce_sum` as its ``reduce``.

Launch with ``torchrun``, which sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT``; a script such as::

    # train_krotov.py
    import torch
    from hebbian.competing import CompetingParams, distributed
    from hebbian.data import load_dataset

    rank, world_size = distributed.init_from_environment()
    data = load_dataset("fashion-mnist", "train").flat.to(distributed.local_device())
    params = CompetingParams(batch_size=50)  # per process: global batch 50 * world_size
    generator = torch.Generator().manual_seed(0)  # the same seed on every process
    weight = distributed.fit_competing_distributed(data, params, generator)
    if rank == 0:
        torch.save(weight.cpu(), "weights.pt")
    distributed.shutdown()

run as ``torchrun --nproc-per-node 2 train_krotov.py`` (two CPU processes with gloo,
or one per GPU with NCCL).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta

import torch
import torch.distributed as dist

from hebbian._checks import check_floating_tensor
from hebbian.competing.params import CompetingParams
from hebbian.competing.training import fit_competing, initial_weights

__all__ = [
    "all_reduce_sum",
    "default_backend",
    "fit_competing_distributed",
    "init_from_environment",
    "local_device",
    "shutdown",
]

_ENVIRONMENT = ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def default_backend(device: torch.device | str) -> str:
    """The collective backend for ``device``: ``"nccl"`` on CUDA, ``"gloo"`` otherwise.

    Examples
    --------
    >>> default_backend("cpu"), default_backend("cuda:1")
    ('gloo', 'nccl')
    """
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def local_device() -> torch.device:
    """Return this process's device: ``cuda:LOCAL_RANK`` when CUDA is available, else the CPU.

    Examples
    --------
    >>> local_device() if not torch.cuda.is_available() else torch.device("cpu")
    device(type='cpu')
    """
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def init_from_environment(
    *, backend: str | None = None, timeout_s: float = 120.0
) -> tuple[int, int]:
    """Join the process group that ``torchrun`` describes in the environment.

    Parameters
    ----------
    backend : str, optional
        ``"gloo"`` or ``"nccl"``; default :func:`default_backend` of
        :func:`local_device` (on CUDA this also selects the process's GPU).
    timeout_s : float
        How long collectives wait for the other processes.

    Returns
    -------
    (rank, world_size)
    """
    missing = [name for name in _ENVIRONMENT if name not in os.environ]
    if missing:
        raise RuntimeError(
            f"environment variables {', '.join(missing)} are not set; launch with torchrun, "
            "e.g. torchrun --nproc-per-node 2 script.py"
        )
    device = local_device()
    if backend is None:
        backend = default_backend(device)
    if backend not in ("gloo", "nccl"):
        raise ValueError(f"backend must be 'gloo' or 'nccl', got {backend!r}")
    if backend == "nccl":
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, timeout=timedelta(seconds=timeout_s))
    return dist.get_rank(), dist.get_world_size()


def shutdown() -> None:
    """Leave the process group (if one was joined)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum ``tensor`` over the processes of the default group, in place; return it.

    With no process group (a single process) the tensor is returned unchanged.
    """
    if dist.is_initialized() and dist.get_world_size() > 1:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def fit_competing_distributed(
    data: torch.Tensor,
    params: CompetingParams,
    generator: torch.Generator,
    *,
    callback: Callable[[int, torch.Tensor], None] | None = None,
) -> torch.Tensor:
    """Train the competing hidden units data-parallel over the default process group.

    Every process passes the whole ``data``, the same ``params`` and a generator in
    the same state; ``params.batch_size`` is the batch of *each* process, so the
    global batch is ``batch_size * world_size``. The initial weights are broadcast
    from rank 0, then :func:`~hebbian.competing.training.fit_competing` trains with
    :func:`all_reduce_sum` as its ``reduce``. The result equals (within
    floating-point tolerance) ``fit_competing`` in one process with the global batch
    size and a generator in the same state.

    Parameters
    ----------
    data : Tensor, shape (n_samples, N)
        On this process's device (:func:`local_device`).
    params : CompetingParams
    generator : torch.Generator
        A CPU generator for the initial weights and the shuffling, seeded alike on
        every process.
    callback : callable, optional
        ``callback(epoch, weight)`` after each epoch (1-based), on every process.

    Returns
    -------
    Tensor, shape (params.hidden_units, N)
        The same weights on every process.
    """
    data = check_floating_tensor("data", data, ndim=2)
    rank = dist.get_rank() if dist.is_initialized() else 0
    world_size = dist.get_world_size() if dist.is_initialized() else 1
    weight = initial_weights(
        params.hidden_units, data.shape[1], params, generator, dtype=data.dtype, device=data.device
    )
    if world_size > 1:
        dist.broadcast(weight, src=0)  # identical anyway; this makes sure
    return fit_competing(
        data, params, generator, weight=weight, callback=callback,
        rank=rank, world_size=world_size, reduce=all_reduce_sum,
    )  # fmt: skip
