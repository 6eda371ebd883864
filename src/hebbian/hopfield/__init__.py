"""Hopfield memories: classical binary, dense associative, and modern continuous.

* :mod:`hebbian.hopfield.classical`: ±1 network with Hebb, Storkey and pseudo-inverse
  storage; asynchronous, synchronous and Glauber (stochastic) recall;
* :mod:`hebbian.hopfield.dense`: dense associative memory, ``E = -sum_mu F(xi_mu . s)``
  with polynomial, rectified polynomial and exponential ``F`` (Krotov & Hopfield 2016,
  Demircigil et al. 2017);
* :mod:`hebbian.hopfield.modern`: continuous modern Hopfield retrieval
  ``xi <- X^T softmax(beta X xi)`` (Ramsauer et al. 2020);
* :mod:`hebbian.hopfield.storage`: the storage rules (Hebb, Storkey, pseudo-inverse);
* :mod:`hebbian.hopfield.sweeps`: the blocked asynchronous sweep kernels of the
  classical network; :mod:`hebbian.hopfield.recall`: the recall loop both binary
  memories share;
* :mod:`hebbian.hopfield.theory`: capacity theory (McEliece et al. 1987, Amit et al.
  1987, Storkey 1997, Krotov & Hopfield 2016) and the reading of measured curves;
* :mod:`hebbian.hopfield.cues`: corrupted cues and the angle code of grey levels;
* :mod:`hebbian.hopfield.protocols`: the recall protocols that measure capacity.

Names that exist in several submodules (``energy``, ``synchronous_step``,
``asynchronous_sweep``) are reached through their submodule, e.g.
``hebbian.hopfield.classical.energy``; the rest is re-exported here (and
``dense_energy``, the former name of ``hebbian.hopfield.dense.energy``).

>>> from hebbian.hopfield import HopfieldNetwork, StorageRule
>>> HopfieldNetwork(storage=StorageRule.STORKEY).storage
<StorageRule.STORKEY: 'storkey'>
"""

from hebbian.hopfield import (
    classical,
    cues,
    dense,
    modern,
    protocols,
    recall,
    storage,
    sweeps,
    theory,
)
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
from hebbian.hopfield.cues import (
    angle_decode,
    angle_encode,
    binarise_cue,
    flip_bits,
    invert_pixels,
    mask_bottom_half,
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
from hebbian.hopfield.theory import (
    crossing,
    dense_capacity_at_level,
    dense_capacity_theory,
    dense_fixed_fraction_at_capacity,
    hebb_all_fixed_alpha,
    hebb_alpha_at_level,
    hebb_most_fixed_alpha,
    hebb_stable_fraction,
    interpolate_log,
    retrieval_overlap,
    storkey_alpha,
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
    "angle_decode",
    "angle_encode",
    "binarise_cue",
    "classical",
    "crossing",
    "cues",
    "dense",
    "dense_capacity_at_level",
    "dense_capacity_theory",
    "dense_energy",
    "dense_fixed_fraction_at_capacity",
    "field_state",
    "flip_bits",
    "flip_gain",
    "hebb_all_fixed_alpha",
    "hebb_alpha_at_level",
    "hebb_most_fixed_alpha",
    "hebb_stable_fraction",
    "hebb_weights",
    "interpolate_log",
    "invert_pixels",
    "iterate",
    "local_field",
    "mask_bottom_half",
    "modern",
    "protocols",
    "pseudo_inverse_weights",
    "recall",
    "retrieval_overlap",
    "retrieve",
    "separation_probabilities",
    "storage",
    "storkey_alpha",
    "storkey_weights",
    "sweeps",
    "theory",
    "update_neuron",
]
