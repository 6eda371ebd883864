"""Hopfield memories: classical binary, dense associative, and modern continuous.

* :mod:`hebbian.hopfield.classical`: ±1 network with Hebb, Storkey and pseudo-inverse
  storage; asynchronous, synchronous and Glauber (stochastic) recall;
* :mod:`hebbian.hopfield.dense`: dense associative memory, ``E = -sum_mu F(xi_mu . s)``
  with polynomial, rectified polynomial and exponential ``F`` (Krotov & Hopfield 2016,
  Demircigil et al. 2017);
* :mod:`hebbian.hopfield.modern`: continuous modern Hopfield retrieval
  ``xi <- X^T softmax(beta X xi)`` (Ramsauer et al. 2020).

Names that exist in several submodules (``energy``, ``synchronous_step``,
``asynchronous_sweep``) are reached through their submodule, e.g.
``hebbian.hopfield.classical.energy``; the rest is re-exported here.

>>> from hebbian.hopfield import HopfieldNetwork, StorageRule
>>> HopfieldNetwork(storage=StorageRule.STORKEY).storage
<StorageRule.STORKEY: 'storkey'>
"""

from hebbian.hopfield import classical, dense, modern
from hebbian.hopfield._common import RecallResult, UpdateRule
from hebbian.hopfield.classical import (
    FieldState,
    HopfieldNetwork,
    StorageRule,
    field_state,
    hebb_weights,
    local_field,
    pseudo_inverse_weights,
    storkey_weights,
    update_neuron,
)
from hebbian.hopfield.dense import (
    DenseAssociativeMemory,
    Exponential,
    Interaction,
    Polynomial,
    RectifiedPolynomial,
    dense_energy,
    flip_gain,
)
from hebbian.hopfield.modern import (
    IterateResult,
    ModernHopfield,
    iterate,
    retrieve,
    separation_probabilities,
)

__all__ = [
    "DenseAssociativeMemory",
    "Exponential",
    "FieldState",
    "HopfieldNetwork",
    "Interaction",
    "IterateResult",
    "ModernHopfield",
    "Polynomial",
    "RecallResult",
    "RectifiedPolynomial",
    "StorageRule",
    "UpdateRule",
    "classical",
    "dense",
    "dense_energy",
    "field_state",
    "flip_gain",
    "hebb_weights",
    "iterate",
    "local_field",
    "modern",
    "pseudo_inverse_weights",
    "retrieve",
    "separation_probabilities",
    "storkey_weights",
    "update_neuron",
]
