"""Helpers shared by the scikit-learn style estimators (:mod:`hebbian.estimators`,
:class:`hebbian.competing.CompetingHiddenUnits`)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import validate_data

__all__ = ["TorchInputMixin", "generator_from_random_state", "to_numpy", "usable_device"]


def to_numpy(X: Any) -> Any:
    """Turn a torch tensor into a numpy array; leave anything else to ``check_array``."""
    if isinstance(X, torch.Tensor):
        return X.detach().cpu().numpy()
    return X


def generator_from_random_state(random_state: Any) -> torch.Generator:
    """A fresh CPU ``torch.Generator`` seeded from ``random_state`` (never the global seed).

    ``random_state`` follows scikit-learn: ``None`` (fresh entropy), an int in
    ``[0, 2**63)``, or a ``numpy.random.RandomState`` (one draw from it seeds the
    generator).
    """
    generator = torch.Generator()
    if random_state is None:
        generator.seed()
    elif isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if not 0 <= int(random_state) < 2**63:
            raise ValueError(f"random_state must be an int in [0, 2**63), got {random_state!r}")
        generator.manual_seed(int(random_state))
    elif isinstance(random_state, np.random.RandomState):
        generator.manual_seed(int(random_state.randint(np.iinfo(np.int32).max)))
    else:
        raise TypeError(
            "random_state must be None, an int or a numpy.random.RandomState, got "
            f"{type(random_state).__name__} {random_state!r}"
        )
    return generator


class TorchInputMixin:
    """Input handling of an estimator with ``device`` and ``random_state`` parameters.

    ``_validate`` accepts numpy arrays and torch tensors (float32 or float64, at least
    one sample) and records or checks ``n_features_in_``; ``_device`` turns the
    ``device`` parameter into a ``torch.device``, refusing what does not name one.
    """

    device: Any

    def _validate(self, X: Any, *, reset: bool) -> np.ndarray:
        return validate_data(
            self, to_numpy(X), reset=reset, dtype=[np.float64, np.float32], ensure_min_samples=1
        )

    def _device(self) -> torch.device:
        return usable_device(self.device)


def usable_device(device: Any) -> torch.device:
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
        resolved = torch.device("cpu" if device is None else device)
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
