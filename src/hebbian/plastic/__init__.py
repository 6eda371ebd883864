"""Differentiable and neuromodulated plasticity (Miconi et al. 2018; Backpropamine, 2019).

* :mod:`hebbian.plastic.traces`: the Hebbian trace updates as pure functions (decaying,
  Oja, clipped, simple and retroactive neuromodulation) and the plastic read-out;
* :mod:`hebbian.plastic.networks`: the plastic recurrent network and plastic linear layer
  trained by backpropagation across episodes, and the non-plastic RNN and LSTM baselines;
* :mod:`hebbian.plastic.tasks`: episode generators for the papers' tasks (pattern
  memorisation, image reconstruction, one-shot classification, cue-reward association).

>>> from hebbian.plastic import PlasticRecurrentCell, TraceRule
>>> PlasticRecurrentCell(8, rule=TraceRule.RETROACTIVE).rule.modulated
True
"""

from hebbian.plastic import networks, tasks, traces
from hebbian.plastic.networks import (
    AlphaMode,
    LSTMNetwork,
    LSTMState,
    PlasticLinear,
    PlasticRecurrentCell,
    PlasticState,
    RecurrentCell,
    RecurrentNetwork,
    RecurrentState,
    RunMethod,
)
from hebbian.plastic.tasks import (
    CueRewardEpisodes,
    CueRewardTask,
    ImageTask,
    MemorisationEpisode,
    OneShotEpisode,
    OneShotTask,
    PatternTask,
    bit_error,
)
from hebbian.plastic.traces import (
    TraceRule,
    TraceState,
    clipped_trace,
    decaying_trace,
    hebb_from_history,
    hebbian_outer,
    history_drive,
    initial_trace_state,
    modulated_trace,
    oja_trace,
    plastic_drive,
    retroactive_trace,
    update_trace,
)

__all__ = [
    "AlphaMode",
    "CueRewardEpisodes",
    "CueRewardTask",
    "ImageTask",
    "LSTMNetwork",
    "LSTMState",
    "MemorisationEpisode",
    "OneShotEpisode",
    "OneShotTask",
    "PatternTask",
    "PlasticLinear",
    "PlasticRecurrentCell",
    "PlasticState",
    "RecurrentCell",
    "RecurrentNetwork",
    "RecurrentState",
    "RunMethod",
    "TraceRule",
    "TraceState",
    "bit_error",
    "clipped_trace",
    "decaying_trace",
    "hebb_from_history",
    "hebbian_outer",
    "history_drive",
    "initial_trace_state",
    "modulated_trace",
    "networks",
    "oja_trace",
    "plastic_drive",
    "retroactive_trace",
    "tasks",
    "traces",
    "update_trace",
]
