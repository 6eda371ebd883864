"""The networks the plasticity papers compare, built from plain sizes.

:class:`ModelKind` names them; :func:`memorisation_model` builds one for the pattern and
image tasks (a network of one neuron per bit and a bias neuron, whose answer is the
activity of the first neurons), :func:`cue_reward_model` one for the cue-reward task (an
input projection, a recurrent cell and a two-way readout), and :func:`play_cue_reward`
plays its episodes; :func:`memorisation_step` and :func:`cue_reward_step` are one
optimiser step of each task's training. :func:`actor_critic_model`,
:func:`play_stimulus_response` and :func:`stimulus_response_step` do the same for the
paper's form of the cue-reward task (:class:`~hebbian.plastic.tasks.StimulusResponseTask`),
trained by advantage actor-critic (:mod:`hebbian.plastic.actor_critic`). Every model offers
``run(drives, state=None) -> (outputs, state)`` (:class:`~hebbian.plastic.RecurrentModel`).
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

import torch

from hebbian._checks import check_bool, check_enum, check_positive, check_positive_int
from hebbian.plastic.actor_critic import a2c_loss
from hebbian.plastic.networks import (
    AlphaMode,
    LSTMNetwork,
    PlasticRecurrentCell,
    RecurrentCell,
    RecurrentModel,
    RecurrentNetwork,
)
from hebbian.plastic.tasks import (
    CueRewardEpisodes,
    CueRewardTask,
    MemorisationEpisode,
    StimulusResponseEpisodes,
    StimulusResponseTask,
)
from hebbian.plastic.traces import TraceRule

__all__ = [
    "ModelKind",
    "actor_critic_model",
    "clip_gradients",
    "completion",
    "cue_reward_model",
    "cue_reward_step",
    "memorisation_model",
    "memorisation_step",
    "play_cue_reward",
    "play_stimulus_response",
    "stimulus_response_step",
]


class ModelKind(Enum):
    """The networks compared (named in configs by their value).

    ``PLASTIC``: decaying Hebbian traces (memorisation) or clipped ones (cue-reward);
    ``MODULATED``: simple neuromodulation; ``RETROACTIVE``: retroactive neuromodulation
    (an eligibility trace); ``RNN``: the non-plastic recurrent network of the same
    neurons; ``LSTM``: the LSTM baseline.
    """

    PLASTIC = "plastic"
    MODULATED = "modulated"
    RETROACTIVE = "retroactive"
    RNN = "rnn"
    LSTM = "lstm"


def memorisation_model(
    kind: ModelKind,
    neurons: int,
    outputs: int,
    *,
    alpha_mode: AlphaMode = AlphaMode.PER_CONNECTION,
    eta: float = 0.01,
    lstm_hidden: int | None = None,
    generator: torch.Generator | None = None,
) -> PlasticRecurrentCell | RecurrentCell | LSTMNetwork:
    """A network for the memorisation tasks; its answer is ``run(inputs)[0][..., :outputs]``.

    Parameters
    ----------
    kind : ModelKind
        ``PLASTIC`` (a :class:`~hebbian.plastic.PlasticRecurrentCell` with the
        ``DECAYING`` rule), ``RNN`` (:class:`~hebbian.plastic.RecurrentCell`) or ``LSTM``
        (:class:`~hebbian.plastic.LSTMNetwork` with ``outputs`` read-outs).
    neurons : int
        Network size (inputs of the LSTM): one neuron per bit and a bias neuron.
    outputs : int
        Bits of the answer, the first ``outputs`` neurons (the LSTM's read-outs).
    alpha_mode, eta :
        The plastic network's coefficients and initial plasticity rate.
    lstm_hidden : int, optional
        The LSTM's hidden units; default ``neurons``.
    generator : torch.Generator, optional
        Source of the initial weights.

    Returns
    -------
    PlasticRecurrentCell, RecurrentCell or LSTMNetwork

    Examples
    --------
    >>> model = memorisation_model(ModelKind.LSTM, 5, 4, generator=torch.Generator())
    >>> tuple(model.run(torch.zeros(3, 2, 5))[0][-1, :, :4].shape)
    (2, 4)
    """
    kind = check_enum("kind", kind, ModelKind)
    check_positive_int("outputs", outputs)
    if kind is ModelKind.PLASTIC:
        return PlasticRecurrentCell(neurons, alpha_mode=alpha_mode, eta=eta, generator=generator)
    if kind is ModelKind.RNN:
        return RecurrentCell(neurons, generator=generator)
    if kind is ModelKind.LSTM:
        hidden = neurons if lstm_hidden is None else lstm_hidden
        return LSTMNetwork(neurons, hidden, outputs, generator=generator)
    raise ValueError(f"kind must be PLASTIC, RNN or LSTM for memorisation, got {kind.name}")


_CUE_REWARD_RULES = {
    ModelKind.PLASTIC: TraceRule.CLIPPED,
    ModelKind.MODULATED: TraceRule.MODULATED,
    ModelKind.RETROACTIVE: TraceRule.RETROACTIVE,
}


def cue_reward_model(
    kind: ModelKind,
    input_size: int,
    hidden: int,
    *,
    eta: float = 0.01,
    alpha_init: float = 0.1,
    modulator_std: float = 0.01,
    generator: torch.Generator | None = None,
) -> LSTMNetwork | RecurrentNetwork:
    r"""A network with two outputs (the logits of no-go and go) for the cue-reward task.

    Parameters
    ----------
    kind : ModelKind
        ``PLASTIC`` (``CLIPPED`` rule), ``MODULATED``, ``RETROACTIVE``, ``RNN`` or ``LSTM``.
    input_size, hidden : int
        Width of the inputs, and recurrent neurons (the LSTM's units).
    eta, alpha_init, modulator_std : float
        The plastic cell's initial plasticity rate, plasticity coefficients and
        neuromodulator weights; its initial :math:`W` has standard deviation
        :math:`1/\sqrt{\text{hidden}}`.
    generator : torch.Generator, optional
        Source of the initial weights.

    Returns
    -------
    LSTMNetwork or RecurrentNetwork

    Examples
    --------
    >>> model = cue_reward_model(ModelKind.RETROACTIVE, 9, 6, generator=torch.Generator())
    >>> out, state = model(torch.zeros(4, 9))
    >>> tuple(out.shape), tuple(state.trace.eligibility.shape)
    ((4, 2), (4, 6, 6))
    """
    return _readout_network(
        kind,
        input_size,
        hidden,
        2,
        eta=eta,
        weight_std=1.0 / math.sqrt(hidden),  # the RNN's default too
        alpha_init=alpha_init,
        modulator_std=modulator_std,
        generator=generator,
    )


def _readout_network(
    kind: ModelKind,
    input_size: int,
    hidden: int,
    outputs: int,
    *,
    eta: float,
    weight_std: float,
    alpha_init: float,
    modulator_std: float | None,
    generator: torch.Generator | None,
) -> LSTMNetwork | RecurrentNetwork:
    """An LSTM, or a recurrent cell of ``kind`` between an input projection and a readout.

    The plastic kinds get the cue-reward rules (``_CUE_REWARD_RULES``); ``weight_std``
    is the initial :math:`W`'s standard deviation of the plastic cell and of the RNN.
    """
    kind = check_enum("kind", kind, ModelKind)
    if kind is ModelKind.LSTM:
        return LSTMNetwork(input_size, hidden, outputs, generator=generator)
    if kind is ModelKind.RNN:
        cell: PlasticRecurrentCell | RecurrentCell = RecurrentCell(
            hidden, weight_std=weight_std, generator=generator
        )
    else:
        cell = PlasticRecurrentCell(
            hidden,
            rule=_CUE_REWARD_RULES[kind],
            eta=eta,
            weight_std=weight_std,
            alpha_init=alpha_init,
            modulator_std=modulator_std,
            generator=generator,
        )
    return RecurrentNetwork(cell, input_size, outputs, generator=generator)


def _choose(scores: torch.Tensor, greedy: bool, generator: torch.Generator | None) -> torch.Tensor:
    """One choice (B,) int64 per row of ``scores`` (B, K), detached from the graph.

    The most likely one (``greedy``; argmax returns the first maximum on every device,
    so exact ties go to choice 0), or one drawn from the softmax with ``generator`` on
    the CPU, then moved to the device of ``scores``.
    """
    if greedy:
        return scores.detach().argmax(dim=1)
    probabilities = torch.softmax(scores.detach(), dim=1).cpu()
    return torch.multinomial(probabilities, 1, generator=generator)[:, 0].to(scores.device)


def _clipped_step(
    model: torch.nn.Module, optimiser: torch.optim.Optimizer, loss: torch.Tensor, max_norm: float
) -> float:
    """Backpropagate ``loss``, clip the gradient (:func:`clip_gradients`), step; return its norm."""
    optimiser.zero_grad()
    loss.backward()
    norm = clip_gradients(model, max_norm)
    optimiser.step()
    return norm


def play_cue_reward(
    model: LSTMNetwork | RecurrentNetwork,
    task: CueRewardTask,
    episodes: CueRewardEpisodes,
    generator: torch.Generator | None = None,
    *,
    greedy: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Play every trial of ``episodes``, one step of ``model`` at a time.

    Each trial is its stimulus steps, a response step and a feedback step carrying the
    reward of the answer given (:class:`~hebbian.plastic.CueRewardTask`). Answers are
    the most likely ones (``greedy``; exact ties go to answer 0) or drawn from the
    network's softmax with ``generator`` (on the CPU).

    Returns
    -------
    logits : Tensor, shape (B, trials, 2)
        The outputs at the response steps.
    answers, rewards : Tensor, shape (B, trials)
        The answers given (int64) and their rewards.

    Examples
    --------
    >>> task = CueRewardTask(cue_size=4, cues=3, trials=2)
    >>> g = torch.Generator().manual_seed(0)
    >>> model = cue_reward_model(ModelKind.RNN, task.input_size, 5, generator=g)
    >>> logits, answers, rewards = play_cue_reward(
    ...     model, task, task.sample(3, generator=g), greedy=True)
    >>> tuple(logits.shape), tuple(answers.shape)
    ((3, 2, 2), (3, 2))
    """
    check_bool("greedy", greedy)
    state = None
    logits, answers, rewards = [], [], []
    for trial in range(task.trials):
        stimulus = task.stimulus(episodes, trial)
        for _ in range(task.stimulus_steps):
            _, state = model(stimulus, state)
        out, state = model(task.prompt(episodes, trial), state)
        answer = _choose(out, greedy, generator)
        reward, feedback = task.feedback(episodes, trial, answer)
        _, state = model(feedback, state)
        logits.append(out)
        answers.append(answer)
        rewards.append(reward)
    return torch.stack(logits, dim=1), torch.stack(answers, dim=1), torch.stack(rewards, dim=1)


def completion(model: RecurrentModel[Any], inputs: torch.Tensor, outputs: int) -> torch.Tensor:
    """A memorisation model's answer: its first ``outputs`` outputs at the last step.

    The outputs of ``model.run(inputs)``; a :class:`~hebbian.plastic.PlasticRecurrentCell`
    runs :meth:`~hebbian.plastic.PlasticRecurrentCell.run_activity` instead (the same
    activities, without the final ``(B, N, N)`` trace, which the answer does not need).

    Parameters
    ----------
    model : RecurrentModel
        A network of :func:`memorisation_model`.
    inputs : Tensor, shape (T, B, N + 1)
        The episode's inputs (:class:`~hebbian.plastic.MemorisationEpisode`).
    outputs : int
        The bits of the answer.

    Returns
    -------
    Tensor, shape (B, outputs)

    Examples
    --------
    >>> model = memorisation_model(ModelKind.RNN, 5, 4, generator=torch.Generator())
    >>> tuple(completion(model, torch.zeros(3, 2, 5), 4).shape)
    (2, 4)
    """
    if isinstance(model, PlasticRecurrentCell):
        activity = model.run_activity(inputs)
    else:
        activity = model.run(inputs)[0]
    return activity[-1, :, :outputs]


def memorisation_step(
    model: PlasticRecurrentCell | RecurrentCell | LSTMNetwork,
    optimiser: torch.optim.Optimizer,
    episode: MemorisationEpisode,
) -> tuple[float, torch.Tensor]:
    r"""One optimiser step on the squared error of the :func:`completion` of ``episode``.

    The loss is :math:`\operatorname{mean}_{b,i} (o_{bi} - y_{bi})^2` over the target's
    entries. Returns the loss and the (detached) answer, (B, N).
    """
    answer = completion(model, episode.inputs, episode.target.shape[1])
    loss = (answer - episode.target).square().mean()
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()
    return loss.item(), answer.detach()


def clip_gradients(model: torch.nn.Module, max_norm: float) -> float:
    r"""Scale the gradients of ``model`` so that their global norm is at most ``max_norm``.

    With :math:`g` all gradients of ``model`` as one vector, :math:`g \leftarrow g
    \min(1, c / (\lVert g \rVert_2 + 10^{-6}))` (``torch.nn.utils.clip_grad_norm_``);
    ``max_norm`` 0 leaves them unchanged. Returns :math:`\lVert g \rVert_2` before
    clipping, as a float (a host sync; 0.0 when ``model`` has no gradients).

    >>> layer = torch.nn.Linear(2, 1, bias=False)
    >>> layer.weight.grad = torch.tensor([[3.0, 4.0]])
    >>> clip_gradients(layer, 1.0), layer.weight.grad.norm().item() < 1.0
    (5.0, True)
    """
    max_norm = check_positive("max_norm", max_norm, allow_zero=True)
    grads = [p for p in model.parameters() if p.grad is not None]
    if not grads:
        return 0.0
    # an infinite bound scales every gradient by exactly 1.0: the norm, and no change
    return float(torch.nn.utils.clip_grad_norm_(grads, max_norm if max_norm > 0 else math.inf))


def cue_reward_step(
    model: LSTMNetwork | RecurrentNetwork,
    optimiser: torch.optim.Optimizer,
    task: CueRewardTask,
    episodes: CueRewardEpisodes,
    generator: torch.Generator | None,
    *,
    max_grad_norm: float = 0.0,
) -> tuple[float, torch.Tensor, torch.Tensor, float]:
    """One optimiser step on the cross-entropy of the right answers of every trial.

    The episodes are played with answers drawn from the network's softmax
    (:func:`play_cue_reward`); before the step the gradient's global norm is clipped to
    ``max_grad_norm`` (:func:`clip_gradients`; 0, the default, does not clip). Returns
    the loss, the detached logits (B, trials, 2), the rewards earned (B, trials) and the
    gradient's norm before clipping.
    """
    correct = task.correct_answers(episodes)
    logits, _, rewards = play_cue_reward(model, task, episodes, generator, greedy=False)
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), correct.flatten())
    norm = _clipped_step(model, optimiser, loss, max_grad_norm)
    return loss.item(), logits.detach(), rewards, norm


def actor_critic_model(
    kind: ModelKind,
    input_size: int,
    hidden: int,
    *,
    eta: float = 0.1,
    weight_std: float = 0.01,
    alpha_init: float = 0.01,
    modulator_std: float | None = None,
    generator: torch.Generator | None = None,
) -> LSTMNetwork | RecurrentNetwork:
    r"""A network with three outputs: two action logits and a value, for actor-critic.

    Output 0 and 1 are the logits of "no response" and "response", output 2 the value
    estimate :math:`v_t` (the authors' two heads ``h2o`` and ``h2v``, stacked as one
    linear readout). The defaults are the authors' initial values for the cue-reward
    task (``sr/modul.py`` in ``uber-research/backpropamine``): :math:`\eta = 0.1` (the
    eligibility trace's rate for ``RETROACTIVE``), :math:`\alpha` uniform in
    ``[0, 0.01)``, a tiny recurrent :math:`W` (theirs uniform in ``[0, 0.01)``, ours
    Gaussian with standard deviation ``weight_std``), the neuromodulator head at
    PyTorch-like scale.

    Parameters
    ----------
    kind : ModelKind
        ``PLASTIC`` (``CLIPPED`` rule), ``MODULATED``, ``RETROACTIVE``, ``RNN`` or ``LSTM``.
    input_size, hidden : int
        Width of the inputs, and recurrent neurons (the LSTM's units).
    eta, weight_std, alpha_init : float
        The cell's initial plasticity rate, the standard deviation of its initial
        :math:`W` (also the RNN's) and the scale of its initial :math:`\alpha`.
    modulator_std : float, optional
        Standard deviation of the initial neuromodulator weights; default
        :math:`1/\sqrt{\text{hidden}}`.
    generator : torch.Generator, optional
        Source of the initial weights.

    Returns
    -------
    LSTMNetwork or RecurrentNetwork

    Examples
    --------
    >>> model = actor_critic_model(ModelKind.MODULATED, 26, 8, generator=torch.Generator())
    >>> out, state = model(torch.zeros(4, 26))
    >>> tuple(out.shape), model.cell.rule.name
    ((4, 3), 'MODULATED')
    """
    return _readout_network(
        kind,
        input_size,
        hidden,
        3,
        eta=eta,
        weight_std=weight_std,
        alpha_init=alpha_init,
        modulator_std=modulator_std,
        generator=generator,
    )


def play_stimulus_response(
    model: LSTMNetwork | RecurrentNetwork,
    task: StimulusResponseTask,
    episodes: StimulusResponseEpisodes,
    generator: torch.Generator | None = None,
    *,
    greedy: bool,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Play ``episodes`` one step of ``model`` at a time; it acts at every step.

    Each step's input carries the previous step's reward and action
    (:meth:`~hebbian.plastic.tasks.StimulusResponseTask.inputs`). Actions are the most
    likely ones (``greedy``; exact ties go to action 0) or drawn from the softmax of the
    first two outputs with ``generator`` (on the CPU).

    Returns
    -------
    logits : Tensor, shape (B, T, 2)
        The action logits (with their graph).
    values : Tensor, shape (B, T)
        The value estimates (with their graph).
    actions : Tensor, shape (B, T), int64
    rewards : Tensor, shape (B, T)

    Examples
    --------
    >>> task = StimulusResponseTask(cue_size=4, episode_steps=10)
    >>> g = torch.Generator().manual_seed(0)
    >>> model = actor_critic_model(ModelKind.RNN, task.input_size, 5, generator=g)
    >>> logits, values, actions, rewards = play_stimulus_response(
    ...     model, task, task.sample(3, generator=g), greedy=True)
    >>> tuple(logits.shape), tuple(values.shape), tuple(rewards.shape)
    ((3, 10, 2), (3, 10), (3, 10))
    """
    check_bool("greedy", greedy)
    state = None
    reward: torch.Tensor | None = None
    action: torch.Tensor | None = None
    logits, values, actions, rewards = [], [], [], []
    stimuli = task.stimuli(episodes)  # (T, B, cue_size + 3)
    for step in range(task.episode_steps):
        out, state = model(task.inputs(stimuli[step], reward, action), state)
        scores = out[:, :2]  # (B, 2)
        action = _choose(scores, greedy, generator)
        reward = task.rewards(episodes, step, action)
        logits.append(scores)
        values.append(out[:, 2])
        actions.append(action)
        rewards.append(reward)
    return (
        torch.stack(logits, dim=1),
        torch.stack(values, dim=1),
        torch.stack(actions, dim=1),
        torch.stack(rewards, dim=1),
    )


def stimulus_response_step(
    model: LSTMNetwork | RecurrentNetwork,
    optimiser: torch.optim.Optimizer,
    task: StimulusResponseTask,
    episodes: StimulusResponseEpisodes,
    generator: torch.Generator | None,
    *,
    gamma: float = 0.9,
    value_coef: float = 0.1,
    concentration_coef: float = 0.1,
    max_grad_norm: float = 2.0,
) -> tuple[float, torch.Tensor, float]:
    """One advantage actor-critic step on ``episodes``, played with sampled actions.

    The loss is :func:`~hebbian.plastic.actor_critic.a2c_loss` of
    :func:`play_stimulus_response`; the gradient's norm is clipped to ``max_grad_norm``
    (:func:`clip_gradients`; 0 does not clip) before the optimiser's step. The defaults
    are the authors' (``sr/srbatch.py``: ``--gr 0.9``, ``blossv 0.1``, ``--bent 0.1``,
    ``--gc 2.0``). Returns the loss, the rewards earned (B, T) and the gradient's norm
    before clipping.
    """
    logits, values, actions, rewards = play_stimulus_response(
        model, task, episodes, generator, greedy=False
    )
    loss = a2c_loss(
        logits,
        values,
        actions,
        rewards,
        gamma=gamma,
        value_coef=value_coef,
        concentration_coef=concentration_coef,
    )
    norm = _clipped_step(model, optimiser, loss.total, max_grad_norm)
    return loss.total.item(), rewards, norm
