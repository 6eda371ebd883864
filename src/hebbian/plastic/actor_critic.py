r"""Advantage actor-critic (A2C) losses as pure functions of a played batch of episodes.

The outer loop of Backpropamine's reinforcement-learning experiments (Miconi, Rawal,
Clune & Stanley, ICLR 2019; Mnih et al., "Asynchronous methods for deep reinforcement
learning", ICML 2016, for A2C). A network outputs, at each step :math:`t` of an
episode, the logits of a policy :math:`\pi_t` over actions and a value estimate
:math:`v_t`. After the episode:

.. math::

    R_t &= r_t + \gamma R_{t+1}, \qquad R_T = 0 \quad \text{(discounted return)}\\
    A_t &= R_t - v_t \quad \text{(advantage)}\\
    \mathcal{L} &= \frac{1}{T} \operatorname{mean}_b \sum_t \Big(
        -\log \pi_t(a_t)\, \mathrm{sg}(A_t) + c_v A_t^2 + c_c \sum_a \pi_t(a)^2 \Big)

with :math:`\mathrm{sg}` stopping the gradient (the policy term moves only the policy,
the value term only the value). The last term penalises a concentrated policy (the
Simpson concentration :math:`\sum_a \pi(a)^2`, minimal for the uniform policy); it
stands in for the usual entropy bonus, as in the authors' code (``sr/srbatch.py`` in
``uber-research/backpropamine``: ``bent`` for :math:`c_c`, ``blossv`` for :math:`c_v`,
``gr`` for :math:`\gamma`, the loss divided by the episode length).

Shapes are batch first: rewards, values and actions ``(B, T)``, logits ``(B, T, A)``.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from hebbian._checks import check_floating_tensor, check_in_range, check_positive

__all__ = ["A2CLoss", "a2c_loss", "discounted_returns"]


def discounted_returns(rewards: torch.Tensor, gamma: float) -> torch.Tensor:
    r"""The discounted returns :math:`R_t = r_t + \gamma R_{t+1}` (:math:`R_T = 0`), (B, T).

    Computed backwards from the last step, in the dtype and on the device of
    ``rewards``; no gradient flows through them to anything but ``rewards``.

    Parameters
    ----------
    rewards : Tensor, shape (B, T)
        The reward of each step.
    gamma : float
        The discount factor, in [0, 1].

    Returns
    -------
    Tensor, shape (B, T)

    Examples
    --------
    >>> discounted_returns(torch.tensor([[1.0, 0.0, 2.0]]), 0.5)
    tensor([[1.5000, 1.0000, 2.0000]])
    """
    rewards = check_floating_tensor("rewards", rewards, ndim=2)
    gamma = check_in_range("gamma", gamma, 0.0, 1.0)
    returns = torch.empty_like(rewards)
    running = torch.zeros_like(rewards[:, 0])
    for t in range(rewards.shape[1] - 1, -1, -1):
        running = rewards[:, t] + gamma * running
        returns[:, t] = running
    return returns


class A2CLoss(NamedTuple):
    r"""The A2C loss and its three terms, each already divided by the episode length.

    Attributes
    ----------
    total : Tensor, shape ()
        ``policy + value_coef * value + concentration_coef * concentration``.
    policy, value, concentration : Tensor, shape ()
        :math:`-\frac1T \operatorname{mean}_b \sum_t \log\pi_t(a_t) A_t`,
        :math:`\frac1T \operatorname{mean}_b \sum_t A_t^2` and
        :math:`\frac1T \operatorname{mean}_b \sum_t \sum_a \pi_t(a)^2`.
    """

    total: torch.Tensor
    policy: torch.Tensor
    value: torch.Tensor
    concentration: torch.Tensor


def a2c_loss(
    logits: torch.Tensor,
    values: torch.Tensor,
    actions: torch.Tensor,
    rewards: torch.Tensor,
    *,
    gamma: float,
    value_coef: float,
    concentration_coef: float,
) -> A2CLoss:
    r"""The advantage actor-critic loss of a played batch (see the module's formula).

    Parameters
    ----------
    logits : Tensor, shape (B, T, A)
        The policy's logits at every step (with their graph).
    values : Tensor, shape (B, T)
        The value estimates :math:`v_t` (with their graph).
    actions : Tensor, shape (B, T), int64
        The actions taken, in ``0 .. A-1``.
    rewards : Tensor, shape (B, T)
        The reward each action earned.
    gamma : float
        Discount factor, in [0, 1] (the authors: 0.9).
    value_coef, concentration_coef : float
        :math:`c_v` and :math:`c_c`, at least 0 (the authors: 0.1 and 0.1).

    Returns
    -------
    A2CLoss

    Examples
    --------
    One step, two actions at even odds, a value of 0 and a reward of 1: the advantage is 1,
    the policy term :math:`-\log\frac12`, the value term 1, the concentration
    :math:`\frac12`:

    >>> loss = a2c_loss(torch.zeros(1, 1, 2), torch.zeros(1, 1), torch.tensor([[1]]),
    ...                 torch.ones(1, 1), gamma=0.9, value_coef=0.1, concentration_coef=0.1)
    >>> round(loss.policy.item(), 4), loss.value.item(), loss.concentration.item()
    (0.6931, 1.0, 0.5)
    >>> round(loss.total.item(), 4)
    0.8431
    """
    logits = check_floating_tensor("logits", logits, ndim=3)
    batch, steps, count = logits.shape
    values = check_floating_tensor("values", values, shape=(batch, steps))
    rewards = check_floating_tensor("rewards", rewards, shape=(batch, steps))
    if not isinstance(actions, torch.Tensor) or actions.dtype != torch.int64:
        raise TypeError(f"actions must be an int64 tensor, got {type(actions).__name__}")
    if actions.shape != (batch, steps):
        raise ValueError(f"actions must have shape {(batch, steps)}, got {tuple(actions.shape)}")
    if bool(((actions < 0) | (actions >= count)).any()):
        raise ValueError(f"actions must be in 0 .. {count - 1}")
    value_coef = check_positive("value_coef", value_coef, allow_zero=True)
    concentration_coef = check_positive("concentration_coef", concentration_coef, allow_zero=True)
    returns = discounted_returns(rewards.detach(), gamma)  # (B, T)
    advantage = returns - values  # (B, T)
    log_policy = torch.log_softmax(logits, dim=2)  # (B, T, A)
    taken = log_policy.gather(2, actions[:, :, None])[:, :, 0]  # (B, T)
    scale = 1.0 / (batch * steps)  # mean over the batch, divided by T
    policy = -(taken * advantage.detach()).sum() * scale
    value = advantage.square().sum() * scale
    concentration = log_policy.exp().square().sum() * scale
    total = policy + value_coef * value + concentration_coef * concentration
    return A2CLoss(total, policy, value, concentration)
