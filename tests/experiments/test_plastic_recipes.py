"""The differentiable-plasticity recipes, end to end at small settings (embedded data only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from hebbian.experiments.base import build_config, execute
from hebbian.experiments.plastic import (
    NEUROMOD_CUE_REWARD,
    PLASTIC_IMAGES,
    PLASTIC_ONESHOT,
    PLASTIC_PATTERNS,
    CueRewardConfig,
    PatternsConfig,
)
from hebbian.runs import Run


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Thousands of tiny operations: one thread avoids OpenMP waits on a busy machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
    "cue_size": 6,
    "trials": 4,
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


class SimulatedKillError(RuntimeError):
    pass


def test_an_interrupted_run_resumes_to_the_same_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Weights, Adam's state and the random stream all come back from the checkpoint."""
    config = build_config(CueRewardConfig, TINY_CUE_REWARD)
    whole = execute(NEUROMOD_CUE_REWARD, config, tmp_path / "whole")

    original_log = Run.log

    def log_then_stop(self: Run, step: int, **metrics: Any) -> None:
        if step == 2:
            raise SimulatedKillError("killed after the checkpoint of epoch 1")
        original_log(self, step, **metrics)

    monkeypatch.setattr(Run, "log", log_then_stop)
    with pytest.raises(SimulatedKillError):
        execute(NEUROMOD_CUE_REWARD, config, tmp_path / "resumed")
    monkeypatch.setattr(Run, "log", original_log)
    resumed = execute(NEUROMOD_CUE_REWARD, config, tmp_path / "resumed", resume=True)
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
        ({"models": ("plastic", "gru")}, "unknown model 'gru'"),
        ({"models": ("modulated",)}, "not used by this recipe"),
        ({"alpha_mode": "each"}, "alpha_mode must be one of"),
        ({"episodes_per_epoch": 50, "batch_size": 16}, "multiple of batch_size"),
        ({"pattern_size": 1}, "pattern_size must be"),
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
    assert config.models == ("plastic", "rnn") and config.alpha_mode == "shared"
    with pytest.raises(ValueError, match="dataset must be one of"):
        build_config(PLASTIC_IMAGES.config_type, ["dataset=cifar10"])
    with pytest.raises(ValueError, match="ways=5 needs at least 5 classes"):
        build_config(PLASTIC_ONESHOT.config_type, ["rotations=false"])
