"""Argument checks shared by the spiking modules, and a machine-independent ``exp``.

The library-wide checks (``check_finite``, ``check_enum``, ...) live in
:mod:`hebbian._checks`; these are the spiking-specific ones.

Units used throughout :mod:`hebbian.spiking`: time in **seconds** (time steps ``dt``,
time constants, refractory periods), membrane potentials in **millivolts**, rates in
**Hz**. Each module states the units of its other quantities once.
"""

from __future__ import annotations

import math

import torch

from hebbian._checks import check_positive, check_same_device


def check_dt(dt: object) -> float:
    """Return ``dt`` (seconds) as a float if it is a finite number > 0.

    >>> check_dt(1e-4)
    0.0001
    """
    return check_positive("dt", dt)


def check_input(name: str, value: object, like: torch.Tensor) -> torch.Tensor | None:
    """Check an optional per-step input: a tensor broadcastable to ``like``, or ``None``.

    Spike tensors may be boolean; they are cast to ``like``'s dtype.
    """
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or None, got {type(value).__name__}")
    if value.dtype == torch.bool:
        value = value.to(like.dtype)
    elif not value.is_floating_point():
        raise TypeError(f"{name} must have a floating-point or bool dtype, got {value.dtype}")
    if value.ndim > like.ndim or any(
        got not in (1, want)
        for got, want in zip(reversed(value.shape), reversed(like.shape), strict=False)
    ):
        raise ValueError(
            f"{name} must be broadcastable to the state's shape {tuple(like.shape)}, "
            f"got {tuple(value.shape)}"
        )
    check_same_device(**{"state": like, name: value})
    return value


def check_spikes(
    name: str, value: object, shape: tuple[int, ...], like: torch.Tensor
) -> torch.Tensor:
    """Check a spike tensor of exactly ``shape`` (bool or 0/1 floats) on ``like``'s device.

    Returns it cast to ``like``'s dtype.
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if tuple(value.shape) != tuple(shape):
        text = ", ".join(str(s) for s in shape)
        raise ValueError(f"{name} must have shape ({text}), got {tuple(value.shape)}")
    if value.device != like.device:
        raise ValueError(f"{name} must be on {like.device}, got {value.device}")
    if value.dtype == torch.bool:
        return value.to(like.dtype)
    if not value.is_floating_point():
        raise TypeError(f"{name} must be bool or floating-point, got {value.dtype}")
    return value.to(like.dtype)


# Cody-Waite split of ln 2: LN2_HI has its low 32 bits zero, so k * LN2_HI is exact
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
INV_LN2 = 1.44269504088896338700e00
# 1 / n!, n = 13 .. 2: Horner's coefficients of the Taylor series of e^r
TAYLOR = tuple(1.0 / math.factorial(n) for n in range(13, 1, -1))


def fast_exp(x: torch.Tensor) -> torch.Tensor:
    r"""``exp(x)`` with the same bits on every machine, for the simulators' hot loops.

    ATen's ``exp`` and ``exp2`` differ in the last bit between CPUs (a vector library
    for AVX2, another for AVX-512, the C library without either), and a threshold
    crossing decided by such a bit makes spike trains machine-dependent. This one is
    built from additions, multiplications and rounding only, each exact in IEEE-754
    double precision whatever the vector width, so every CPU gives the same result:

    .. math::

        e^x = 2^k e^r, \qquad k = \operatorname{round}(x / \ln 2), \quad
        r = (x - k \ln 2_{hi}) - k \ln 2_{lo} \in [-\tfrac{\ln 2}{2}, \tfrac{\ln 2}{2}],

    with :math:`e^r` by its Taylor series to degree 13 (truncation below
    :math:`4 \cdot 10^{-18}` relative) in Horner form, and :math:`2^k` written into the
    exponent bits (as two factors, so that subnormal results round once). Relative error
    within a few units in the last place of float64; ``x`` below -746 gives 0, above 710
    gives inf. It also runs in the calling thread (ATen's ``exp`` on the CPU goes through
    MKL's vector library, which hands small arrays to worker threads that a busy machine
    makes wait a scheduler tick per call). float64 or float32 tensors, any shape; the
    result has ``x``'s dtype and device.

    >>> round(fast_exp(torch.tensor([1.0], dtype=torch.float64)).item(), 12)
    2.718281828459
    >>> fast_exp(torch.tensor([0.0, -800.0, 800.0], dtype=torch.float64)).tolist()
    [1.0, 0.0, inf]
    """
    dtype = x.dtype
    x = x.to(torch.float64).clamp(-746.0, 710.0)
    k = torch.round(x * INV_LN2)
    r = (x - k * LN2_HI) - k * LN2_LO
    poly = torch.full_like(r, TAYLOR[0])
    for coefficient in TAYLOR[1:]:
        poly = poly * r + coefficient
    poly = (poly * r + 1.0) * r + 1.0  # the terms of degree 1 and 0
    exponent = k.to(torch.int64)
    half = torch.div(exponent, 2, rounding_mode="floor")
    result = poly * _power_of_two(half) * _power_of_two(exponent - half)
    return result.to(dtype)


def _power_of_two(k: torch.Tensor) -> torch.Tensor:
    """``2.0 ** k`` for int64 ``k`` in [-1022, 1023], exact, by writing the exponent bits."""
    return ((k + 1023) << 52).view(torch.float64)
