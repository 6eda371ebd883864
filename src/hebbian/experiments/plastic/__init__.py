"""Recipes for differentiable and neuromodulated plasticity (Miconi et al. 2018, 2019).

* ``plastic-patterns``: binary pattern memorisation and completion (ICML 2018, 4.1), the
  plastic network against a non-plastic RNN and an LSTM;
* ``plastic-images``: half-image completion after seeing 3 images (ICML 2018, 4.3), on
  Fashion-MNIST (CIFAR-10, the paper's data set, is not available offline);
* ``plastic-oneshot``: 5-way 1-shot classification with a plastic output layer on a
  small convolutional encoder (ICML 2018, 4.2), on rotated Fashion-MNIST classes split
  between meta-training and meta-testing (Omniglot is not available offline);
* ``neuromod-cue-reward``: cue-reward association (ICLR 2019, 4.1), neuromodulated
  against non-modulated plastic networks and non-plastic baselines;
* ``backpropamine-cue-reward``: the same task with the paper's trial layout and
  rewards, meta-trained by advantage actor-critic as in the paper.

Every recipe trains with Adam, draws all its randomness (initial weights, episodes,
sampled answers) from ``run.generator``, and checkpoints the weights and the optimiser
state after every logged epoch, so a resumed run ends exactly as an uninterrupted one.

One module per recipe (:mod:`.patterns`, :mod:`.images`, :mod:`.oneshot`, :mod:`.cue_reward`);
this package re-exports their public names, so ``hebbian.experiments.plastic`` keeps
its old interface.
"""

from hebbian.experiments.plastic.backpropamine import (
    BACKPROPAMINE_CUE_REWARD,
    BackpropamineConfig,
    run_backpropamine,
)
from hebbian.experiments.plastic.cue_reward import (
    NEUROMOD_CUE_REWARD,
    CueRewardConfig,
    run_cue_reward,
)
from hebbian.experiments.plastic.images import PLASTIC_IMAGES, ImagesConfig, run_plastic_images
from hebbian.experiments.plastic.oneshot import (
    PLASTIC_ONESHOT,
    OneShotConfig,
    run_plastic_oneshot,
)
from hebbian.experiments.plastic.patterns import (
    PLASTIC_PATTERNS,
    PatternsConfig,
    run_plastic_patterns,
)
from hebbian.plastic import ModelKind

__all__ = [
    "BACKPROPAMINE_CUE_REWARD",
    "NEUROMOD_CUE_REWARD",
    "PLASTIC_IMAGES",
    "PLASTIC_ONESHOT",
    "PLASTIC_PATTERNS",
    "BackpropamineConfig",
    "CueRewardConfig",
    "ImagesConfig",
    "ModelKind",
    "OneShotConfig",
    "PatternsConfig",
    "run_backpropamine",
    "run_cue_reward",
    "run_plastic_images",
    "run_plastic_oneshot",
    "run_plastic_patterns",
]
