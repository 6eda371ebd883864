"""The competing-hidden-units recipes: the digits tour run, exact resume, Fashion's defaults."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from hebbian.competing import CompetingParams, TopLoss
from hebbian.experiments import competing as competing_recipes
from hebbian.experiments.base import build_config, execute
from hebbian.experiments.competing import (
    KROTOV_DIGITS,
    KROTOV_FASHION,
    KrotovConfig,
    KrotovDigitsConfig,
)
from hebbian.runs import Run


def test_digits_tour_learns_prototypes_that_beat_random_features(tmp_path: Path) -> None:
    config = build_config(KROTOV_DIGITS.config_type, KROTOV_DIGITS.tour)
    summary = execute(KROTOV_DIGITS, config, tmp_path)
    results = summary["results"]
    # the units that learn sit on the unit sphere of the 3-norm (they start near 4.6)
    assert results["median_p_norm"] == pytest.approx(1.0, abs=0.02)
    assert results["converged_fraction"] > 0.5
    # about 0.90 against 0.87 for the untrained weights and 0.92 for backprop (this split
    # of the digits is harder than most: logistic regression on the pixels gets 0.90)
    assert results["hebbian_test_accuracy"] > 0.88
    assert results["hebbian_minus_random_points"] > 1.5
    assert results["backprop_test_accuracy"] > 0.88
    assert results["unsupervised_epochs"] == 60
    for model in ("unsupervised", "hebbian_top", "random_top", "backprop"):
        assert results[f"{model}_wall_seconds"] > 0  # each model's wall time, timed on its own
    files = {figure["file"] for figure in summary["figures"]}
    assert files == {"receptive_fields.png", "weight_norms.png", "accuracy.png"}
    assert all((tmp_path / name).stat().st_size > 10_000 for name in files)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    first, last = records[0], records[59]
    assert first["p_norm_quantiles_10_50_90"][1] > 3.0 > last["p_norm_quantiles_10_50_90"][1]
    assert last["learning_rate"] == pytest.approx(config.rule.learning_rate / 60)
    # judged: the p-norm theory and the random-features target are met; the paper's gap to
    # backprop (0.35 points at 2000 units on MNIST) is not, at 100 units on the digits
    verdicts = {v["result"]: v["met"] for v in summary["verdicts"]}
    assert verdicts == {
        "median_p_norm": True,
        "hebbian_minus_random_points": True,
        "backprop_minus_hebbian_points": results["backprop_minus_hebbian_points"] <= 0.85,
    }
    assert "each of 100 hidden units" in summary["description"]


TINY = KrotovDigitsConfig(
    rule=dataclasses.replace(KrotovDigitsConfig().rule, hidden_units=12, epochs=3, batch_size=50),
    top_epochs=3, backprop_epochs=2, top_batch_size=200, backprop_batch_size=200,
    receptive_fields=9,
)  # fmt: skip


def _without_timings(values: dict) -> dict:
    return {k: v for k, v in values.items() if not k.endswith("seconds")}


def _metrics_without_timings(folder: Path) -> list[dict]:
    records = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    return [_without_timings(r) for r in records]


def test_an_interrupted_run_resumes_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(competing_recipes, "_figures", lambda *args: None)  # numbers only
    straight = execute(KROTOV_DIGITS, TINY, tmp_path / "straight")

    original = Run.checkpoint

    def checkpoint_then_stop(self: Run, step: int, tensors: dict) -> None:
        original(self, step, tensors)
        if step == 5:  # mid-way through the supervised phase, with Adam's moments saved
            raise KeyboardInterrupt

    monkeypatch.setattr(Run, "checkpoint", checkpoint_then_stop)
    with pytest.raises(KeyboardInterrupt):
        execute(KROTOV_DIGITS, TINY, tmp_path / "resumed")
    monkeypatch.setattr(Run, "checkpoint", original)
    resumed = execute(KROTOV_DIGITS, TINY, tmp_path / "resumed", resume=True)
    assert _without_timings(resumed["results"]) == _without_timings(straight["results"])
    assert _metrics_without_timings(tmp_path / "resumed") == _metrics_without_timings(
        tmp_path / "straight"
    )


def test_fashion_defaults_are_the_full_size_paper_settings() -> None:
    config = build_config(KROTOV_FASHION.config_type)
    assert isinstance(config, KrotovConfig)
    assert config.rule == CompetingParams(
        hidden_units=2000, p=3.0, k=2, delta=0.4, learning_rate=0.04, batch_size=100, epochs=50
    )
    expected = {"power": 4.5, "m": 6.0, "beta": 0.01, "loss": TopLoss.POWER}
    assert {key: getattr(config, key) for key in expected} == expected
    assert KROTOV_FASHION.name == "krotov-fashion" and KROTOV_DIGITS.name == "krotov-digits"
    build_config(KROTOV_FASHION.config_type, KROTOV_FASHION.tour)  # valid small settings


def test_bad_settings_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="loss: expected one of power, cross-entropy"):
        build_config(KrotovConfig, ["loss=hinge"])
    assert build_config(KrotovConfig, ["loss=CROSS_ENTROPY"]).loss is TopLoss.CROSS_ENTROPY
    with pytest.raises(ValueError, match="k must be at most hidden_units"):
        build_config(KrotovDigitsConfig, ["rule.hidden_units=5", "rule.k=7"])
    with pytest.raises(ValueError, match="power must be >= 1"):
        dataclasses.replace(KrotovConfig(), power=0.5)
    with pytest.raises(ValueError, match="top_epochs"):
        build_config(KrotovConfig, ["top_epochs=0"])


def test_opposite_mean_image_fraction_counts_units_pointing_against_the_mean() -> None:
    weight = torch.tensor([[-1.0, 0.0], [1.0, 0.0], [-1.0, -0.1], [0.0, 1.0]])
    mean_image = torch.tensor([2.0, 0.0])  # cosines: -1, 1, -0.995, 0
    assert competing_recipes._opposite_mean_fraction(weight, mean_image) == 0.5


def test_accuracies_do_not_depend_on_the_thread_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads
) -> None:
    """Rankings, argmax predictions and so accuracies are the same with 1 and 2 threads."""
    monkeypatch.setattr(competing_recipes, "_figures", lambda *args: None)  # numbers only
    results = []
    for count in (1, 2):
        with threads(count):
            summary = execute(KROTOV_DIGITS, TINY, tmp_path / str(count))
        results.append({k: v for k, v in summary["results"].items() if "accuracy" in k})
    assert results[0] == results[1]


def test_hidden_units_that_cannot_fit_in_memory_are_refused_before_allocating(
    tmp_path: Path,
) -> None:
    """Refused when the settings are read, before a run folder is made."""
    with pytest.raises(
        ValueError,
        match=r"^rule.hidden_units=1000000000 \(.*\) would need .* GB but this machine",
    ):
        build_config(KROTOV_DIGITS.config_type, ["rule.hidden_units=1000000000"])
    assert not any(tmp_path.iterdir())


def test_descriptions_follow_the_config_run() -> None:
    config = build_config(KrotovConfig, ["rule.hidden_units=300", "rule.k=3", "rule.epochs=9"])
    text = KROTOV_FASHION.describe(config)
    assert "on Fashion-MNIST" in text and "each of 300 hidden units" in text
    assert "(k = 3)" in text and "over 9 epochs" in text
    assert any(e.result == "backprop_test_accuracy" for e in KROTOV_FASHION.expectations(config))
