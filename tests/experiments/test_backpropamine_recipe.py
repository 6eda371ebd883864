"""``backpropamine-cue-reward`` end to end at a tiny size, its settings and its verdict."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hebbian.experiments import get_recipe, recipe_entry
from hebbian.experiments.base import build_config, execute
from hebbian.experiments.plastic import BACKPROPAMINE_CUE_REWARD, BackpropamineConfig
from hebbian.plastic import ModelKind

TINY = {
    "task.cue_size": 6,
    "task.episode_steps": 14,
    "models": ("retroactive", "rnn"),
    "hidden": 6,
    "iterations": 4,
    "batch_size": 3,
    "iterations_per_epoch": 2,
    "test_episodes": 6,
}


def test_the_recipe_is_registered_outside_the_tour() -> None:
    entry = recipe_entry("backpropamine-cue-reward")
    assert not entry.in_tour and get_recipe(entry.name) is BACKPROPAMINE_CUE_REWARD
    assert entry.summary == BACKPROPAMINE_CUE_REWARD.summary


def test_a_tiny_run_reports_every_network_the_margins_and_the_figures(tmp_path: Path) -> None:
    summary = execute(BACKPROPAMINE_CUE_REWARD, build_config(BackpropamineConfig, TINY), tmp_path)
    results = summary["results"]
    trials = results["mean_trials_per_episode"]
    assert 1 <= trials <= 14 / 5 + 1 and results["best_reward"] == pytest.approx(trials)
    for name in ("retroactive", "rnn", "retroactive_greedy", "rnn_greedy"):
        assert -trials <= results[f"{name}_reward"] <= trials
        assert 0.0 <= results[f"{name}_late_right"] <= 1.0
        assert results[f"{name}_reward_sem"] >= 0.0
    assert results["non_modulated_best_reward"] == results["rnn_reward"]
    margin = results["retroactive_reward"] - results["rnn_reward"]
    assert results["retroactive_margin"] == pytest.approx(margin)
    # the verdict is the paper's ordering, and it is judged
    [verdict] = summary["verdicts"]
    assert verdict["result"] == "retroactive_margin" and verdict["met"] == (margin >= 1.0)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["episodes"] for r in records] == [6, 12]
    assert all(r["rnn_grad_norm"] > 0 for r in records)
    assert (tmp_path / "reward.png").exists() and (tmp_path / "within_episode.png").exists()


def test_an_interrupted_run_resumes_to_the_same_numbers(
    tmp_path: Path, killed_and_resumed: Callable[..., dict[str, Any]]
) -> None:
    config = build_config(BackpropamineConfig, TINY)
    whole = execute(BACKPROPAMINE_CUE_REWARD, config, tmp_path / "whole")
    resumed = killed_and_resumed(BACKPROPAMINE_CUE_REWARD, config, tmp_path / "resumed")
    assert resumed["results"] == whole["results"]


def test_the_defaults_are_the_authors_but_for_size_and_the_description_gives_the_paper_size() -> (
    None
):
    config = build_config(BackpropamineConfig)
    assert config.models == (
        ModelKind.RETROACTIVE,
        ModelKind.MODULATED,
        ModelKind.PLASTIC,
        ModelKind.RNN,
    )
    assert (config.batch_size, config.learning_rate, config.adam_eps) == (30, 1e-4, 1e-6)
    assert (config.max_grad_norm, config.gamma, config.value_coef) == (2.0, 0.9, 0.1)
    task = config.task
    assert (task.cue_size, task.cues, task.episode_steps) == (20, 4, 120)
    assert (task.min_trial_steps, task.max_trial_steps) == (5, 8)
    text = BACKPROPAMINE_CUE_REWARD.describe(config)
    assert "--set hidden=200 --set iterations=200000" in text
    full = build_config(BackpropamineConfig, ["hidden=200", "iterations=200000"])
    assert "Networks of 200 neurons" in BACKPROPAMINE_CUE_REWARD.describe(full)
    assert [e.result for e in BACKPROPAMINE_CUE_REWARD.expectations(config)] == [
        "retroactive_margin",
        "modulated_margin",
    ]
    # without both families there is no ordering to judge
    alone = build_config(BackpropamineConfig, {"models": ("modulated",)})
    assert BACKPROPAMINE_CUE_REWARD.expectations(alone) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"models": ("lstm",)}, "not used by this recipe"),
        ({"iterations": 5, "iterations_per_epoch": 2}, "multiple of iterations_per_epoch"),
        ({"max_grad_norm": -1.0}, "max_grad_norm must be"),
        ({"gamma": 1.5}, "gamma must lie in"),
        ({"task.min_trial_steps": 3}, "min_trial_steps must be"),
        ({"hidden": 10**6}, "hidden=1000000, .* would need .* GB"),
    ],
)
def test_bad_settings_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_config(BackpropamineConfig, {**TINY, **overrides})
