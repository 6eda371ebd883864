"""Differentiable and neuromodulated plasticity (Miconi et al. 2018; Backpropamine, 2019).

* :mod:`hebbian.plastic.traces`: the Hebbian trace updates as pure functions (decaying,
  Oja, clipped, simple and retroactive neuromodulation) and the plastic read-out;
* :mod:`hebbian.plastic.networks`: the plastic recurrent network and plastic linear layer
  trained by backpropagation across episodes, and the non-plastic RNN and LSTM baselines;
* :mod:`hebbian.plastic.factored`: the plastic recurrence with a decaying trace kept
  as the episode's activities, with its hand-written backward pass (the fast path);
* :mod:`hebbian.plastic.blocked`: the same recurrence with a per-connection alpha, its
  plastic matrix kept dense and refreshed every few steps, with its hand-written
  backward pass (the fast path for long episodes of large networks);
* :mod:`hebbian.plastic.models`: the networks the papers compare (:class:`ModelKind`),
  built from plain sizes, and the play loop of the cue-reward task;
* :mod:`hebbian.plastic.oneshot`: the convolutional encoder and plastic output layer of
  one-shot classification, the rotated-classes augmentation and a pixel baseline;
* :mod:`hebbian.plastic.tasks`: episode generators for the papers' tasks (pattern
  memorisation, image reconstruction, one-shot classification, cue-reward association).

>>> from hebbian.plastic import PlasticRecurrentCell, TraceRule
>>> PlasticRecurrentCell(8, rule=TraceRule.RETROACTIVE).rule.modulated
True
"""

from hebbian.plastic import (
    actor_critic,
    blocked,
    factored,
    models,
    networks,
    oneshot,
    tasks,
    traces,
)
from hebbian.plastic.actor_critic import A2CLoss, a2c_loss, discounted_returns
from hebbian.plastic.blocked import blocked_decaying_run, prefers_blocked
from hebbian.plastic.factored import factored_decaying_run
from hebbian.plastic.models import (
    ModelKind,
    actor_critic_model,
    clip_gradients,
    completion,
    cue_reward_model,
    cue_reward_step,
    memorisation_model,
    memorisation_step,
    play_cue_reward,
    play_stimulus_response,
    stimulus_response_step,
)
from hebbian.plastic.networks import (
    AlphaMode,
    LSTMNetwork,
    LSTMState,
    PlasticLinear,
    PlasticRecurrentCell,
    PlasticState,
    RecurrentCell,
    RecurrentModel,
    RecurrentNetwork,
    RecurrentState,
    RunMethod,
)
from hebbian.plastic.oneshot import (
    ConvEncoder,
    OneShotLearner,
    one_shot_accuracy,
    one_shot_step,
    pixel_nearest_neighbour,
    rotated_classes,
)
from hebbian.plastic.tasks import (
    CueRewardEpisodes,
    CueRewardTask,
    ImageTask,
    MemorisationEpisode,
    OneShotEpisode,
    OneShotTask,
    PatternTask,
    StimulusResponseEpisodes,
    StimulusResponseTask,
    bit_error,
)
from hebbian.plastic.traces import (
    TraceRule,
    TraceState,
    check_modulation,
    clipped_trace,
    decay_coefficients,
    decaying_trace,
    hebb_from_history,
    hebbian_outer,
    history_drive,
    initial_trace_state,
    modulated_trace,
    oja_trace,
    plastic_drive,
    plastic_drive_unchecked,
    retroactive_trace,
    update_trace,
    update_trace_unchecked,
)

__all__ = [
    "A2CLoss",
    "AlphaMode",
    "ConvEncoder",
    "CueRewardEpisodes",
    "CueRewardTask",
    "ImageTask",
    "LSTMNetwork",
    "LSTMState",
    "MemorisationEpisode",
    "ModelKind",
    "OneShotEpisode",
    "OneShotLearner",
    "OneShotTask",
    "PatternTask",
    "PlasticLinear",
    "PlasticRecurrentCell",
    "PlasticState",
    "RecurrentCell",
    "RecurrentModel",
    "RecurrentNetwork",
    "RecurrentState",
    "RunMethod",
    "StimulusResponseEpisodes",
    "StimulusResponseTask",
    "TraceRule",
    "TraceState",
    "a2c_loss",
    "actor_critic",
    "actor_critic_model",
    "bit_error",
    "blocked",
    "blocked_decaying_run",
    "check_modulation",
    "clip_gradients",
    "clipped_trace",
    "completion",
    "cue_reward_model",
    "cue_reward_step",
    "decay_coefficients",
    "decaying_trace",
    "discounted_returns",
    "factored",
    "factored_decaying_run",
    "hebb_from_history",
    "hebbian_outer",
    "history_drive",
    "initial_trace_state",
    "memorisation_model",
    "memorisation_step",
    "models",
    "modulated_trace",
    "networks",
    "oja_trace",
    "one_shot_accuracy",
    "one_shot_step",
    "oneshot",
    "pixel_nearest_neighbour",
    "plastic_drive",
    "plastic_drive_unchecked",
    "play_cue_reward",
    "play_stimulus_response",
    "prefers_blocked",
    "retroactive_trace",
    "rotated_classes",
    "stimulus_response_step",
    "tasks",
    "traces",
    "update_trace",
    "update_trace_unchecked",
]
