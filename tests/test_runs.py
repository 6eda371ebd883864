"""Run folders: atomic files, checkpoints with the random state, and exact resume."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
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
    rerun_command,
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


def test_resume_refuses_a_different_config_naming_only_the_keys_that_differ(
    tmp_path: Path,
) -> None:
    start(tmp_path / "run", epochs=5, batch_size=10, learning_rate=0.1)
    with pytest.raises(RunFolderError) as error:
        start(tmp_path / "run", resume=True, epochs=6, batch_size=10, learning_rate=0.1)
    message = str(error.value)
    assert "epochs is 5 in its config.json but 6 in this run" in message
    assert (
        "batch_size" not in message.split(";")[0] and "learning_rate" not in message.split(";")[0]
    )
    assert "--set epochs=5" in message and "--resume" in message  # how to continue it
    assert "--set epochs=6" in message and "--overwrite" in message  # how to restart it
    assert "\n" not in message


def test_an_unfinished_run_is_refused_with_the_commands_that_resume_or_restart_it(
    tmp_path: Path,
) -> None:
    start(tmp_path / "run", epochs=5).log(1, loss=1.0)
    with pytest.raises(RunFolderError) as error:
        start(tmp_path / "run", epochs=5)
    message = str(error.value)
    resume = f"hebbian run toy --seed 3 --device cpu --set epochs=5 --out {tmp_path / 'run'}"
    assert f"`{resume} --resume`" in message and f"`{resume} --overwrite`" in message


def test_a_finished_run_is_refused_with_the_full_resume_and_overwrite_commands(
    tmp_path: Path,
) -> None:
    start(tmp_path / "run", epochs=5).finish({"x": 1.0})
    with pytest.raises(RunFolderError) as error:
        start(tmp_path / "run", epochs=5)
    command = f"hebbian run toy --seed 3 --device cpu --set epochs=5 --out {tmp_path / 'run'}"
    assert f"`{command} --resume`" in str(error.value)
    assert f"`{command} --overwrite`" in str(error.value)


def test_the_rerun_command_keeps_the_data_folder_the_run_read(tmp_path: Path) -> None:
    Run.start(tmp_path / "run", recipe="toy", config={"epochs": 5}, data_dir=tmp_path / "d")
    record = json.loads((tmp_path / "run" / "config.json").read_text())
    assert f"--data-dir {tmp_path / 'd'} --out" in rerun_command(record, tmp_path / "run")


def test_overwrite_restarts_a_run_folder_deleting_only_what_the_run_wrote(tmp_path: Path) -> None:
    run = start(tmp_path / "run", epochs=5)
    run.log(1, loss=1.0)
    run.checkpoint(1, {"w": torch.ones(1)})
    (tmp_path / "run" / "notes.txt").write_text("mine")
    again = Run.start(tmp_path / "run", recipe="toy", config={"epochs": 2}, seed=3, overwrite=True)
    assert again.restore() is None and read_metrics(tmp_path / "run") == []
    assert json.loads((tmp_path / "run" / "config.json").read_text())["config"] == {"epochs": 2}
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine"


def test_a_folder_of_someone_elses_files_is_never_used_even_with_overwrite(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("1,2\n")
    for flags in ({}, {"resume": True}, {"overwrite": True}):
        with pytest.raises(RunFolderError, match="not a run folder"):
            Run.start(tmp_path, recipe="toy", config={}, **flags)
    assert [p.name for p in tmp_path.iterdir()] == ["data.csv"]


def test_a_file_as_the_run_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunFolderError, match=r"^--out .*file is a file; expected a folder"):
        start(tmp_path / "file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_place_is_refused_in_one_line(tmp_path: Path) -> None:
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(RunFolderError, match=r"^--out .*cannot write the run folder"):
            start(tmp_path / "run")
    finally:
        tmp_path.chmod(0o755)


def test_a_run_folder_under_a_file_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")  # also what a read-only place looks like to root
    with pytest.raises(RunFolderError, match=r"^--out .*cannot write the run folder there"):
        start(tmp_path / "file" / "run")


@pytest.mark.parametrize("seed", [-1, 2**63, 99999999999999999999999])
def test_a_seed_torch_cannot_take_is_refused_before_the_folder_is_made(
    seed: int, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"seed must be an int in 0 \.\. 2\*\*63-1"):
        Run.start(tmp_path / "run", recipe="toy", config={}, seed=seed)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("text", ["[1, 2]", '"run"', '{"recipe": "toy"}', '{"recipe": 1}'])
def test_a_config_json_that_is_not_a_run_record_is_refused_naming_the_file(
    text: str, tmp_path: Path
) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text(text)
    with pytest.raises(RunFolderError, match=r"config\.json (holds|has) .*expected a JSON object"):
        start(tmp_path / "run", resume=True)


def test_a_checkpoint_of_edited_settings_is_refused(tmp_path: Path) -> None:
    run = start(tmp_path / "run", epochs=5)
    run.checkpoint(2, {"w": torch.zeros(1)})
    path = tmp_path / "run" / "config.json"
    record = json.loads(path.read_text())
    record["config"]["epochs"] = 9  # the user edits config.json, then resumes to match it
    path.write_text(json.dumps(record))
    resumed = start(tmp_path / "run", resume=True, epochs=9)
    with pytest.raises(RunFolderError, match=r"written with other settings.*--overwrite"):
        resumed.restore()


def test_a_valid_checkpoint_of_another_recipe_is_refused(tmp_path: Path) -> None:
    other = Run.start(tmp_path / "other", recipe="other", config={"epochs": 5}, seed=3)
    other.checkpoint(2, {"v": torch.zeros(1)})
    start(tmp_path / "run", epochs=5)
    (tmp_path / "run" / "checkpoints").mkdir()
    shutil.copy(tmp_path / "other" / CHECKPOINT_FILE, tmp_path / "run" / CHECKPOINT_FILE)
    with pytest.raises(RunFolderError, match=r"belongs to recipe 'other', not 'toy'"):
        start(tmp_path / "run", resume=True, epochs=5).restore()


def test_rerun_command_spells_out_every_setting_seed_device_and_folder() -> None:
    record = {
        "recipe": "toy",
        "config": {"epochs": 3, "rate": 0.5, "models": ["a", "b"], "flag": True, "cap": None},
        "seed": 4,
        "device": "cuda:0",
    }
    assert rerun_command(record, "my runs/x", resume=True) == (
        "hebbian run toy --seed 4 --device cuda:0 --set epochs=3 --set rate=0.5 "
        "--set models=a,b --set flag=true --set cap=None --out 'my runs/x' --resume"
    )


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_files_are_written_with_the_users_umask(umask: int, mode: int, tmp_path: Path) -> None:
    previous = os.umask(umask)
    try:
        run = start(tmp_path / "run")
        run.checkpoint(1, {"w": torch.zeros(1)})
        run.finish({"x": 1.0})
        atomic_write_text(tmp_path / "page.html", "<p>")
    finally:
        os.umask(previous)
    for path in ("run/config.json", "run/summary.json", f"run/{CHECKPOINT_FILE}", "page.html"):
        assert stat.S_IMODE((tmp_path / path).stat().st_mode) == mode, path


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


def test_a_run_records_the_data_set_and_the_sha256_of_every_file_it_read(tmp_path: Path) -> None:
    import hashlib

    from hebbian.report.html import write_run_report

    run = start(tmp_path / "run")
    data = run.load_dataset("digits", "test")
    (path,) = [f.path for f in data.files]
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    record = json.loads((tmp_path / "run" / "config.json").read_text())
    assert record["data"] == [
        {"dataset": "digits", "split": "test", "path": path, "sha256": digest}
    ]
    run.finish({"x": 1.0})
    assert digest in write_run_report(tmp_path / "run").read_text()


def test_a_resumed_run_refuses_data_of_other_content_naming_both_files(
    tmp_path: Path, monkeypatch
) -> None:
    import hebbian.data
    from hebbian.data import DataFile

    real = hebbian.data.load_dataset

    def load_with(sha256: str):
        def load(name, split, *, data_dir=None):
            data = real("digits", split)
            moved = DataFile(path=f"/elsewhere/{Path(data.files[0].path).name}", sha256=sha256)
            return dataclasses.replace(data, files=(moved,))

        return load

    monkeypatch.setattr(hebbian.data, "load_dataset", load_with("a" * 64))
    start(tmp_path / "run").load_dataset("digits")
    monkeypatch.setattr(hebbian.data, "load_dataset", load_with("b" * 64))
    again = start(tmp_path / "run", resume=True)
    with pytest.raises(RunFolderError, match="cannot resume") as error:
        again.load_dataset("digits")
    message = str(error.value)
    assert "bbbbbbbbbbbb" in message and "aaaaaaaaaaaa" in message and "--overwrite" in message
    monkeypatch.setattr(hebbian.data, "load_dataset", load_with("a" * 64))
    start(tmp_path / "run", resume=True).load_dataset("digits")  # the same content resumes
