"""The networks built from plain sizes, the one-shot learner and the factored fast path."""

from __future__ import annotations

import math

import pytest
import torch

from hebbian.plastic import (
    AlphaMode,
    ConvEncoder,
    CueRewardTask,
    LSTMNetwork,
    ModelKind,
    OneShotEpisode,
    OneShotLearner,
    PlasticRecurrentCell,
    RecurrentCell,
    RecurrentNetwork,
    RunMethod,
    TraceRule,
    completion,
    cue_reward_model,
    factored_decaying_run,
    memorisation_model,
    networks,
    pixel_nearest_neighbour,
    play_cue_reward,
    rotated_classes,
)
from hebbian.plastic.models import (
    actor_critic_model,
    clip_gradients,
    cue_reward_step,
    play_stimulus_response,
    stimulus_response_step,
)
from hebbian.plastic.tasks import StimulusResponseTask


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        (ModelKind.PLASTIC, PlasticRecurrentCell),
        (ModelKind.RNN, RecurrentCell),
        (ModelKind.LSTM, LSTMNetwork),
    ],
)
def test_memorisation_models_answer_with_their_first_outputs(kind, cls) -> None:  # type: ignore[no-untyped-def]
    model = memorisation_model(kind, 7, 6, alpha_mode=AlphaMode.SHARED, generator=seeded(0))
    assert isinstance(model, cls)
    outputs, _ = model.run(torch.zeros(4, 3, 7))
    assert outputs[-1, :, :6].shape == (3, 6)


@pytest.mark.parametrize("kind", [ModelKind.PLASTIC, ModelKind.RNN, ModelKind.LSTM])
def test_completion_is_the_runs_answer_and_builds_no_plastic_trace(
    kind: ModelKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = memorisation_model(kind, 7, 6, generator=seeded(0))
    inputs = torch.randn(5, 3, 7, generator=seeded(1))
    expected = model.run(inputs)[0][-1, :, :6]

    def no_trace(*args: object) -> None:
        raise AssertionError("completion built the final (B, N, N) trace")

    monkeypatch.setattr(networks, "hebb_from_history", no_trace)
    assert torch.equal(completion(model, inputs, 6), expected)


def test_memorisation_models_follow_their_arguments() -> None:
    plastic = memorisation_model(ModelKind.PLASTIC, 5, 4, alpha_mode=AlphaMode.SHARED, eta=0.3)
    assert isinstance(plastic, PlasticRecurrentCell)
    assert plastic.alpha.ndim == 0 and plastic.eta.item() == pytest.approx(0.3)
    lstm = memorisation_model(ModelKind.LSTM, 5, 4, lstm_hidden=9)
    assert isinstance(lstm, LSTMNetwork) and lstm.hidden_size == 9 and lstm.output_size == 4
    with pytest.raises(ValueError, match="for memorisation, got MODULATED"):
        memorisation_model(ModelKind.MODULATED, 5, 4)
    with pytest.raises(TypeError, match="kind must be one of"):
        memorisation_model("plastic", 5, 4)  # type: ignore[arg-type]


def test_a_seed_gives_the_same_model() -> None:
    first = cue_reward_model(ModelKind.MODULATED, 9, 6, generator=seeded(3))
    second = cue_reward_model(ModelKind.MODULATED, 9, 6, generator=seeded(3))
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("kind", list(ModelKind))
def test_cue_reward_models_have_the_rule_of_their_kind(kind: ModelKind) -> None:
    model = cue_reward_model(kind, 9, 6, eta=0.05, alpha_init=0.2, generator=seeded(1))
    if kind is ModelKind.LSTM:
        assert isinstance(model, LSTMNetwork)
    else:
        assert isinstance(model, RecurrentNetwork)
        rules = {
            ModelKind.PLASTIC: TraceRule.CLIPPED,
            ModelKind.MODULATED: TraceRule.MODULATED,
            ModelKind.RETROACTIVE: TraceRule.RETROACTIVE,
        }
        if kind is ModelKind.RNN:
            assert isinstance(model.cell, RecurrentCell)
        else:
            assert isinstance(model.cell, PlasticRecurrentCell)
            assert model.cell.rule is rules[kind]
    out, _ = model(torch.zeros(2, 9))
    assert out.shape == (2, 2)


def test_play_gives_rewards_of_the_answers_and_sampling_follows_the_generator() -> None:
    task = CueRewardTask(cue_size=4, cues=3, trials=5)
    episodes = task.sample(16, generator=seeded(2))
    model = cue_reward_model(ModelKind.RETROACTIVE, task.input_size, 8, generator=seeded(3))
    with torch.no_grad():
        logits, answers, rewards = play_cue_reward(model, task, episodes, greedy=True)
        assert torch.equal(answers, logits.argmax(dim=2))
        present = task.correct_answers(episodes).float()
        expected = torch.where(answers == 1, 2 * present - 1, torch.zeros_like(present))
        assert torch.equal(rewards, expected)
        drawn = [
            play_cue_reward(model, task, episodes, seeded(4), greedy=False)[1] for _ in range(2)
        ]
    assert torch.equal(drawn[0], drawn[1])
    with pytest.raises(TypeError, match="greedy must be a bool"):
        play_cue_reward(model, task, episodes, greedy=1)  # type: ignore[arg-type]


def test_clipping_bounds_the_gradient_norm_and_zero_leaves_it_alone() -> None:
    layer = torch.nn.Linear(3, 2)
    layer.weight.grad = torch.full((2, 3), 2.0)
    layer.bias.grad = torch.tensor([0.0, 4.0])
    norm = math.sqrt(6 * 4.0 + 16.0)
    assert clip_gradients(layer, 0.0) == pytest.approx(norm)
    assert torch.equal(layer.weight.grad, torch.full((2, 3), 2.0))  # untouched
    assert clip_gradients(layer, 2.0) == pytest.approx(norm)
    clipped = torch.cat([layer.weight.grad.flatten(), layer.bias.grad])
    assert clipped.norm().item() == pytest.approx(2.0, rel=1e-5)
    # the direction is kept
    torch.testing.assert_close(layer.bias.grad / layer.weight.grad[0, 0], torch.tensor([0.0, 2.0]))
    assert clip_gradients(torch.nn.Linear(2, 2), 1.0) == 0.0  # no gradients yet
    with pytest.raises(ValueError, match="max_norm"):
        clip_gradients(layer, -1.0)


def test_the_cue_reward_step_clips_before_adams_step() -> None:
    task = CueRewardTask(cue_size=4, cues=3, trials=3)
    episodes = task.sample(4, generator=seeded(0))
    steps = []
    for clip in (0.0, 1e-3):
        model = cue_reward_model(ModelKind.MODULATED, task.input_size, 6, generator=seeded(1))
        before = [p.detach().clone() for p in model.parameters()]
        sgd = torch.optim.SGD(model.parameters(), lr=1.0)
        _, _, _, norm = cue_reward_step(model, sgd, task, episodes, seeded(2), max_grad_norm=clip)
        change = torch.cat(
            [(p - b).flatten() for p, b in zip(model.parameters(), before, strict=True)]
        )
        steps.append((norm, change.norm().item()))
    (norm, free), (same_norm, clipped) = steps
    assert norm == pytest.approx(same_norm) and free == pytest.approx(norm, rel=1e-4)
    assert clipped == pytest.approx(1e-3, rel=1e-3)  # SGD with lr 1 moves by the gradient


@pytest.mark.parametrize("kind", [k for k in ModelKind if k is not ModelKind.LSTM])
def test_actor_critic_models_read_out_two_logits_and_a_value(kind: ModelKind) -> None:
    model = actor_critic_model(kind, 9, 6, eta=0.2, weight_std=0.05, generator=seeded(1))
    assert isinstance(model, RecurrentNetwork)
    out, _ = model(torch.zeros(2, 9))
    assert out.shape == (2, 3)
    cell = model.cell
    assert cell.weight.std().item() < 0.1  # tiny recurrent weights, as the authors'
    if kind is ModelKind.RNN:
        assert isinstance(cell, RecurrentCell)
    else:
        assert isinstance(cell, PlasticRecurrentCell) and cell.eta.item() == pytest.approx(0.2)
        assert 0 <= cell.alpha.min().item() and cell.alpha.max().item() < 0.01
    lstm = actor_critic_model(ModelKind.LSTM, 9, 6, generator=seeded(1))
    assert isinstance(lstm, LSTMNetwork) and lstm.output_size == 3


def test_stimulus_response_play_feeds_back_each_reward_and_action() -> None:
    task = StimulusResponseTask(cue_size=4, episode_steps=16)
    episodes = task.sample(6, generator=seeded(2))
    model = actor_critic_model(ModelKind.RETROACTIVE, task.input_size, 8, generator=seeded(3))
    seen: list[torch.Tensor] = []
    original = model.forward

    def spy(drive: torch.Tensor, state: object = None) -> tuple[torch.Tensor, object]:
        seen.append(drive.detach().clone())
        return original(drive, state)

    model.forward = spy  # type: ignore[method-assign]
    with torch.no_grad():
        logits, values, actions, rewards = play_stimulus_response(
            model, task, episodes, greedy=True
        )
    assert torch.equal(actions, logits.argmax(dim=2)) and values.shape == (6, 16)
    for t in range(16):
        assert torch.equal(rewards[:, t], task.rewards(episodes, t, actions[:, t]))
        if t > 0:  # the input carries the previous reward and the previous action
            assert torch.equal(seen[t][:, 7], rewards[:, t - 1])
            assert torch.equal(seen[t][:, 8:10].argmax(dim=1), actions[:, t - 1])
    model.forward = original  # type: ignore[method-assign]
    with torch.no_grad():
        drawn = [
            play_stimulus_response(model, task, episodes, seeded(4), greedy=False)[2]
            for _ in range(2)
        ]
    assert torch.equal(drawn[0], drawn[1])


def test_an_actor_critic_step_trains_every_parameter_within_the_clip() -> None:
    task = StimulusResponseTask(cue_size=4, episode_steps=16)
    episodes = task.sample(4, generator=seeded(0))
    model = actor_critic_model(ModelKind.MODULATED, task.input_size, 6, generator=seeded(1))
    before = [p.detach().clone() for p in model.parameters()]
    sgd = torch.optim.SGD(model.parameters(), lr=1.0)
    loss, rewards, norm = stimulus_response_step(
        model, sgd, task, episodes, seeded(2), max_grad_norm=1e-3
    )
    assert math.isfinite(loss) and rewards.shape == (4, 16) and norm > 1e-3
    change = torch.cat([(p - b).flatten() for p, b in zip(model.parameters(), before, strict=True)])
    assert change.norm().item() == pytest.approx(1e-3, rel=1e-3)
    unchanged = [
        name
        for (name, p), b in zip(model.named_parameters(), before, strict=True)
        if torch.equal(p, b)
    ]
    assert unchanged == ["cell.eta"]  # simple neuromodulation has no use for eta


def test_the_encoder_halves_the_images_four_times() -> None:
    encoder = ConvEncoder(3, 28, generator=seeded(0))
    assert encoder.features == 3 * 2 * 2  # 28 -> 14 -> 7 -> 4 -> 2
    assert encoder(torch.zeros(5, 28, 28)).shape == (5, 12)
    again = ConvEncoder(3, 28, generator=seeded(0))
    for a, b in zip(encoder.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)


def test_the_one_shot_learner_reads_the_labels_written_by_the_support() -> None:
    learner = OneShotLearner(3, 4, 8, eta=0.5, alpha_init=5.0, generator=seeded(0))
    # zero fixed weights: without support examples every class is equally likely
    assert torch.count_nonzero(learner.output.weight) == 0
    support = torch.rand(2, 3, 8, 8, generator=seeded(1))
    labels = torch.tensor([[0, 1, 2], [2, 0, 1]])
    query = torch.rand(2, 8, 8, generator=seeded(2))
    logits = learner(support, labels, query)
    # W = 0 and b = 0: logits = (alpha * Hebb) f(q), Hebb the decaying sum of y_k f(s_k)^T
    with torch.no_grad():
        codes = learner.encoder(support.flatten(0, 1)).reshape(2, 3, -1)
        onehot = torch.nn.functional.one_hot(labels, 3).float()
        ages = torch.tensor([2.0, 1.0, 0.0])
        hebb = torch.einsum("k,bky,bkf->byf", 0.5 * 0.5**ages, onehot, codes)
        expected = torch.einsum("yf,byf,bf->by", learner.output.alpha, hebb, learner.encoder(query))
    torch.testing.assert_close(logits.detach(), expected)


def test_rotated_classes_and_the_pixel_baseline() -> None:
    images = torch.arange(8.0).reshape(2, 2, 2)
    turned, labels = rotated_classes(images, torch.tensor([0, 1]))
    assert labels.tolist() == [0, 4, 1, 5, 2, 6, 3, 7]
    torch.testing.assert_close(turned[2], torch.rot90(images[0], 1))
    same, same_labels = rotated_classes(images, torch.tensor([0, 1]), rotations=False)
    assert same is images and same_labels.tolist() == [0, 1]
    support = torch.eye(3).reshape(1, 3, 1, 3)
    episode = OneShotEpisode(
        support, torch.tensor([[2, 0, 1]]), torch.tensor([[[0.0, 0.2, 1.0]]]),
        torch.tensor([1]), torch.tensor([[0, 1, 2]]),
    )  # fmt: skip
    assert pixel_nearest_neighbour(episode).tolist() == [1]


@pytest.mark.parametrize("alpha_mode", list(AlphaMode))
def test_the_factored_run_is_the_cells_factored_method(alpha_mode: AlphaMode) -> None:
    cell = PlasticRecurrentCell(
        4, alpha_mode=alpha_mode, alpha_init=0.5, generator=seeded(0), dtype=torch.float64
    )
    drives = torch.randn(5, 2, 4, generator=seeded(1), dtype=torch.float64)
    expected = cell.run(drives, method=RunMethod.DENSE)[0]
    got = factored_decaying_run(drives, cell.weight, cell.alpha, cell.eta)
    torch.testing.assert_close(got, expected)
