"""The advantage actor-critic losses against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from hebbian.plastic.actor_critic import a2c_loss, discounted_returns


def test_returns_discount_the_rewards_that_follow() -> None:
    rewards = torch.tensor([[0.0, 1.0, 0.0, -1.0], [2.0, 0.0, 0.0, 0.0]])
    # R_t = r_t + 0.5 R_{t+1}, R_4 = 0
    expected = torch.tensor([[0.375, 0.75, -0.5, -1.0], [2.0, 0.0, 0.0, 0.0]])
    torch.testing.assert_close(discounted_returns(rewards, 0.5), expected)
    torch.testing.assert_close(discounted_returns(rewards, 0.0), rewards)
    flipped = rewards.flip(1).cumsum(dim=1).flip(1)  # gamma 1: the sum of what is left
    torch.testing.assert_close(discounted_returns(rewards, 1.0), flipped)


def test_the_loss_matches_a_hand_computation() -> None:
    logits = torch.tensor(
        [[[0.0, math.log(3.0)], [math.log(3.0), 0.0]]]
    )  # pi = (1/4, 3/4), (3/4, 1/4)
    values = torch.tensor([[0.5, -0.5]])
    actions = torch.tensor([[1, 1]])
    rewards = torch.tensor([[0.0, 1.0]])
    loss = a2c_loss(
        logits, values, actions, rewards, gamma=0.9, value_coef=0.1, concentration_coef=0.2
    )
    # returns (0.9, 1.0); advantages (0.4, 1.5); T = 2, B = 1
    policy = -(math.log(0.75) * 0.4 + math.log(0.25) * 1.5) / 2
    value = (0.4**2 + 1.5**2) / 2
    concentration = 2 * (0.25**2 + 0.75**2) / 2
    assert loss.policy.item() == pytest.approx(policy, rel=1e-6)
    assert loss.value.item() == pytest.approx(value, rel=1e-6)
    assert loss.concentration.item() == pytest.approx(concentration, rel=1e-6)
    total = policy + 0.1 * value + 0.2 * concentration
    assert loss.total.item() == pytest.approx(total, rel=1e-6)


def test_the_policy_term_moves_only_the_policy_and_the_value_term_only_the_value() -> None:
    logits = torch.zeros(2, 3, 2, requires_grad=True)
    values = torch.zeros(2, 3, requires_grad=True)
    actions = torch.tensor([[1, 0, 1], [0, 0, 1]])
    rewards = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
    loss = a2c_loss(
        logits, values, actions, rewards, gamma=0.9, value_coef=0.1, concentration_coef=0.0
    )
    loss.policy.backward(retain_graph=True)
    assert values.grad is None
    # a positive advantage makes the action taken more likely, a negative one less
    assert logits.grad is not None
    assert logits.grad[0, 0, 1].item() < 0 < logits.grad[0, 0, 0].item()  # R > 0, v = 0
    assert logits.grad[1, 2, 1].item() > 0 > logits.grad[1, 2, 0].item()  # R < 0
    logits.grad = None
    loss.value.backward()
    assert logits.grad is None and values.grad is not None
    # d/dv of (R - v)^2 / (B T) is -2 (R - v) / 6
    returns = discounted_returns(rewards, 0.9)
    torch.testing.assert_close(values.grad, -2 * returns / 6)


def test_the_concentration_penalty_is_least_for_the_uniform_policy() -> None:
    actions = torch.zeros(1, 1, dtype=torch.long)
    zero = torch.zeros(1, 1)

    def concentration(logit: float) -> float:
        logits = torch.tensor([[[0.0, logit]]])
        loss = a2c_loss(
            logits, zero, actions, zero, gamma=0.9, value_coef=0.0, concentration_coef=1.0
        )
        return loss.concentration.item()

    assert concentration(0.0) == pytest.approx(0.5)
    assert concentration(0.0) < concentration(1.0) < concentration(3.0)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"actions": torch.tensor([[0, 2]])}, ValueError, "actions must be in 0 .. 1"),
        ({"actions": torch.tensor([[0.0, 1.0]])}, TypeError, "actions must be an int64"),
        ({"values": torch.zeros(1, 3)}, ValueError, "values"),
        ({"gamma": 1.5}, ValueError, "gamma"),
        ({"value_coef": -0.1}, ValueError, "value_coef"),
    ],
)
def test_bad_arguments_are_refused(change, error, message) -> None:  # type: ignore[no-untyped-def]
    arguments = {
        "logits": torch.zeros(1, 2, 2),
        "values": torch.zeros(1, 2),
        "actions": torch.tensor([[0, 1]]),
        "rewards": torch.zeros(1, 2),
        "gamma": 0.9,
        "value_coef": 0.1,
        "concentration_coef": 0.1,
    }
    arguments.update(change)
    with pytest.raises(error, match=message):
        a2c_loss(
            arguments.pop("logits"),
            arguments.pop("values"),
            arguments.pop("actions"),
            arguments.pop("rewards"),
            **arguments,
        )
