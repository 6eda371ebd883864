"""The episode generators follow the papers' protocols."""

from __future__ import annotations

import pytest
import torch

from hebbian.plastic import CueRewardTask, ImageTask, OneShotTask, PatternTask, bit_error
from hebbian.plastic.tasks import StimulusResponseTask


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_pattern_episode_schedule_and_cue() -> None:
    task = PatternTask(
        pattern_size=10, patterns=3, presentation_steps=2, gap_steps=1, cycles=2, test_steps=2
    )
    assert task.steps == 2 * 3 * 3 + 2 and task.neurons == 11
    episode = task.sample(4, generator=seeded(0))
    inputs = episode.inputs / task.input_scale  # (T, B, 11)
    torch.testing.assert_close(inputs[:, :, -1], torch.ones(task.steps, 4))  # bias neuron
    bits = inputs[:, :, :-1]
    for b in range(4):
        shown = []
        for cycle in range(2):
            for k in range(3):
                start = cycle * 9 + k * 3
                block = bits[start : start + 3, b]
                torch.testing.assert_close(block[0], block[1])  # 2 presentation steps
                assert torch.count_nonzero(block[2]) == 0  # 1 empty step
                shown.append(block[0])
        patterns = torch.stack(shown[:3])
        assert bool((patterns.abs() == 1).all())
        assert patterns.sum(dim=1).tolist() == [0.0, 0.0, 0.0]  # balanced
        second_cycle = torch.stack(shown[3:])  # the same patterns, in some order
        assert sorted(map(tuple, second_cycle.tolist())) == sorted(map(tuple, patterns.tolist()))
        # the test cue is the target with exactly half its bits zeroed
        cue = bits[-1, b]
        torch.testing.assert_close(bits[-2, b], cue)
        erased = episode.erased[b]
        assert int(erased.sum()) == 5
        assert torch.count_nonzero(cue[erased]) == 0
        torch.testing.assert_close(cue[~erased], episode.target[b][~erased])
        assert any(torch.equal(episode.target[b], p) for p in patterns)


def test_the_same_seed_gives_the_same_episodes() -> None:
    task = PatternTask(pattern_size=20, patterns=2)
    a, b = task.sample(3, generator=seeded(5)), task.sample(3, generator=seeded(5))
    torch.testing.assert_close(a.inputs, b.inputs)
    assert torch.equal(a.erased, b.erased)


def test_bit_error_by_hand_and_with_a_mask() -> None:
    output = torch.tensor([[0.5, -0.5, 0.2, -0.1], [1.0, 1.0, 1.0, 1.0]])
    target = torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, -1.0, -1.0, -1.0]])
    torch.testing.assert_close(bit_error(output, target), torch.tensor([0.5, 0.75]))
    mask = torch.tensor([[True, True, False, False], [False, False, False, True]])
    torch.testing.assert_close(bit_error(output, target, mask), torch.tensor([0.5, 1.0]))


def test_image_episode_erases_an_upper_or_lower_half() -> None:
    task = ImageTask(images=3, presentation_steps=1, gap_steps=1, cycles=1, test_steps=1)
    pool = torch.rand(12, 6, 5, generator=seeded(1))
    episode = task.sample(pool, 16, generator=seeded(2))
    upper = torch.zeros(6, 5, dtype=torch.bool)
    upper[:3] = True
    kinds = []
    for e in episode.erased.reshape(16, 6, 5):
        assert torch.equal(e, upper) or torch.equal(e, ~upper)
        kinds.append(torch.equal(e, upper))
    assert set(kinds) == {True, False}  # both halves occur
    assert bool((episode.target.abs() <= 1).all())  # pixels in [-1, 1]
    flat = pool.reshape(12, -1) * 2 - 1
    assert all(any(torch.equal(t, f) for f in flat) for t in episode.target)
    cue = episode.inputs[-1, :, :-1] / task.input_scale
    torch.testing.assert_close(cue, episode.target.masked_fill(episode.erased, 0.0))


def test_one_shot_episodes_respect_labels_classes_and_the_held_out_query() -> None:
    images = torch.arange(60.0)[:, None, None].expand(60, 2, 2).contiguous()
    labels = torch.arange(60) % 6  # 6 classes of 10 images; image i has value i
    allowed = torch.tensor([0, 2, 3, 5])
    task = OneShotTask(ways=3, shots=2)
    episode = task.sample(images, labels, 32, generator=seeded(3), classes=allowed)
    assert episode.support.shape == (32, 6, 2, 2)
    for b in range(32):
        ids = episode.support[b, :, 0, 0].long()
        classes = episode.classes[b]
        assert set(classes.tolist()) <= set(allowed.tolist()) and len(set(classes.tolist())) == 3
        # every support example's label names its class
        torch.testing.assert_close(labels[ids], classes[episode.support_labels[b]])
        assert sorted(episode.support_labels[b].tolist()) == [0, 0, 1, 1, 2, 2]
        query_id = int(episode.query[b, 0, 0])
        assert labels[query_id] == classes[episode.query_label[b]]
        assert query_id not in ids.tolist()


def test_cue_reward_answers_rewards_and_inputs() -> None:
    task = CueRewardTask(cue_size=3, cues=4, trials=5)
    episodes = task.sample(64, generator=seeded(4))
    answers = task.correct_answer(episodes, 0)
    present = (episodes.pairs[:, 0] == episodes.target[:, None]).any(dim=1)
    torch.testing.assert_close(answers, present.long())
    assert 0.25 < present.float().mean().item() < 0.75  # about half the pairs hold the target
    # going (answer 1) earns +1 if the target is in the pair, -1 if not; no-go earns 0
    go, no_go = torch.ones(64, dtype=torch.long), torch.zeros(64, dtype=torch.long)
    reward, inputs = task.feedback(episodes, 0, go)
    torch.testing.assert_close(reward, 2 * present.float() - 1)
    # layout: pair (3), prompt, reward, answer one-hot (2), bias
    torch.testing.assert_close(inputs[:, 4], reward)
    torch.testing.assert_close(inputs[:, 5:7], torch.tensor([[0.0, 1.0]]).expand(64, 2))
    reward, inputs = task.feedback(episodes, 0, no_go)
    torch.testing.assert_close(reward, torch.zeros(64))
    torch.testing.assert_close(inputs[:, 5:7], torch.tensor([[1.0, 0.0]]).expand(64, 2))
    assert torch.count_nonzero(inputs[:, :4]) == 0  # no pair, no prompt at feedback
    rows = torch.arange(64)
    pair_sum = (
        episodes.cues[rows, episodes.pairs[:, 2, 0]] + episodes.cues[rows, episodes.pairs[:, 2, 1]]
    )
    stimulus, prompt = task.stimulus(episodes, 2), task.prompt(episodes, 2)
    torch.testing.assert_close(stimulus[:, :3], pair_sum)
    torch.testing.assert_close(prompt[:, :3], pair_sum)  # the pair stays shown
    torch.testing.assert_close(stimulus[:, 3], torch.zeros(64))
    torch.testing.assert_close(prompt[:, 3], torch.ones(64))
    torch.testing.assert_close(prompt[:, -1], torch.ones(64))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: PatternTask(pattern_size=1), ValueError, "pattern_size must be"),
        (lambda: PatternTask(erased_fraction=1.5), ValueError, "erased_fraction must lie"),
        (lambda: PatternTask().sample(2, generator=0), TypeError, "generator must be"),
        (
            lambda: ImageTask(images=4).sample(torch.rand(3, 4, 4), 1, generator=seeded(0)),
            ValueError,
            "pool must hold at least",
        ),
        (
            lambda: OneShotTask(ways=3).sample(
                torch.zeros(4, 2, 2), torch.tensor([0, 0, 1, 1]), 1, generator=seeded(0)
            ),
            ValueError,
            "at least ways=3",
        ),
        (lambda: CueRewardTask(cues=1), ValueError, "cues must be"),
        (lambda: StimulusResponseTask(cue_size=1, cues=3), ValueError, "at most 2\\*\\*cue_size"),
        (lambda: StimulusResponseTask(cues_per_trial=4), ValueError, "below cues = 4"),
        (lambda: StimulusResponseTask(min_trial_steps=4), ValueError, "min_trial_steps must be"),
        (lambda: StimulusResponseTask(max_trial_steps=4), ValueError, "max_trial_steps must be"),
        (lambda: StimulusResponseTask(reward=0.0), ValueError, "reward must be"),
    ],
)
def test_bad_task_arguments_are_refused(call, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=message):
        call()


def test_stimulus_response_trials_follow_the_papers_layout() -> None:
    """Blank, the trial's cues one per step among blanks, the response cue, blank."""
    task = StimulusResponseTask(cue_size=5, cues=4, episode_steps=60)
    e = task.sample(32, generator=seeded(5))
    go = task.cues
    lengths = []
    for b in range(32):
        trials = e.trial[b]
        assert torch.equal(trials, trials.sort().values)  # trials follow each other
        assert int(trials[0]) == 0 and bool(((trials[1:] - trials[:-1]) <= 1).all())
        for t in range(int(trials.max())):  # the last trial is cut by the episode's end
            steps = e.shown[b][trials == t].tolist()
            lengths.append(len(steps))
            assert 5 <= len(steps) <= 8
            assert steps[0] == -1 and steps[-2] == go and steps[-1] == -1
            cues = [s for s in steps[1:-2] if s != -1]
            assert len(cues) == 2 and len(set(cues)) == 2  # two distinct cues, once each
            assert (int(e.target[b]) in cues) == bool(e.target_shown[b][trials == t].all())
        assert torch.equal(e.response[b], e.shown[b] == go)
    assert set(lengths) == {5, 6, 7, 8}  # every length of the authors' 5-8 occurs
    # about half the trials show the target (2 of 4 cues each)
    assert 0.4 < e.target_shown[e.response].float().mean().item() < 0.6


def test_stimulus_response_cues_are_distinct_and_the_seed_fixes_the_episodes() -> None:
    task = StimulusResponseTask(cue_size=2, cues=4, episode_steps=10)  # all 4 2-bit cues
    e = task.sample(50, generator=seeded(1))
    assert bool((e.cues.abs() == 1).all())
    codes = ((e.cues > 0).long() * torch.tensor([1, 2])).sum(dim=2)  # (B, 4)
    assert torch.equal(codes.sort(dim=1).values, torch.arange(4).expand(50, 4))
    again = task.sample(50, generator=seeded(1))
    for a, b in zip(e, again, strict=True):
        assert torch.equal(a, b)


def test_stimulus_response_rewards_the_right_response_only_at_response_steps() -> None:
    task = StimulusResponseTask(cue_size=3, episode_steps=40, reward=2.0)
    e = task.sample(16, generator=seeded(2))
    for step in range(40):
        respond = task.rewards(e, step, torch.ones(16, dtype=torch.long))
        rest = task.rewards(e, step, torch.zeros(16, dtype=torch.long))
        shown = e.target_shown[:, step].float()
        response = e.response[:, step].float()
        # responding is right exactly when the target was shown; anything else costs
        torch.testing.assert_close(respond, response * 2.0 * (2 * shown - 1))
        torch.testing.assert_close(rest, response * 2.0 * (1 - 2 * shown))


def test_stimulus_response_inputs_show_the_cue_and_carry_the_feedback() -> None:
    task = StimulusResponseTask(cue_size=3, episode_steps=30)
    e = task.sample(8, generator=seeded(3))
    stimuli = task.stimuli(e)  # (T, B, cue_size + 3)
    assert stimuli.shape == (30, 8, 6)
    for b in range(8):
        for t in range(30):
            shown = int(e.shown[b, t])
            cue = e.cues[b, shown] if 0 <= shown < 4 else torch.zeros(3)
            torch.testing.assert_close(stimuli[t, b, :3], cue)
            assert stimuli[t, b, 3].item() == float(shown == 4)  # the response cue
    torch.testing.assert_close(stimuli[:, :, 4], torch.ones(30, 8))  # bias
    torch.testing.assert_close(stimuli[:, 0, 5], torch.arange(30.0) / 30)  # time
    first = task.inputs(stimuli[0], None, None)
    assert first.shape == (8, task.input_size) and torch.count_nonzero(first[:, 6:]) == 0
    reward = torch.tensor([1.0, -1.0, 0.0, 0.0, 1.0, 0.0, 0.0, -1.0])
    action = torch.tensor([1, 0, 0, 1, 1, 0, 1, 0])
    later = task.inputs(stimuli[5], reward, action)
    torch.testing.assert_close(later[:, :6], stimuli[5])
    torch.testing.assert_close(later[:, 6], reward)
    torch.testing.assert_close(later[:, 7:9], torch.nn.functional.one_hot(action, 2).float())
