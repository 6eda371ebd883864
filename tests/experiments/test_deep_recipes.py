"""The deep Hebbian recipes: a small digits run, exact resume, the settings, CIFAR-10 files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from hebbian.data import DatasetDigestWarning
from hebbian.data.cifar10 import write_cifar10_archive
from hebbian.deep import Pooling
from hebbian.experiments import recipe_entry
from hebbian.experiments.base import build_config, execute
from hebbian.experiments.deep import (
    SOFTHEBB_CIFAR10,
    SOFTHEBB_DIGITS,
    SOFTHEBB_FASHION,
    DeepConfig,
    DeepDigitsConfig,
    DeepModel,
    SoftHebbCifar10Config,
)

#: A digits run of a few seconds: every model, small widths, a few supervised epochs.
SMALL = DeepDigitsConfig(
    channels=(8, 16), probe_epochs=3, probe_learning_rate=0.01, backprop_epochs=2, filters=8
)


def test_a_small_digits_run_trains_and_compares_every_model(tmp_path: Path) -> None:
    summary = execute(SOFTHEBB_DIGITS, SMALL, tmp_path)
    results = summary["results"]
    for model in ("softhebb", "hard-wta", "krotov", "random"):
        layers = results[f"{model}_layer_test_accuracy"]
        assert len(layers) == 2 and all(0.5 < a <= 1.0 for a in layers)  # chance: 0.1
        assert results[f"{model}_test_accuracy"] == layers[-1]
        assert results[f"{model}_probe_wall_seconds"] > 0  # each model timed on its own
    for model in ("softhebb", "hard-wta", "krotov"):
        assert results[f"{model}_unsupervised_wall_seconds"] > 0
        # learning moved the first layer's kernels away from their initial norms
        assert results[f"{model}_median_norm_per_layer"][0] != pytest.approx(
            results["initial_median_norm_per_layer"][0], abs=1e-3
        )
    assert results["krotov_first_layer_median_norm"] == pytest.approx(1.0, abs=0.05)
    assert results["backprop_test_accuracy"] > 0.5 and results["backprop_wall_seconds"] > 0
    difference = results["softhebb_test_accuracy"] - results["random_test_accuracy"]
    assert results["softhebb_minus_random_points"] == pytest.approx(100 * difference)
    files = {figure["file"] for figure in summary["figures"]}
    assert files == {"filters.png", "layer_accuracy.png", "weight_norms.png", "accuracy.png"}
    assert all((tmp_path / name).stat().st_size > 5_000 for name in files)
    verdicts = {v["result"] for v in summary["verdicts"]}
    assert verdicts == {
        "softhebb_first_layer_median_norm",
        "softhebb_minus_random_points",
        "backprop_minus_softhebb_points",
    }


def test_an_interrupted_run_resumes_exactly(tmp_path: Path, killed_and_resumed) -> None:  # type: ignore[no-untyped-def]
    config = dataclasses.replace(
        SMALL,
        models=(DeepModel.SOFTHEBB, DeepModel.RANDOM, DeepModel.BACKPROP),
        channels=(4, 8),
        probe_epochs=2,
        backprop_epochs=2,
        filters=4,
    )
    whole = execute(SOFTHEBB_DIGITS, config, tmp_path / "whole")["results"]
    resumed = killed_and_resumed(SOFTHEBB_DIGITS, config, tmp_path / "resumed")["results"]
    for key, value in whole.items():
        if "seconds" not in key:
            assert resumed[key] == value, key


def test_the_fashion_defaults_are_two_blocks_of_the_papers_shape() -> None:
    config = DeepConfig()
    assert config.dataset == "fashion-mnist" and config.unsupervised_epochs == 1
    assert config.channels == (32, 128) and config.kernels == (5, 3)
    assert config.grids() == [(14, 14), (7, 7)]
    assert config.probe_features() == [32 * 9, 128 * 9]
    assert config.batch_size == 10


def test_the_cifar10_defaults_are_the_papers_network() -> None:
    config = SoftHebbCifar10Config()
    assert config.channels == (96, 384, 1536) and config.kernels == (5, 3, 3)
    assert config.pools == (Pooling.MAX, Pooling.MAX, Pooling.AVERAGE)
    assert config.grids() == [(16, 16), (8, 8), (4, 4)]
    assert config.probe_features()[-1] == 1536 * 4 * 4  # the flattened last block
    assert config.temperatures == pytest.approx((1.0, 1 / 0.65, 4.0))
    assert config.probe_epochs == 50 and config.probe_batch_size == 64


def test_cifar10_runs_on_cifar10_files_and_records_them(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(60, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, size=60)
    write_cifar10_archive(
        data / "cifar-10-python.tar.gz", images[:50], labels[:50], images[50:], labels[50:]
    )
    config = build_config(
        SoftHebbCifar10Config,
        ["channels=4,8,8", "probe_epochs=1", "backprop_epochs=1", "filters=4"],
    )
    with pytest.warns(DatasetDigestWarning, match="does not match CIFAR-10's known digests"):
        summary = execute(SOFTHEBB_CIFAR10, config, tmp_path / "run", data_dir=data)
    assert set(summary["results"]) >= {"softhebb_test_accuracy", "random_test_accuracy"}
    record = (tmp_path / "run" / "config.json").read_text()
    assert "cifar-10-python.tar.gz" in record and "sha256" in record


def test_bad_settings_are_refused_by_name() -> None:
    with pytest.raises(
        ValueError, match=r"kernels must give one value per block \(2, as channels\)"
    ):
        build_config(DeepConfig, ["kernels=5"])
    with pytest.raises(ValueError, match="models must not repeat a model"):
        build_config(DeepConfig, ["models=softhebb,softhebb"])
    with pytest.raises(ValueError, match="shrink the"):
        build_config(DeepDigitsConfig, ["pool_sizes=8,8", "pool_strides=8,8"])
    with pytest.raises(ValueError, match="dataset must be one of"):
        build_config(DeepConfig, ["dataset=cifar"])


def test_the_recipes_are_registered() -> None:
    for recipe in (SOFTHEBB_DIGITS, SOFTHEBB_FASHION, SOFTHEBB_CIFAR10):
        entry = recipe_entry(recipe.name)
        assert entry.load() is recipe and entry.summary == recipe.summary
    assert recipe_entry("softhebb-digits").in_tour  # the tour-size run
    assert not recipe_entry("softhebb-fashion").in_tour
    assert not recipe_entry("softhebb-cifar10").in_tour
