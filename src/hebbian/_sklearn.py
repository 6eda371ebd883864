"""Helpers shared by the scikit-learn style estimators.

Used by :mod:`hebbian.estimators` and :class:`hebbian.competing.CompetingHiddenUnits`:
input conversion, ``random_state`` handling and the ``device`` parameter, all checked
at ``fit``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import torch
from sklearn.utils.validation import validate_data

from hebbian._checks import usable_device

__all__ = ["TorchInputMixin", "generator_from_random_state", "to_numpy"]


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
