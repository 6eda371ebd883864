"""Argument checks shared by the spiking modules.

Units used throughout :mod:`hebbian.spiking`: time in **seconds** (time steps ``dt``,
time constants, refractory periods), membrane potentials in **millivolts**, rates in
**Hz**. Each module states the units of its other quantities once.
"""

from __future__ import annotations

import enum
import math

import torch

from hebbian._checks import check_floating_tensor, check_positive, check_same_device


def check_dt(dt: object) -> float:
    """Return ``dt`` (seconds) as a float if it is a finite number > 0.

    >>> check_dt(1e-4)
    0.0001
    """
    return check_positive("dt", dt)  # type: ignore[arg-type]


def check_finite(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number (any sign).

    >>> check_finite("v_rest", -65)
    -65.0
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def check_enum(name: str, value: object, kind: type[enum.Enum]) -> enum.Enum:
    """Return ``value`` if it is a member of the enum ``kind``, else raise ``TypeError``."""
    if not isinstance(value, kind):
        members = ", ".join(f"{kind.__name__}.{m.name}" for m in kind)
        raise TypeError(f"{name} must be one of {members}, got {type(value).__name__} {value!r}")
    return value


def check_state_tensor(name: str, value: object, like: torch.Tensor | None = None) -> torch.Tensor:
    """Check a floating state tensor; with ``like``, also its shape, device and dtype."""
    tensor = check_floating_tensor(name, value)
    if like is not None:
        if tensor.shape != like.shape:
            raise ValueError(
                f"{name} must have the shape of the other state tensors {tuple(like.shape)}, "
                f"got {tuple(tensor.shape)}"
            )
        check_same_device(**{"state": like, name: tensor})
    return tensor


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


def check_spikes(name: str, value: object, shape: tuple[int, ...], like: torch.Tensor):
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


_LOG2_E = 1.4426950408889634  # log2(e)


def fast_exp(x: torch.Tensor) -> torch.Tensor:
    """``exp(x)`` computed as ``exp2(x log2 e)``, for the hot loops of the simulators.

    On the CPU, ATen's ``exp`` (like ``log`` and ``tanh``) goes through MKL's vector
    library, which hands even a few hundred elements to its worker threads; on a busy
    machine every call can then wait a scheduler tick (about 10 ms) for a thread to
    wake up, which makes a loop of 10^5 steps take minutes instead of seconds. ``exp2``
    is vectorised in-thread. The extra rounding of ``x log2 e`` costs about
    ``|x| * 1e-16`` in relative accuracy.

    >>> round(fast_exp(torch.tensor([1.0], dtype=torch.float64)).item(), 12)
    2.718281828459
    """
    return torch.exp2(x * _LOG2_E)
