"""The competing-hidden-units recipes: the digits tour run, exact resume, the settings, MNIST."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from hebbian.competing import CompetingParams, Homeostasis, TopLoss
from hebbian.experiments import competing as competing_recipes
from hebbian.experiments import recipe_entry
from hebbian.experiments.base import build_config, execute
from hebbian.experiments.competing import (
    KROTOV_DIGITS,
    KROTOV_FASHION,
    KROTOV_MNIST,
    KrotovConfig,
    KrotovDigitsConfig,
    KrotovMnistConfig,
    unsupervised_epochs,
)
from hebbian.runs import Run


def test_digits_tour_learns_prototypes_that_beat_random_features(tmp_path: Path) -> None:
    config = build_config(KROTOV_DIGITS.config_type, KROTOV_DIGITS.tour)
    summary = execute(KROTOV_DIGITS, config, tmp_path)
    results = summary["results"]
    # the units that learn sit on the unit sphere of the 3-norm (they start near 4.6)
    assert results["median_p_norm"] == pytest.approx(1.0, abs=0.02)
    assert results["random_features_p_norm_median"] == pytest.approx(4.6, abs=0.2)
    assert results["converged_fraction"] > 0.5
    # about 0.90 against 0.87 for the untrained weights at their raw N(0, 1) scale, 0.51
    # for the same weights at unit p-norm, and 0.92 for backprop (this split of the
    # digits is harder than most: logistic regression on the pixels gets 0.90)
    assert results["hebbian_test_accuracy"] > 0.88
    assert results["random_raw_features_test_accuracy"] > 0.85
    assert results["random_features_test_accuracy"] < results["random_raw_features_test_accuracy"]
    assert results["hebbian_minus_raw_random_points"] > 1.5
    assert results["backprop_test_accuracy"] > 0.88
    assert results["unsupervised_epochs"] == 60
    assert results["unsupervised_updates"] == 60 * (1437 // 20)
    # no collapse at k = 2 with 100 units: about 90 units win an image in every late epoch
    winners = results["winning_units_per_epoch"]
    assert len(winners) == 60 and results["winning_units"] == winners[-1] > 80
    assert results["opposite_mean_image_fraction"] == 0.0
    for model in ("unsupervised", "hebbian_top", "random_top", "backprop"):
        assert results[f"{model}_wall_seconds"] > 0  # each model's wall time, timed on its own
    files = {figure["file"] for figure in summary["figures"]}
    assert files == {"receptive_fields.png", "weight_norms.png", "winners.png", "accuracy.png"}
    assert all((tmp_path / name).stat().st_size > 10_000 for name in files)
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    first, last = records[0], records[59]
    assert first["p_norm_quantiles_10_50_90"][1] > 3.0 > last["p_norm_quantiles_10_50_90"][1]
    assert last["learning_rate"] == pytest.approx(config.rule.learning_rate / 60)
    assert [r["winning_units"] for r in records[:60]] == winners
    # judged: the p-norm theory, the collapse check and the random-features targets are
    # met; the paper's gap to backprop (0.35 points at 2000 units on MNIST) is not, at 100
    # units on the digits
    verdicts = {v["result"]: v["met"] for v in summary["verdicts"]}
    assert verdicts == {
        "median_p_norm": True,
        "winning_units_fraction": True,
        "hebbian_minus_random_points": True,
        "hebbian_minus_raw_random_points": True,
        "backprop_minus_hebbian_points": results["backprop_minus_hebbian_points"] <= 0.85,
    }
    assert "each of 100 hidden units" in summary["description"]
    record = json.loads((tmp_path / "config.json").read_text())
    assert record["config"]["dataset"] == "digits"
    assert {(e["dataset"], e["split"]) for e in record["data"]} == {
        ("digits", "train"), ("digits", "test"),
    }  # fmt: skip


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


def test_an_interrupted_run_with_thresholds_resumes_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thresholds of Homeostasis.THRESHOLD are checkpointed with the hidden weights."""
    monkeypatch.setattr(competing_recipes, "_figures", lambda *args: None)  # numbers only
    config = dataclasses.replace(
        TINY, rule=dataclasses.replace(TINY.rule, homeostasis=Homeostasis.THRESHOLD)
    )
    straight = execute(KROTOV_DIGITS, config, tmp_path / "straight")
    original = Run.checkpoint

    def checkpoint_then_stop(self: Run, step: int, tensors: dict) -> None:
        original(self, step, tensors)
        if step == 2:  # in the unsupervised phase, thresholds half-way
            assert "hebbian.model.thresholds" in tensors
            raise KeyboardInterrupt

    monkeypatch.setattr(Run, "checkpoint", checkpoint_then_stop)
    with pytest.raises(KeyboardInterrupt):
        execute(KROTOV_DIGITS, config, tmp_path / "resumed")
    monkeypatch.setattr(Run, "checkpoint", original)
    resumed = execute(KROTOV_DIGITS, config, tmp_path / "resumed", resume=True)
    assert _without_timings(resumed["results"]) == _without_timings(straight["results"])
    plain = execute(KROTOV_DIGITS, TINY, tmp_path / "plain")
    assert plain["results"]["median_p_norm"] != straight["results"]["median_p_norm"]
    assert "adaptive threshold" in KROTOV_DIGITS.describe(config)


def test_fashion_defaults_are_the_full_size_paper_settings() -> None:
    config = build_config(KROTOV_FASHION.config_type)
    assert isinstance(config, KrotovConfig)
    assert config.dataset == "fashion-mnist" and config.updates is None
    assert config.rule == CompetingParams(
        hidden_units=2000, p=3.0, k=2, delta=0.4, learning_rate=0.04, batch_size=100, epochs=50
    )
    assert config.rule.homeostasis is Homeostasis.NONE  # the published rule
    expected = {"power": 4.5, "m": 6.0, "beta": 0.01, "loss": TopLoss.POWER}
    assert {key: getattr(config, key) for key in expected} == expected
    assert KROTOV_FASHION.name == "krotov-fashion" and KROTOV_DIGITS.name == "krotov-digits"
    build_config(KROTOV_FASHION.config_type, KROTOV_FASHION.tour)  # valid small settings


def test_mnist_defaults_are_the_papers_network() -> None:
    config = build_config(KROTOV_MNIST.config_type)
    assert isinstance(config, KrotovMnistConfig) and config.dataset == "mnist"
    assert config.rule == CompetingParams(
        hidden_units=2000, p=3.0, k=7, delta=0.4, learning_rate=0.04, batch_size=100,
        epochs=1000,
    )  # fmt: skip
    assert (config.power, config.m) == (4.5, 6.0)
    entry = recipe_entry("krotov-mnist")
    assert entry.load() is KROTOV_MNIST and not entry.in_tour
    results = {e.result for e in KROTOV_MNIST.expectations(config)}
    assert {"winning_units_fraction", "hebbian_test_accuracy"} <= results


@pytest.mark.filterwarnings("ignore::hebbian.data.DatasetDigestWarning")  # tiny stand-ins
def test_mnist_runs_on_mnist_files_and_records_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_mnist: Path
) -> None:
    monkeypatch.setattr(competing_recipes, "_figures", lambda *args: None)  # numbers only
    data_dir = tiny_mnist
    config = build_config(
        KROTOV_MNIST.config_type,
        ["rule.hidden_units=20", "rule.batch_size=20", "updates=20", "top_epochs=2",
         "backprop_epochs=1", "top_batch_size=40", "backprop_batch_size=40"],
    )  # fmt: skip
    summary = execute(KROTOV_MNIST, config, tmp_path / "run", data_dir=data_dir)
    results = summary["results"]
    # 120 images in batches of 20: 6 updates an epoch, so 4 epochs make >= 20 updates
    assert results["unsupervised_epochs"] == 4 and results["unsupervised_updates"] == 24
    assert len(results["winning_units_per_epoch"]) == 4
    assert "over the whole epochs that make at least 20 updates" in summary["description"]
    assert "on MNIST" in summary["description"]
    record = json.loads((tmp_path / "run" / "config.json").read_text())
    assert record["config"]["dataset"] == "mnist" and record["config"]["updates"] == 20
    assert sorted((e["dataset"], e["split"], Path(e["path"]).name) for e in record["data"]) == [
        ("mnist", "test", "t10k-images-idx3-ubyte.gz"),
        ("mnist", "test", "t10k-labels-idx1-ubyte.gz"),
        ("mnist", "train", "train-images-idx3-ubyte.gz"),
        ("mnist", "train", "train-labels-idx1-ubyte.gz"),
    ]
    assert {Path(e["path"]).parent for e in record["data"]} == {data_dir.resolve()}


def test_the_dataset_setting_chooses_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """krotov-fashion pointed at the digits trains on the digits, and says so."""
    monkeypatch.setattr(competing_recipes, "_figures", lambda *args: None)  # numbers only
    config = dataclasses.replace(
        build_config(KrotovConfig, ["dataset=digits", "receptive_fields=9"]),
        rule=TINY.rule, top_epochs=1, backprop_epochs=1, top_batch_size=200,
        backprop_batch_size=200,
    )  # fmt: skip
    summary = execute(KROTOV_FASHION, config, tmp_path)
    assert "on the embedded 8x8 digits" in summary["description"]
    record = json.loads((tmp_path / "config.json").read_text())
    assert {e["dataset"] for e in record["data"]} == {"digits"}
    # the backprop expectation measured on Fashion-MNIST is not applied to other data
    assert "backprop_test_accuracy" not in {v["result"] for v in summary["verdicts"]}
    with pytest.raises(ValueError, match="dataset must be one of digits, fashion-mnist, mnist"):
        build_config(KrotovConfig, ["dataset=cifar"])


def test_updates_give_whole_epochs_enough_for_them() -> None:
    digits = KrotovDigitsConfig()  # 1437 images in batches of 20: 71 updates an epoch
    assert unsupervised_epochs(digits, 1437) == 60  # updates unset: rule.epochs
    assert unsupervised_epochs(dataclasses.replace(digits, updates=71), 1437) == 1
    assert unsupervised_epochs(dataclasses.replace(digits, updates=72), 1437) == 2
    fashion = KrotovConfig(updates=30_000)  # 600 updates an epoch of 100
    assert unsupervised_epochs(fashion, 60_000) == 50
    with pytest.raises(ValueError, match=r"make no batch of rule\.batch_size = 20"):
        unsupervised_epochs(dataclasses.replace(digits, updates=10), 19)
    with pytest.raises(ValueError, match="updates"):
        KrotovConfig(updates=0)


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


def test_krotov_digits_trains_in_float64_and_fashion_in_float32_by_default() -> None:
    """The tour's krotov-digits runs in float64 so its documented numbers do not depend on
    the summation order (in float32 an ulp of difference grew to 6e-4 in 60 epochs)."""
    import torch

    from hebbian.experiments.base import Precision
    from hebbian.experiments.competing import KrotovConfig, KrotovDigitsConfig

    assert KrotovDigitsConfig().precision.dtype == torch.float64
    assert KrotovConfig().precision is Precision.FLOAT32
