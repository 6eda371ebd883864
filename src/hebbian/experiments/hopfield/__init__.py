r"""Recipes for the Hopfield memories: capacities, and recall of stored images.

The capacity of the classical storage rules, the capacity of dense associative memories
against the interaction order, and image recall (classical against modern).

* ``hopfield-capacity``: the fraction of stored patterns recalled exactly, and the mean
  final overlap, against the load :math:`\alpha = P / N` for the Hebb, Storkey and
  pseudo-inverse rules, beside the theory: the retrieval overlap of Amit, Gutfreund &
  Sompolinsky (1987) that vanishes at :math:`\alpha_c \approx 0.138`, the perfect-recall
  limits :math:`N / (4 \ln N)` (all patterns) and :math:`N / (2 \ln N)` (most patterns)
  of McEliece et al. (1987), and Storkey's :math:`N / \sqrt{2 \ln N}`;
* ``dense-capacity``: the recall capacity of :math:`E = -\sum_\mu (\xi_\mu \cdot \sigma)^n`
  against ``n`` at fixed N, beside Krotov & Hopfield's (2016)
  :math:`K_n = N^{n-1} / (2 (2n-3)!! \ln N)`;
* ``hopfield-images``: Fashion-MNIST (or the 8x8 digits) stored in a classical network
  (binarised) and in a modern one (grey levels), recalled from half-masked and from
  30%-inverted cues.

All randomness comes from the run's generator; every recipe goes through
:meth:`hebbian.runs.Run.run_epochs`, so an interrupted run resumes exactly.

One module per recipe (:mod:`.capacity`, :mod:`.dense`, :mod:`.images`); this package
re-exports their public names (and the theory and cue functions the recipes once
defined, now in :mod:`hebbian.hopfield`), so ``hebbian.experiments.hopfield`` keeps its
old interface.
"""

from hebbian.experiments.hopfield.capacity import (
    HOPFIELD_CAPACITY,
    RULES,
    HopfieldCapacityConfig,
    capacity_memory,
    run_hopfield_capacity,
)
from hebbian.experiments.hopfield.dense import (
    DENSE_CAPACITY,
    DenseCapacityConfig,
    dense_memory,
    run_dense_capacity,
)
from hebbian.experiments.hopfield.images import (
    CUE_TYPES,
    HOPFIELD_IMAGES,
    HopfieldImagesConfig,
    ImageSet,
    images_memory,
    run_hopfield_images,
)
from hebbian.hopfield.cues import angle_decode, angle_encode, flip_bits
from hebbian.hopfield.theory import (
    crossing,
    dense_capacity_at_level,
    dense_capacity_theory,
    hebb_alpha_at_level,
    hebb_stable_fraction,
    retrieval_overlap,
)

__all__ = [
    "CUE_TYPES",
    "DENSE_CAPACITY",
    "HOPFIELD_CAPACITY",
    "HOPFIELD_IMAGES",
    "RULES",
    "DenseCapacityConfig",
    "HopfieldCapacityConfig",
    "HopfieldImagesConfig",
    "ImageSet",
    "angle_decode",
    "angle_encode",
    "capacity_memory",
    "crossing",
    "dense_capacity_at_level",
    "dense_capacity_theory",
    "dense_memory",
    "flip_bits",
    "hebb_alpha_at_level",
    "hebb_stable_fraction",
    "images_memory",
    "retrieval_overlap",
    "run_dense_capacity",
    "run_hopfield_capacity",
    "run_hopfield_images",
]
