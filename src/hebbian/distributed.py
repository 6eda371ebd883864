"""The old home of data-parallel training: see :mod:`hebbian.competing.distributed`."""

from hebbian.competing.distributed import (
    all_reduce_sum,
    default_backend,
    fit_competing_distributed,
    init_from_environment,
    local_device,
    shutdown,
)

__all__ = [
    "all_reduce_sum",
    "default_backend",
    "fit_competing_distributed",
    "init_from_environment",
    "local_device",
    "shutdown",
]
