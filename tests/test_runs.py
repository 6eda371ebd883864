"""Run folders: atomic files, checkpoints with the random state, and exact resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from hebbian._checks import NonFiniteWeightsError, check_finite_weights
from hebbian.report import tour_results_markdown
from hebbian.runs import (
    CHECKPOINT_FILE,
    METRICS_FILE,
    Run,
    RunFolderError,
    atomic_write_text,
    read_metrics,
)


def start(folder: Path, resume: bool = False, **config: object) -> Run:
    return Run.start(folder, recipe="toy", config=config or {"epochs": 5}, seed=3, resume=resume)


def noisy_walk(run: Run, epochs: int, fail_at: int | None = None) -> dict[str, torch.Tensor]:
    """A toy training loop whose every epoch consumes the run's random stream."""

    def train_epoch(epoch: int, state: dict[str, torch.Tensor]) -> tuple[dict, dict]:
        if epoch == fail_at:
            raise KeyboardInterrupt  # stands in for a crash in the middle of a run
        w = state["w"] + torch.randn(4, generator=run.generator)
        return {"w": w}, {"norm": w.norm(), "epoch_sum": w.sum()}

    return run.run_epochs(epochs, {"w": torch.zeros(4)}, train_epoch)


def test_config_records_recipe_seed_device_and_versions(tmp_path: Path) -> None:
    start(tmp_path / "run")
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["recipe"] == "toy"
    assert config["config"] == {"epochs": 5}
    assert config["seed"] == 3
    assert config["device"] == "cpu"
    assert config["hebbian_version"] and config["torch_version"]


def test_existing_folder_is_never_overwritten_without_resume(tmp_path: Path) -> None:
    start(tmp_path / "run").log(1, loss=1.0)
    with pytest.raises(RunFolderError, match=r"already exists.*--resume"):
        start(tmp_path / "run")
    assert read_metrics(tmp_path / "run") == [{"step": 1, "loss": 1.0}]


def test_resume_refuses_a_different_config(tmp_path: Path) -> None:
    start(tmp_path / "run")
    with pytest.raises(RunFolderError, match="its config is"):
        start(tmp_path / "run", resume=True, epochs=6)


def test_checkpoint_restores_tensors_step_and_random_stream(tmp_path: Path) -> None:
    run = start(tmp_path / "run")
    torch.randn(3, generator=run.generator)
    run.checkpoint(2, {"w": torch.arange(3.0)})
    expected_next_draw = torch.randn(3, generator=run.generator)

    again = start(tmp_path / "run", resume=True)
    step, tensors = again.restore()
    assert step == 2
    assert torch.equal(tensors["w"], torch.arange(3.0))
    assert torch.equal(torch.randn(3, generator=again.generator), expected_next_draw)


def test_restore_drops_metrics_logged_after_the_checkpoint(tmp_path: Path) -> None:
    run = start(tmp_path / "run")
    run.log(1, loss=3.0)
    run.checkpoint(1, {"w": torch.zeros(1)})
    run.log(2, loss=2.0)  # logged, but the run died before checkpointing step 2
    with open(tmp_path / "run" / METRICS_FILE, "a") as handle:
        handle.write('{"step": 3, "lo')  # and a line cut in half by the kill

    start(tmp_path / "run", resume=True).restore()
    assert read_metrics(tmp_path / "run") == [{"step": 1, "loss": 3.0}]


def test_damaged_checkpoint_is_an_error_naming_the_file(tmp_path: Path) -> None:
    run = start(tmp_path / "run")
    run.checkpoint(1, {"w": torch.zeros(2)})
    (tmp_path / "run" / CHECKPOINT_FILE).write_bytes(b"not a safetensors file")
    with pytest.raises(RunFolderError, match=r"last\.safetensors.*delete it"):
        start(tmp_path / "run", resume=True).restore()


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "summary.json"
    atomic_write_text(path, "old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("hebbian.runs.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]  # no temporary left


def test_interrupted_run_resumes_to_the_same_state_and_metrics(tmp_path: Path) -> None:
    whole = noisy_walk(start(tmp_path / "whole"), epochs=6)

    with pytest.raises(KeyboardInterrupt):
        noisy_walk(start(tmp_path / "cut"), epochs=6, fail_at=4)
    assert len(read_metrics(tmp_path / "cut")) == 3
    resumed = noisy_walk(start(tmp_path / "cut", resume=True), epochs=6)

    assert torch.equal(resumed["w"], whole["w"])
    assert read_metrics(tmp_path / "cut") == read_metrics(tmp_path / "whole")


def test_checkpoint_refuses_the_reserved_tensor_name(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reserved"):
        start(tmp_path / "run").checkpoint(1, {"__generator_state__": torch.zeros(1)})


def test_non_finite_metrics_are_written_as_valid_json(tmp_path: Path) -> None:
    run = start(tmp_path / "run")
    run.log(1, growth=float("inf"), values=torch.tensor([1.0, float("nan")]))
    assert read_metrics(tmp_path / "run") == [{"step": 1, "growth": "inf", "values": [1.0, "nan"]}]


def test_training_error_leaves_the_last_good_checkpoint_intact(tmp_path: Path) -> None:
    run = start(tmp_path / "run")

    def train_epoch(epoch: int, state: dict[str, torch.Tensor]) -> tuple[dict, dict]:
        if epoch == 3:
            check_finite_weights(state["w"] * float("inf"), rule="toy", step=epoch)
        return {"w": state["w"] + 1}, {}

    with pytest.raises(
        NonFiniteWeightsError, match="rule 'toy' produced non-finite weights at step 3"
    ):
        run.run_epochs(5, {"w": torch.zeros(2)}, train_epoch)
    step, tensors = start(tmp_path / "run", resume=True).restore()
    assert step == 2
    assert torch.equal(tensors["w"], torch.full((2,), 2.0))


def test_tour_table_lists_every_result_but_wall_times(tmp_path: Path) -> None:
    run = start(tmp_path / "run")
    run.finish(
        {
            "accuracy": 0.5,
            "simulated_seconds": 60,  # a result, not a wall time
            "train_wall_seconds": 12.3,
            "curve": {"last_wall_seconds": 1.0},
        }
    )
    table = tour_results_markdown({"Topic": [tmp_path / "run"]}, "hebbian tour")
    assert "| Topic | `toy` | `accuracy` | 0.5 |" in table
    assert "| Topic | `toy` | `simulated_seconds` | 60 |" in table
    assert "wall" not in table
