"""Deep Hebbian learning: soft winner-take-all convolutional networks (SoftHebb class).

Maths in :mod:`hebbian.deep.rules` (SoftHebb, hard winner-take-all and Krotov-Hopfield
changes on any ``(M, N)`` samples, convolution patches, the triangle activation),
learning layers in :mod:`hebbian.deep.layers`, networks and their greedy or
simultaneous unsupervised training in :mod:`hebbian.deep.network`, the linear probe
that reads labels from frozen features in :mod:`hebbian.deep.probe`, patch
preprocessing and measures of learned filters in :mod:`hebbian.deep.receptive_fields`.
"""

from hebbian.deep.layers import HebbianConv2d, HebbianDense
from hebbian.deep.network import (
    Activation,
    ChannelStandardisation,
    HebbianBlock,
    HebbianNetwork,
    Pooling,
    PoolSpec,
    TrainingMode,
)
from hebbian.deep.probe import (
    EndToEnd,
    LinearProbe,
    ProbedNetwork,
    fit_probe,
    pooled_features,
    probe_accuracy,
)
from hebbian.deep.receptive_fields import (
    localisation,
    normalise_contrast,
    orientation_selectivity,
    random_patches,
    zca_whitening,
)
from hebbian.deep.rules import (
    HardWTA,
    KrotovHopfield,
    RuleKind,
    SoftHebb,
    hard_wta_update,
    norm_dependent_rates,
    soft_competition,
    softhebb_update,
    top_k_mask,
    triangle,
    unfold_patches,
    weight_norms,
)

__all__ = [
    "Activation",
    "ChannelStandardisation",
    "EndToEnd",
    "HardWTA",
    "HebbianBlock",
    "HebbianConv2d",
    "HebbianDense",
    "HebbianNetwork",
    "KrotovHopfield",
    "LinearProbe",
    "PoolSpec",
    "Pooling",
    "ProbedNetwork",
    "RuleKind",
    "SoftHebb",
    "TrainingMode",
    "fit_probe",
    "hard_wta_update",
    "localisation",
    "norm_dependent_rates",
    "normalise_contrast",
    "orientation_selectivity",
    "pooled_features",
    "probe_accuracy",
    "random_patches",
    "soft_competition",
    "softhebb_update",
    "top_k_mask",
    "triangle",
    "unfold_patches",
    "weight_norms",
    "zca_whitening",
]
