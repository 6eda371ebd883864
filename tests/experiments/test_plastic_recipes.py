"""The differentiable-plasticity recipes, end to end at small settings (embedded data only)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hebbian.experiments.base import build_config, execute
from hebbian.experiments.plastic import (
    NEUROMOD_CUE_REWARD,
    PLASTIC_IMAGES,
    PLASTIC_ONESHOT,
    PLASTIC_PATTERNS,
    CueRewardConfig,
    PatternsConfig,
)
from hebbian.plastic import AlphaMode, ModelKind


def tour(recipe, folder: Path, **overrides: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    config = build_config(recipe.config_type, {**recipe.tour, **overrides})
    return execute(recipe, config, folder)


def test_patterns_plastic_network_completes_them_and_the_baselines_do_not(tmp_path: Path) -> None:
    summary = tour(PLASTIC_PATTERNS, tmp_path)
    results = summary["results"]
    assert results["neurons"] == 51
    for name in ("plastic", "rnn", "lstm"):  # guessing the erased half scores 0.25
        assert results[f"{name}_first_bit_error"] > 0.15
    assert results["plastic_test_bit_error"] < 0.06
    assert results["rnn_test_bit_error"] > 0.2
    assert results["lstm_test_bit_error"] > 0.2
    # the plastic network's gains are on the erased bits, the ones it must recall
    assert results["plastic_test_bit_error_erased"] < 0.12
    files = {figure["file"] for figure in summary["figures"]}
    assert files == {"bit_error.png", "completions.png"}
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["episodes"] for r in records] == list(range(160, 1601, 160))
    assert records[-1]["plastic_bit_error"] < records[0]["plastic_bit_error"] / 2
    # judged against the paper: below 0.01 (this short run is not), the RNN at chance
    verdicts = {v["result"]: v for v in summary["verdicts"]}
    plastic = verdicts["plastic_test_bit_error"]
    assert plastic["expected"] == 0.01 and plastic["relation"] == "at_most"
    assert plastic["met"] is (results["plastic_test_bit_error"] <= 0.01)
    assert verdicts["rnn_test_bit_error"]["met"]
    assert "2 random 50-bit patterns (51 neurons)" in summary["description"]


def test_images_are_completed_better_than_the_cue_leaves_them(tmp_path: Path) -> None:
    results = tour(PLASTIC_IMAGES, tmp_path)["results"]
    assert results["neurons"] == 65  # 8x8 digits and a bias neuron
    # the cue leaves the erased half at 0; the network fills it in from memory
    assert results["test_erased_half_abs_error"] < 0.6 * results["cue_erased_half_abs_error"]
    assert (tmp_path / "reconstructions.png").exists()


def test_one_shot_classifies_held_out_classes_above_chance(tmp_path: Path) -> None:
    results = tour(PLASTIC_ONESHOT, tmp_path)["results"]
    assert results["meta_train_classes"] == 24 and results["meta_test_classes"] == 16
    assert results["meta_test_base_classes"] == [6, 7, 8, 9]
    assert results["chance"] == pytest.approx(0.2)
    assert results["meta_test_accuracy"] > 0.2 + 3 * results["meta_test_accuracy_ci95"] / 1.96


TINY_CUE_REWARD = {
    "task.cue_size": 6,
    "task.trials": 4,
    "models": ("retroactive", "lstm"),
    "hidden": 8,
    "steps": 4,
    "batch_size": 4,
    "steps_per_epoch": 2,
    "test_episodes": 8,
}


def test_cue_reward_runs_and_reports_every_network(tmp_path: Path) -> None:
    results = execute(
        NEUROMOD_CUE_REWARD, build_config(CueRewardConfig, TINY_CUE_REWARD), tmp_path
    )["results"]
    for name in ("retroactive", "lstm"):
        assert -1.0 <= results[f"{name}_late_reward"] <= 1.0
        assert 0.0 <= results[f"{name}_last_trial_accuracy"] <= 1.0
    assert (tmp_path / "within_episode.png").exists()
    # every logged point carries the gradient's norm before clipping
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert all(r["retroactive_grad_norm"] > 0 and r["lstm_grad_norm"] > 0 for r in records)


def test_cue_reward_clips_the_gradient_at_the_authors_norm_unless_told_not_to() -> None:
    default = build_config(CueRewardConfig)
    assert default.max_grad_norm == 2.0
    assert "norm clipped to 2 before each step" in NEUROMOD_CUE_REWARD.describe(default)
    off = build_config(CueRewardConfig, ["max_grad_norm=0"])
    assert "without gradient clipping" in NEUROMOD_CUE_REWARD.describe(off)
    with pytest.raises(ValueError, match="max_grad_norm must be a finite number >= 0"):
        build_config(CueRewardConfig, {"max_grad_norm": -1.0})


def test_an_interrupted_run_resumes_to_the_same_numbers(
    tmp_path: Path, killed_and_resumed: Callable[..., dict[str, Any]]
) -> None:
    """Weights, Adam's state and the random stream all come back from the checkpoint."""
    config = build_config(CueRewardConfig, TINY_CUE_REWARD)
    whole = execute(NEUROMOD_CUE_REWARD, config, tmp_path / "whole")
    resumed = killed_and_resumed(NEUROMOD_CUE_REWARD, config, tmp_path / "resumed")
    assert resumed["results"] == whole["results"]
    # resuming a finished run trains nothing and reports the same trained networks
    again = execute(NEUROMOD_CUE_REWARD, config, tmp_path / "resumed", resume=True)
    assert again["results"] == whole["results"]
    assert (tmp_path / "resumed" / "metrics.jsonl").read_text() == (
        tmp_path / "whole" / "metrics.jsonl"
    ).read_text()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"models": ("plastic", "gru")}, "models: expected one of .*, got 'gru'"),
        ({"models": ("modulated",)}, "not used by this recipe"),
        ({"alpha_mode": "each"}, "alpha_mode: expected one of per_connection, shared"),
        ({"episodes_per_epoch": 50, "batch_size": 16}, "multiple of batch_size"),
        ({"task.pattern_size": 1}, "pattern_size must be"),
    ],
)
def test_bad_pattern_settings_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_config(PatternsConfig, overrides)


@pytest.mark.parametrize(
    "recipe", [PLASTIC_PATTERNS, PLASTIC_IMAGES, PLASTIC_ONESHOT, NEUROMOD_CUE_REWARD]
)
def test_default_and_tour_settings_are_valid(recipe) -> None:  # type: ignore[no-untyped-def]
    build_config(recipe.config_type)  # the full-size run
    build_config(recipe.config_type, recipe.tour)


def test_settings_parse_from_the_command_line_form() -> None:
    config = build_config(PatternsConfig, ["models=plastic,rnn", "alpha_mode=shared"])
    assert config.models == (ModelKind.PLASTIC, ModelKind.RNN)
    assert config.alpha_mode is AlphaMode.SHARED
    assert build_config(PatternsConfig, ["task.patterns=3"]).task.patterns == 3
    with pytest.raises(ValueError, match="dataset must be one of"):
        build_config(PLASTIC_IMAGES.config_type, ["dataset=cifar10"])
    with pytest.raises(ValueError, match="ways=5 needs at least 5 classes"):
        build_config(PLASTIC_ONESHOT.config_type, ["rotations=false"])


def test_descriptions_and_expectations_follow_the_config_run() -> None:
    full = build_config(PatternsConfig)  # the paper's 1000-bit task
    assert "about 200 episodes" in PLASTIC_PATTERNS.describe(full)
    assert [e.result for e in PLASTIC_PATTERNS.expectations(full)] == ["plastic_test_bit_error"]
    other = build_config(PatternsConfig, {"task.pattern_size": 30, "models": ("plastic", "rnn")})
    assert "no number for this size" in PLASTIC_PATTERNS.describe(other)
    assert [e.result for e in PLASTIC_PATTERNS.expectations(other)] == ["rnn_test_bit_error"]
    cue = build_config(CueRewardConfig, {"models": ("modulated", "rnn"), "hidden": 8})
    rules = {e.result: e.relation for e in NEUROMOD_CUE_REWARD.expectations(cue)}
    assert rules == {"modulated_late_accuracy": "at_least", "rnn_late_accuracy": "at_most"}
    assert "8 neurons each" in NEUROMOD_CUE_REWARD.describe(cue)
    one_shot = build_config(PLASTIC_ONESHOT.config_type, {"task.ways": 3, "dataset": "digits"})
    assert "3-way 1-shot" in PLASTIC_ONESHOT.describe(one_shot)
    images = build_config(PLASTIC_IMAGES.config_type, {"dataset": "digits", "task.gap_steps": 2})
    assert "2 empty steps" in PLASTIC_IMAGES.describe(images)


def test_bit_errors_do_not_depend_on_the_thread_count(tmp_path: Path, threads) -> None:
    """The bit errors are counts of signs: rounding differences between 1 and 2 threads
    must not flip any of them."""
    results = []
    for count in (1, 2):
        with threads(count):
            summary = tour(PLASTIC_PATTERNS, tmp_path / str(count), episodes=480)
        results.append({k: v for k, v in summary["results"].items() if "bit_error" in k})
    assert results[0] == results[1]


@pytest.mark.parametrize(
    ("recipe", "overrides", "message"),
    [
        (PLASTIC_PATTERNS, {"task.pattern_size": 10**6}, "pattern_size=1000000 "),
        (PLASTIC_IMAGES, {"batch_size": 10**9, "episodes_per_epoch": 10**9, "episodes": 10**9},
         "batch_size=1000000000, "),
        (PLASTIC_ONESHOT, {"channels": 10**6}, "channels=1000000, "),
        (NEUROMOD_CUE_REWARD, {"hidden": 10**6}, "hidden=1000000, "),
    ],
)  # fmt: skip
def test_sizes_that_cannot_fit_in_memory_are_refused_before_allocating(
    recipe, overrides: dict[str, Any], message: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=f"^{message}.* would need .* GB but this machine has"):
        tour(recipe, tmp_path, **overrides)
