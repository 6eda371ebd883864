"""The networks built from plain sizes, the one-shot learner and the factored fast path."""

from __future__ import annotations

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
