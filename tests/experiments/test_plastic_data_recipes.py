"""The plastic image recipes' data: registry data sets, recorded files, Omniglot's setting."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from hebbian.data import DatasetDigestWarning, registry, write_omniglot_archive
from hebbian.data.registry import OMNIGLOT, ArchiveFile
from hebbian.experiments.base import build_config, execute
from hebbian.experiments.plastic import PLASTIC_IMAGES, PLASTIC_ONESHOT


@pytest.fixture
def tiny_omniglot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with tiny Omniglot archives (6 + 4 characters, 3 drawings each).

    The registry's Omniglot spec is given their MD5 sums, and the cache and system
    folders point into tmp_path, so nothing else on the machine is read.
    """
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("HEBBIAN_DATA", raising=False)
    monkeypatch.setattr(registry, "SYSTEM_DATA_ROOT", tmp_path / "system")
    rng = np.random.default_rng(0)
    folder = tmp_path / "data" / "omniglot"
    folder.mkdir(parents=True)
    files = {}
    for archive, top, count, first in (
        ("images_background.zip", "images_background", 6, 0),
        ("images_evaluation.zip", "images_evaluation", 4, 6),
    ):
        drawings = {}
        for c in range(first, first + count):
            stroke = np.zeros((3, 62, 62), np.uint8)
            row = 4 + 5 * c  # each character a bar at its own height, drawn 3 times
            stroke[:, row : row + 4, 8 + 0 : 50] = 255
            stroke[:, :, :] |= (rng.random((3, 62, 62)) < 0.02).astype(np.uint8) * 255
            drawings[f"Script_{c % 2}/character{c + 1:02d}"] = stroke
        path = write_omniglot_archive(folder / archive, drawings, top=top)
        files[archive] = ArchiveFile(archive, None, hashlib.md5(path.read_bytes()).hexdigest())
    spec = dataclasses.replace(
        OMNIGLOT, train=files["images_background.zip"], test=files["images_evaluation.zip"]
    )
    monkeypatch.setitem(registry.DATASETS, "omniglot", spec)
    return tmp_path / "data"


TINY_ONESHOT = {
    "dataset": "omniglot",
    "omniglot_test_classes": 2,
    "channels": 4,
    "steps": 20,
    "steps_per_epoch": 10,
    "batch_size": 4,
    "learning_rate": 3e-3,
    "test_episodes": 40,
}


def test_oneshot_runs_the_paper_setting_on_omniglot_archives(
    tiny_omniglot: Path, tmp_path: Path
) -> None:
    config = build_config(PLASTIC_ONESHOT.config_type, TINY_ONESHOT)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DatasetDigestWarning)
        summary = execute(PLASTIC_ONESHOT, config, tmp_path / "run", data_dir=tiny_omniglot)
    results = summary["results"]
    # 10 characters pooled from both archives: 8 meta-train, 2 held out, x4 rotations
    assert results["meta_train_characters"] == 8
    assert results["meta_train_classes"] == 32 and results["meta_test_classes"] == 8
    held = results["meta_test_characters"]
    assert len(held) == 2 and all(name.startswith("Script_") for name in held)
    assert 0.0 <= results["meta_test_accuracy"] <= 1.0 and results["chance"] == 0.2
    assert "The paper's data: Omniglot's 1623 characters" in summary["description"]
    record = json.loads((tmp_path / "run" / "config.json").read_text())
    assert [(e["dataset"], e["split"], Path(e["path"]).name) for e in record["data"]] == [
        ("omniglot", "train", "images_background.zip"),
        ("omniglot", "test", "images_evaluation.zip"),
    ]


def test_the_held_out_characters_follow_the_seed(tiny_omniglot: Path, tmp_path: Path) -> None:
    config = build_config(PLASTIC_ONESHOT.config_type, {**TINY_ONESHOT, "steps": 10})
    held = [
        execute(PLASTIC_ONESHOT, config, tmp_path / f"{k}", seed=seed, data_dir=tiny_omniglot)
        for k, seed in enumerate((0, 0, 1, 2, 3))
    ]
    held = [summary["results"]["meta_test_characters"] for summary in held]
    assert held[0] == held[1]  # the same seed, the same split
    assert len({tuple(h) for h in held}) > 1  # other seeds, other splits


def test_omniglot_defaults_are_the_papers_split_and_image_size() -> None:
    config = build_config(PLASTIC_ONESHOT.config_type, {"dataset": "omniglot"})
    assert (config.omniglot_test_classes, config.task.ways, config.task.shots) == (100, 5, 1)
    text = PLASTIC_ONESHOT.describe(config)
    assert "100 of them held out" in text and "other 1523 meta-training" in text
    assert "31 x 31" in text
    papers = [e for e in PLASTIC_ONESHOT.expectations(config) if e.source.startswith("paper:")]
    assert [(e.result, e.expected, e.relation) for e in papers] == [
        ("meta_test_accuracy", 0.985, "at_least")
    ]
    substitute = build_config(PLASTIC_ONESHOT.config_type, {})
    assert not any(e.source.startswith("paper:") for e in PLASTIC_ONESHOT.expectations(substitute))
    with pytest.raises(ValueError, match="omniglot_test_classes=1622 gives 4 for meta-training"):
        build_config(
            PLASTIC_ONESHOT.config_type, {"dataset": "omniglot", "omniglot_test_classes": 1622}
        )


def test_the_substitute_is_labelled_as_such() -> None:
    config = build_config(PLASTIC_ONESHOT.config_type, {})
    text = PLASTIC_ONESHOT.describe(config)
    assert "offline substitute, fashion-mnist" in text and "--set dataset=omniglot" in text


@pytest.mark.parametrize("recipe", [PLASTIC_IMAGES, PLASTIC_ONESHOT], ids=lambda r: r.name)
def test_dataset_settings_accept_the_registry_names_only(recipe) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"dataset must be one of digits, .*omniglot, got 'cifar'"):
        build_config(recipe.config_type, {"dataset": "cifar"})


def test_plastic_images_records_both_splits_it_read(tmp_path: Path) -> None:
    overrides = {**PLASTIC_IMAGES.tour, "episodes": 32, "episodes_per_epoch": 16}
    config = build_config(PLASTIC_IMAGES.config_type, {**overrides, "test_episodes": 4})
    execute(PLASTIC_IMAGES, config, tmp_path)
    record = json.loads((tmp_path / "config.json").read_text())
    assert [(e["dataset"], e["split"]) for e in record["data"]] == [
        ("digits", "train"),
        ("digits", "test"),
    ]
