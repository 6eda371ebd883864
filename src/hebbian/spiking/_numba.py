"""What the compiled CPU kernels share: Numba where it is installed, and a scalar exp.

The kernels (:mod:`hebbian.spiking._diehl_cook_kernel`,
:mod:`hebbian.spiking._song_abbott_kernel`) are fast paths of PyTorch code; without
Numba, ``AVAILABLE`` is False and the PyTorch paths run instead.
"""

from __future__ import annotations

import math

import numpy as np

from hebbian.spiking._common import INV_LN2, LN2_HI, LN2_LO, TAYLOR

try:  # Numba is optional: without it the PyTorch paths run
    import numba
    from numba import njit, prange

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    AVAILABLE = False
    prange = range  # type: ignore[misc]  # the plain loop where Numba is missing

__all__ = ["AVAILABLE", "fast_exp_scalar", "most_threads", "njit", "prange", "set_threads"]

_COEFFICIENTS = np.array(TAYLOR, dtype=np.float64)


def fast_exp_scalar(x: float) -> float:  # pragma: no cover - compiled
    """:func:`hebbian.spiking._common.fast_exp` for one float64, operation for operation."""
    x = min(max(x, -746.0), 710.0)
    k = np.rint(x * INV_LN2)
    r = (x - k * LN2_HI) - k * LN2_LO
    poly = _COEFFICIENTS[0]
    for n in range(1, _COEFFICIENTS.shape[0]):
        poly = poly * r + _COEFFICIENTS[n]
    poly = (poly * r + 1.0) * r + 1.0
    e = np.int64(k)
    half = e // 2
    return poly * math.ldexp(1.0, half) * math.ldexp(1.0, e - half)


def most_threads() -> int:
    """The most threads Numba may use (1 without Numba)."""
    if not AVAILABLE:
        return 1
    return int(getattr(numba.config, "NUMBA_NUM_THREADS", 1))  # not in its type stubs


def set_threads(count: int) -> None:
    """Let the parallel kernels use ``count`` threads, at most :func:`most_threads`."""
    if AVAILABLE:
        numba.set_num_threads(max(1, min(count, most_threads())))


if AVAILABLE:
    fast_exp_scalar = njit(cache=True, inline="always")(fast_exp_scalar)
