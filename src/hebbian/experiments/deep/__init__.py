"""Recipes for deep Hebbian learning (SoftHebb class).

* ``softhebb-digits``, ``softhebb-fashion``, ``softhebb-cifar10``: one convolutional
  architecture trained without labels by SoftHebb (and hard winner-take-all and
  Krotov-Hopfield on the same architecture), read out by linear probes, against random
  features and end-to-end backprop (:mod:`.networks`).

This package re-exports the recipes' public names.
"""

from hebbian.experiments.deep.networks import (
    SOFTHEBB_CIFAR10,
    SOFTHEBB_DIGITS,
    SOFTHEBB_FASHION,
    DeepConfig,
    DeepDigitsConfig,
    DeepModel,
    SoftHebbCifar10Config,
    run_deep,
)

__all__ = [
    "SOFTHEBB_CIFAR10",
    "SOFTHEBB_DIGITS",
    "SOFTHEBB_FASHION",
    "DeepConfig",
    "DeepDigitsConfig",
    "DeepModel",
    "SoftHebbCifar10Config",
    "run_deep",
]
