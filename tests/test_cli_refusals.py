"""The `hebbian` command refuses bad input, and reports failures, in one line.

Each error names the argument, its value and what was expected; a run that started
and then failed or was interrupted prints the exact command that resumes or restarts
it, and that command works.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hebbian.cli import main
from hebbian.experiments import RecipeEntry

FAST = ["--threads", "1", "--set", "epochs=2"]


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The command's stderr, which must be exactly one line."""
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def command_in(message: str, flag: str) -> list[str]:
    """The argv of the `hebbian ...` command quoted in backticks that ends with ``flag``."""
    for part in message.split("`")[1::2]:
        if part.startswith("hebbian run") and part.endswith(flag):
            return shlex.split(part)[1:]
    raise AssertionError(f"no `hebbian run ... {flag}` in {message!r}")


@pytest.mark.parametrize("value", ["0", "100000"])
def test_threads_outside_the_machines_cpus_are_refused(value: str, capsys) -> None:
    assert main(["run", "oja-digits", "--threads", value, "--show-config"]) == 2
    line = error_line(capsys)
    assert f"--threads must be an int in 1 .. {os.cpu_count()}" in line and value in line


@pytest.mark.parametrize("seed", ["-1", str(2**63), "99999999999999999999999"])
def test_a_seed_outside_0_to_2_63_is_refused_naming_seed(seed: str, tmp_path: Path, capsys):
    assert main(["run", "oja-digits", "--seed", seed, "--out", str(tmp_path / "r")]) == 2
    line = error_line(capsys)
    assert (
        line == f"hebbian: error: --seed must be an int in 0 .. 2**63-1 ({2**63 - 1}), got {seed}"
    )
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("command", ["run", "tour"])
def test_out_naming_a_file_is_refused(command: str, tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("mine")
    args = ["run", "oja-digits", *FAST] if command == "run" else ["tour"]
    assert main([*args, "--out", str(tmp_path / "file")]) == 2
    assert f"--out {tmp_path / 'file'} is a file; expected a folder" in error_line(capsys)
    assert (tmp_path / "file").read_text() == "mine"


@pytest.mark.parametrize("command", ["run", "tour"])
def test_out_in_a_place_that_cannot_be_written_is_refused(command: str, tmp_path: Path, capsys):
    (tmp_path / "file").write_text("mine")  # a folder below a file cannot be made, even by root
    args = ["run", "oja-digits", *FAST] if command == "run" else ["tour"]
    assert main([*args, "--out", str(tmp_path / "file" / "out")]) == 2
    line = error_line(capsys)
    assert f"--out {tmp_path / 'file' / 'out'}: cannot write" in line
    assert "expected a folder you can write to" in line


def test_a_config_json_holding_a_list_is_refused_by_run_and_report(tmp_path: Path, capsys):
    (tmp_path / "config.json").write_text("[1, 2]")
    assert main(["run", "oja-digits", *FAST, "--out", str(tmp_path), "--resume"]) == 2
    assert "config.json holds list [1, 2]: expected a JSON object" in error_line(capsys)
    assert main(["report", str(tmp_path)]) == 2
    assert "config.json holds list [1, 2]: expected a JSON object" in error_line(capsys)


def test_show_config_into_a_closed_pipe_ends_quietly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "hebbian.cli", "run", "hodgkin-huxley", "--show-config"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()  # like `| head` that has read enough
    err = process.stderr.read()
    process.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_a_failed_run_prints_a_restart_command_that_works(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "oja"
    assert main(["run", "oja-digits", *FAST, "--set", "learning_rate=1e6", "--out", str(folder)])
    line = error_line(capsys)
    assert "rule 'oja' produced non-finite weights" in line
    restart = command_in(line, "--overwrite")
    assert "--set learning_rate=1000000.0" in shlex.join(restart)

    # the same command now names both ways on; the printed one restarts the run
    assert main(["run", "oja-digits", *FAST, "--set", "learning_rate=1e6", "--out", str(folder)])
    assert "--overwrite" in error_line(capsys)
    fixed = [a if a != "learning_rate=1000000.0" else "learning_rate=0.05" for a in restart]
    assert main([*fixed, "--threads", "1"]) == 0
    assert (folder / "summary.json").exists()


@pytest.mark.parametrize(
    "failure",
    [
        MemoryError(),
        RuntimeError(
            "[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not enough memory: "
            "you tried to allocate 80000000000000 bytes."
        ),
    ],
)
def test_running_out_of_memory_is_one_line_with_the_restart_command(
    failure: BaseException, tmp_path: Path, capsys, monkeypatch
) -> None:
    original = RecipeEntry.load

    def failing(self: RecipeEntry):
        def run(config, run):
            raise failure

        return dataclasses.replace(original(self), run=run)

    monkeypatch.setattr(RecipeEntry, "load", failing)
    assert main(["run", "oja-digits", *FAST, "--out", str(tmp_path / "r")]) == 2
    line = error_line(capsys)
    assert line.startswith("hebbian: error: oja-digits stopped: out of memory")
    monkeypatch.undo()
    assert main([*command_in(line, "--overwrite"), "--threads", "1"]) == 0


def test_ctrl_c_prints_a_resume_command_with_every_setting_that_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "sanger"
    settings = ["--set", "epochs=60", "--set", "components=3", "--out", str(folder)]
    process = subprocess.Popen(
        [sys.executable, "-m", "hebbian.cli", "run", "sanger-digits", "--threads", "1", *settings],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # a shell's background job inherits SIGINT ignored, and Python keeps it ignored:
        # give the child the default disposition, as a terminal's Ctrl-C meets it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    checkpoint = folder / "checkpoints" / "last.safetensors"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    resume = command_in(err, "--resume")
    assert {"epochs=60", "components=3", "--seed", "--device", "--out"} <= set(resume)
    assert main([*resume, "--threads", "1"]) == 0  # the printed command continues the run
    assert (folder / "summary.json").exists()


def test_resuming_after_config_json_was_edited_is_refused(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "oja"
    assert main(["run", "oja-digits", *FAST, "--out", str(folder)]) == 0
    record = json.loads((folder / "config.json").read_text())
    record["config"]["epochs"] = 3
    (folder / "config.json").write_text(json.dumps(record))
    capsys.readouterr()
    args = ["run", "oja-digits", "--threads", "1", "--set", "epochs=3", "--out", str(folder)]
    assert main([*args, "--resume"]) == 2
    assert "was written with other settings than config.json holds now" in error_line(capsys)


def test_a_resume_with_other_settings_names_only_the_settings_that_differ(tmp_path: Path, capsys):
    folder = tmp_path / "oja"
    assert main(["run", "oja-digits", *FAST, "--out", str(folder)]) == 0
    capsys.readouterr()
    args = ["run", "oja-digits", "--threads", "1", "--set", "epochs=3", "--out", str(folder)]
    assert main([*args, "--resume"]) == 2
    line = error_line(capsys)
    assert "epochs is 2 in its config.json but 3 in this run" in line
    assert "{" not in line  # no dicts


def test_run_files_get_the_users_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        assert main(["run", "oja-digits", *FAST, "--out", str(tmp_path / "r")]) == 0
    finally:
        os.umask(previous)
    files = [p for p in (tmp_path / "r").rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".json", ".jsonl", ".png", ".html", ".safetensors"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_missing_data_stops_in_one_line_with_where_it_looked_and_the_resume_command(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    import hebbian.data

    def not_found(name, split, *, data_dir=None):
        raise hebbian.data.DatasetNotFoundError(
            "MNIST split 'train' needs train-images-idx3-ubyte.gz, found in none of these "
            "folders:\n  /cache/mnist  (user cache)\nTo get them:\n  - download it."
        )

    monkeypatch.setattr(hebbian.data, "load_dataset", not_found)
    out = tmp_path / "run"
    assert main(["run", "oja-digits", "--set", "dataset=mnist", "--out", str(out)]) == 2
    message = capsys.readouterr().err
    assert message.count("\n") == 1 and "/cache/mnist  (user cache); To get them" in message
    assert "--set dataset=mnist --set epochs=40" in message and f"--out {out} --resume" in message
