"""Argument checks shared by the whole library.

Every public function refuses bad input before doing any work, with an error that
names the argument, the value it got and what was expected (docs/ARCHITECTURE.md).
The checks every topic needs live here, so those messages are uniform; a check that
knows one topic's objects (Hopfield patterns, a spike train) lives with that topic.
"""

from __future__ import annotations

import enum
import itertools
import math
import os
from collections.abc import Sequence
from typing import TypeVar

import torch

_EnumT = TypeVar("_EnumT", bound=enum.Enum)
_SIGNED_INTEGERS = (torch.int8, torch.int16, torch.int32, torch.int64)

__all__ = [
    "NonFiniteWeightsError",
    "check_bool",
    "check_dtype",
    "check_enum",
    "check_finite",
    "check_finite_weights",
    "check_floating_tensor",
    "check_generator",
    "check_in_range",
    "check_increasing",
    "check_int64_tensor",
    "check_memory",
    "check_positive",
    "check_positive_int",
    "check_pre_post",
    "check_same_device",
    "check_state_tensor",
    "usable_device",
]


class NonFiniteWeightsError(FloatingPointError):
    """Raised when learning produced NaN or infinite weights.

    The message names the rule and the step at which it happened, so that a run can
    be restarted from the last good checkpoint with a smaller learning rate.
    """


def physical_memory() -> int | None:
    """Return the machine's physical memory in bytes, or ``None`` where it is unknown.

    Read with :func:`os.sysconf` (``SC_PAGE_SIZE`` times ``SC_PHYS_PAGES``).
    """
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    if pages <= 0 or page_size <= 0:
        return None
    return int(pages) * int(page_size)


def check_memory(what: str, nbytes: int) -> int:
    """Return ``nbytes`` if an allocation of that size fits in this machine's memory.

    Call it before allocating a tensor whose size comes from a setting, so that a
    too-large setting is refused with a one-line error instead of a ``MemoryError``
    or a torch allocation failure deep inside a run. ``what`` names the setting and
    the object, e.g. ``"neurons=10000000 (the weight matrix)"``.

    Parameters
    ----------
    what : str
        What would be allocated, naming the settings that size it.
    nbytes : int
        Bytes the allocation needs.

    Returns
    -------
    int
        ``nbytes``, unchanged.

    Raises
    ------
    ValueError
        "<what> would need X GB but this machine has Y GB" when ``nbytes`` exceeds
        the physical memory (checked only where :func:`os.sysconf` knows it).

    Examples
    --------
    >>> check_memory("a small matrix", 1024)
    1024
    >>> check_memory("neurons=10**9 (weights)", 10**30)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: neurons=10**9 (weights) would need 1000000000000000000000.0 GB but this \
machine has ... GB
    """
    available = physical_memory()
    if available is not None and nbytes > available:
        raise ValueError(
            f"{what} would need {nbytes / 1e9:.1f} GB but this machine has {available / 1e9:.1f} GB"
        )
    return nbytes


def check_positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is finite and > 0 (or >= 0 with ``allow_zero``).

    >>> check_positive("learning_rate", 0.1)
    0.1
    >>> check_positive("learning_rate", -1)
    Traceback (most recent call last):
    ...
    ValueError: learning_rate must be a finite number > 0, got -1
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    bound = ">= 0" if allow_zero else "> 0"
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


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


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool.

    >>> check_bool("shared", 1)
    Traceback (most recent call last):
    ...
    TypeError: shared must be a bool, got int 1
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return value


def check_enum(name: str, value: object, kind: type[_EnumT]) -> _EnumT:
    """Return ``value`` if it is a member of the enum ``kind``, else raise ``TypeError``.

    >>> class Colour(enum.Enum):
    ...     RED = "red"
    >>> check_enum("colour", "red", Colour)
    Traceback (most recent call last):
    ...
    TypeError: colour must be one of Colour.RED, got str 'red'
    """
    if not isinstance(value, kind):
        members = ", ".join(f"{kind.__name__}.{m.name}" for m in kind)
        raise TypeError(f"{name} must be one of {members}, got {type(value).__name__} {value!r}")
    return value


def check_generator(name: str, value: object) -> torch.Generator | None:
    """Return ``value`` if it is a ``torch.Generator`` or None.

    >>> check_generator("generator", 0)
    Traceback (most recent call last):
    ...
    TypeError: generator must be a torch.Generator or None, got int
    """
    if value is not None and not isinstance(value, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator or None, got {type(value).__name__}")
    return value


def check_dtype(
    name: str, value: object, *, allow_signed_int: bool = False, allow_bool: bool = False
) -> torch.dtype:
    """Return ``value`` if it is a floating-point ``torch.dtype`` (or another allowed kind).

    ``allow_signed_int`` also accepts int8 to int64, ``allow_bool`` accepts ``torch.bool``.

    >>> check_dtype("dtype", torch.float64)
    torch.float64
    >>> check_dtype("dtype", torch.int32)
    Traceback (most recent call last):
    ...
    TypeError: dtype must be a floating-point torch.dtype, got torch.int32
    """
    if not isinstance(value, torch.dtype):
        raise TypeError(f"{name} must be a torch.dtype, got {type(value).__name__} {value!r}")
    if (
        value.is_floating_point
        or (allow_signed_int and value in _SIGNED_INTEGERS)
        or (allow_bool and value == torch.bool)
    ):
        return value
    kinds = ["floating-point"]
    if allow_signed_int:
        kinds.append("signed integer")
    if allow_bool:
        kinds.append("bool")
    raise TypeError(f"{name} must be a {' or '.join(kinds)} torch.dtype, got {value}")


def check_in_range(
    name: str, value: float, low: float, high: float, *, inclusive: bool = True
) -> float:
    """Return ``value`` as a float if ``low <= value <= high`` (open interval if not inclusive).

    >>> check_in_range("decay", 0.5, 0.0, 1.0)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    ok = low <= value <= high if inclusive else low < value < high
    if not ok or not math.isfinite(value):
        brackets = "[{}, {}]" if inclusive else "({}, {})"
        raise ValueError(f"{name} must lie in {brackets.format(low, high)}, got {value!r}")
    return float(value)


def check_positive_int(name: str, value: int, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an ``int`` >= ``minimum``.

    >>> check_positive_int("epochs", 3)
    3
    >>> check_positive_int("epochs", 2.5)
    Traceback (most recent call last):
    ...
    TypeError: epochs must be an int, got float 2.5
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def check_floating_tensor(
    name: str, value: object, *, ndim: int | None = None, shape: Sequence[int | None] | None = None
) -> torch.Tensor:
    """Return ``value`` if it is a floating-point tensor of the expected rank and shape.

    ``shape`` may hold ``None`` for dimensions that are free.

    >>> check_floating_tensor("pre", torch.zeros(2, 3), ndim=2).shape
    torch.Size([2, 3])
    >>> check_floating_tensor("pre", torch.zeros(2, 3), shape=(None, 4))
    Traceback (most recent call last):
    ...
    ValueError: pre must have shape (*, 4), got (2, 3)
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must have a floating-point dtype, got {value.dtype}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {tuple(value.shape)}")
    if shape is not None:
        _check_shape(name, value, shape)
    return value


def check_int64_tensor(name: str, value: object, *, shape: Sequence[int | None]) -> torch.Tensor:
    """Return ``value`` if it is an int64 tensor of shape ``shape`` (``None``: free).

    >>> check_int64_tensor("start", torch.zeros(2), shape=(2,))
    Traceback (most recent call last):
    ...
    TypeError: start must be an int64 tensor, got torch.float32
    """
    if not isinstance(value, torch.Tensor) or value.dtype != torch.int64:
        got = value.dtype if isinstance(value, torch.Tensor) else type(value).__name__
        raise TypeError(f"{name} must be an int64 tensor, got {got}")
    _check_shape(name, value, shape)
    return value


def _check_shape(name: str, value: torch.Tensor, shape: Sequence[int | None]) -> None:
    expected = tuple(shape)
    if value.ndim != len(expected) or any(
        e is not None and e != s for e, s in zip(expected, value.shape, strict=False)
    ):
        text = ", ".join("*" if e is None else str(e) for e in expected)
        raise ValueError(f"{name} must have shape ({text}), got {tuple(value.shape)}")


def check_same_device(**tensors: torch.Tensor) -> None:
    """Raise if the named tensors do not share one device and one dtype.

    >>> check_same_device(pre=torch.zeros(1), post=torch.zeros(1, dtype=torch.float64))
    Traceback (most recent call last):
    ...
    TypeError: pre, post must share one dtype, got torch.float32, torch.float64
    """
    names = ", ".join(tensors)
    devices = {t.device for t in tensors.values()}
    if len(devices) > 1:
        got = ", ".join(str(t.device) for t in tensors.values())
        raise ValueError(f"{names} must be on one device, got {got}")
    dtypes = {t.dtype for t in tensors.values()}
    if len(dtypes) > 1:
        got = ", ".join(str(t.dtype) for t in tensors.values())
        raise TypeError(f"{names} must share one dtype, got {got}")


def check_increasing(name: str, values: object, low: float, high: float) -> tuple[float, ...]:
    """Return ``values`` if it is a non-empty, strictly increasing tuple within [low, high].

    >>> check_increasing("loads", (0.1, 0.2), 0.0, 1.0)
    (0.1, 0.2)
    >>> check_increasing("loads", (0.2, 0.1), 0.0, 1.0)
    Traceback (most recent call last):
    ...
    ValueError: loads must be strictly increasing, got (0.2, 0.1)
    """
    if not isinstance(values, tuple) or not values:
        raise TypeError(f"{name} must be a non-empty tuple, got {values!r}")
    for value in values:
        check_in_range(name, value, low, high)
    if any(b <= a for a, b in itertools.pairwise(values)):
        raise ValueError(f"{name} must be strictly increasing, got {values!r}")
    return values


def check_pre_post(pre: object, post: object) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``pre`` (B, N_pre) and ``post`` (B, N_post): floating, 2-D, one batch size B >= 1.

    >>> check_pre_post(torch.zeros(2, 3), torch.zeros(1, 4))
    Traceback (most recent call last):
    ...
    ValueError: pre and post must have the same batch size (first dimension), got pre (2, 3) \
and post (1, 4)
    """
    pre_t = check_floating_tensor("pre", pre, ndim=2)
    post_t = check_floating_tensor("post", post, ndim=2)
    if pre_t.shape[0] != post_t.shape[0]:
        raise ValueError(
            "pre and post must have the same batch size (first dimension), got "
            f"pre {tuple(pre_t.shape)} and post {tuple(post_t.shape)}"
        )
    if pre_t.shape[0] == 0:
        raise ValueError(f"pre must hold at least one sample, got shape {tuple(pre_t.shape)}")
    check_same_device(pre=pre_t, post=post_t)
    return pre_t, post_t


def check_state_tensor(
    name: str,
    value: object,
    like: torch.Tensor | None = None,
    *,
    shape: Sequence[int] | None = None,
) -> torch.Tensor:
    """Return a floating state tensor, checked against ``like`` and ``shape`` if given.

    With ``like`` the tensor must share its device and dtype, and its shape unless
    ``shape`` names another one.

    >>> check_state_tensor("state.exc", torch.zeros(2), torch.zeros(3))
    Traceback (most recent call last):
    ...
    ValueError: state.exc must have the shape (3,) of the other state tensors, got (2,)
    """
    tensor = check_floating_tensor(name, value)
    expected = tuple(shape) if shape is not None else None
    if expected is None and like is not None:
        expected = tuple(like.shape)
    if expected is not None and tuple(tensor.shape) != expected:
        raise ValueError(
            f"{name} must have the shape {expected} of the other state tensors, "
            f"got {tuple(tensor.shape)}"
        )
    if like is not None:
        check_same_device(**{"state": like, name: tensor})
    return tensor


def check_finite_weights(weight: torch.Tensor, *, rule: str, step: int) -> None:
    """Raise :class:`NonFiniteWeightsError` if ``weight`` holds NaN or infinity.

    >>> check_finite_weights(torch.tensor([1.0, float("inf")]), rule="hebb", step=7)
    Traceback (most recent call last):
    ...
    hebbian._checks.NonFiniteWeightsError: rule 'hebb' produced non-finite weights at step 7 \
(1 of 2 entries are NaN or inf); lower the learning rate, or bound the weights (Oja's rule \
normalises them)
    """
    finite = torch.isfinite(weight)
    if not bool(finite.all()):
        bad = int((~finite).sum())
        raise NonFiniteWeightsError(
            f"rule {rule!r} produced non-finite weights at step {step} "
            f"({bad} of {weight.numel()} entries are NaN or inf); lower the learning rate, "
            "or bound the weights (Oja's rule normalises them)"
        )


def usable_device(device: object) -> torch.device:
    """``device`` (``None`` for the CPU) as a :class:`torch.device` this machine has.

    Refuses, with a one-line :class:`ValueError` naming ``device``, a value that names
    no torch device, a CUDA device where torch has no CUDA (or fewer GPUs than the
    index), and any other device type torch cannot allocate on here; so that a
    ``device="cuda"`` on a CPU machine fails at ``fit`` with a readable message rather
    than with torch's "not compiled with CUDA" deep inside the training loop.

    >>> usable_device(None)
    device(type='cpu')
    >>> usable_device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: device must name a torch device such as 'cpu' or 'cuda', got 'gpu'
    """
    try:
        resolved = torch.device("cpu" if device is None else device)  # type: ignore[call-overload]  # any value: torch refuses what it cannot read
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must name a torch device such as 'cpu' or 'cuda', got {device!r}"
        ) from None
    if resolved.type == "cpu":
        return resolved
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"device={device!r} needs CUDA, which this machine lacks; use 'cpu'")
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(
                f"device={device!r} names GPU {resolved.index} but this machine has {count}"
            )
        return resolved
    try:
        torch.empty(0, device=resolved)
    except (RuntimeError, AssertionError):
        raise ValueError(f"device={device!r} is not available on this machine; use 'cpu'") from None
    return resolved
