"""What the compiled CPU kernels share: Numba where it is installed, a scalar exp, a hash.

The kernels (:mod:`hebbian.spiking._diehl_cook_kernel`,
:mod:`hebbian.spiking._song_abbott_kernel`) are fast paths of PyTorch code; without
Numba, ``AVAILABLE`` is False and the PyTorch paths run instead.
"""

from __future__ import annotations

import math

import numpy as np

from hebbian._random import INPUT_OFFSET, LOWBIAS32
from hebbian.spiking._common import INV_LN2, LN2_HI, LN2_LO, TAYLOR

try:  # Numba is optional: without it the PyTorch paths run
    import numba
    from numba import njit, prange

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    AVAILABLE = False
    prange = range  # type: ignore[misc]  # the plain loop where Numba is missing

__all__ = [
    "AVAILABLE",
    "fast_exp_into",
    "fast_exp_scalar",
    "input_words",
    "mix32",
    "most_threads",
    "njit",
    "prange",
    "set_threads",
    "stream_word",
]

_COEFFICIENTS = np.array(TAYLOR, dtype=np.float64)
# 2.0 ** h for h in [-_POWER_OFFSET, _POWER_OFFSET): exactly ``math.ldexp(1.0, h)``, and
# a table lookup is cheaper than a call of ldexp
_POWER_OFFSET = 600
_POWERS = np.array([math.ldexp(1.0, h) for h in range(-_POWER_OFFSET, _POWER_OFFSET)])


def _taylor(r: float) -> float:  # pragma: no cover - compiled
    """fast_exp's Taylor polynomial of e^r (degree 13, Horner form), operation for operation."""
    poly = _COEFFICIENTS[0]
    for n in range(1, _COEFFICIENTS.shape[0]):
        poly = poly * r + _COEFFICIENTS[n]
    return (poly * r + 1.0) * r + 1.0


def _reduced(x: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """fast_exp's range reduction: ``k = round(x / ln 2)`` and ``r``, for x clamped."""
    x = min(max(x, -746.0), 710.0)
    k = np.rint(x * INV_LN2)
    return k, (x - k * LN2_HI) - k * LN2_LO


def _scaled(poly: float, k: float) -> float:  # pragma: no cover - compiled
    """``poly * 2^k`` as fast_exp writes it: two factors, so that a subnormal rounds once."""
    e = np.int32(k)  # |k| <= 1077
    half = e >> 1  # floor(e / 2)
    return poly * _POWERS[half + _POWER_OFFSET] * _POWERS[e - half + _POWER_OFFSET]


def fast_exp_scalar(x: float) -> float:  # pragma: no cover - compiled
    """:func:`hebbian.spiking._common.fast_exp` for one float64, operation for operation."""
    k, r = _reduced(x)
    return _scaled(_taylor(r), k)


def fast_exp_into(
    x: np.ndarray, out: np.ndarray, work: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``out[i] = fast_exp_scalar(float64(x[i]))``, rounded to ``out``'s dtype.

    ``work`` is float64 scratch of ``x``'s length. In two passes: the Taylor polynomials
    of the reduced arguments, a loop without branches or calls that the compiler turns
    into vector instructions (ten times the throughput of calling
    :func:`fast_exp_scalar` neuron by neuron, whose Horner chain otherwise waits on
    itself); then the powers of two, only where ``k`` is not 0 (``|x| > ln(2) / 2``;
    where it is 0 they are 1 and change nothing), which spares the neurons' decays two
    table lookups each.
    """
    for i in range(x.shape[0]):
        k, r = _reduced(np.float64(x[i]))
        work[i] = _taylor(r)
    for i in range(x.shape[0]):
        k, _ = _reduced(np.float64(x[i]))
        out[i] = work[i] if k == 0.0 else _scaled(work[i], k)


def mix32(h: np.uint32) -> np.uint32:  # pragma: no cover - compiled
    """:func:`hebbian._random.mix32` of one uint32, in uint32 arithmetic.

    Each result is cast back to uint32 (Numba widens uint32 arithmetic to 64 bits), so
    the products wrap modulo 2^32 and a loop of hashes runs as 32-bit vector instructions.
    """
    h = np.uint32(h ^ (h >> np.uint32(16)))
    h = np.uint32(h * np.uint32(LOWBIAS32[0]))
    h = np.uint32(h ^ (h >> np.uint32(15)))
    h = np.uint32(h * np.uint32(LOWBIAS32[1]))
    return np.uint32(h ^ (h >> np.uint32(16)))


def stream_word(key: np.uint32, position: np.int64) -> np.uint32:  # pragma: no cover - compiled
    """:func:`hebbian._random.counter_words` of one key and position."""
    lo = np.uint32(position & np.int64(0xFFFFFFFF))
    hi = np.uint32(position >> np.int64(32))
    return mix32(np.uint32(mix32(np.uint32(mix32(lo) ^ hi)) ^ key))


def input_words(n: int) -> np.ndarray:  # pragma: no cover - compiled
    """``mix32(i + INPUT_OFFSET)`` for the inputs ``i < n`` (uint32)."""
    words = np.empty(n, dtype=np.uint32)
    for i in range(n):
        words[i] = mix32(np.uint32((i + INPUT_OFFSET) & 0xFFFFFFFF))
    return words


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
    _taylor = njit(cache=True, inline="always")(_taylor)
    _reduced = njit(cache=True, inline="always")(_reduced)
    _scaled = njit(cache=True, inline="always")(_scaled)
    fast_exp_scalar = njit(cache=True, inline="always")(fast_exp_scalar)
    fast_exp_into = njit(cache=True, inline="always")(fast_exp_into)
    mix32 = njit(cache=True, inline="always")(mix32)
    stream_word = njit(cache=True, inline="always")(stream_word)
    input_words = njit(cache=True)(input_words)
