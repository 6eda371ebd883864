"""Recipes for deep Hebbian learning (SoftHebb class).

* ``softhebb-digits``, ``softhebb-fashion``, ``softhebb-cifar10``: one convolutional
  architecture trained without labels by SoftHebb (and hard winner-take-all and
  Krotov-Hopfield on the same architecture), read out by linear probes, against random
  features and end-to-end backprop (:mod:`.networks`);
* ``hebbian-filters``: first-layer filters learned from whitened patches of natural
  photographs, measured for orientation selectivity and localisation (:mod:`.filters`).

This package re-exports the recipes' public names.
"""

from hebbian.experiments.deep.filters import (
    HEBBIAN_FILTERS,
    Colour,
    FiltersConfig,
    Whitening,
    photographs,
    run_filters,
)
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
    "HEBBIAN_FILTERS",
    "SOFTHEBB_CIFAR10",
    "SOFTHEBB_DIGITS",
    "SOFTHEBB_FASHION",
    "Colour",
    "DeepConfig",
    "DeepDigitsConfig",
    "DeepModel",
    "FiltersConfig",
    "SoftHebbCifar10Config",
    "Whitening",
    "photographs",
    "run_deep",
    "run_filters",
]
