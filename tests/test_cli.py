"""The `hebbian` command: listing, running, resuming, reporting, refusing bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from hebbian.cli import main
from hebbian.experiments import RECIPES

FAST = ["--set", "epochs=3"]


def hebbian(*args: str | Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hebbian.cli", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_list_names_every_recipe_on_one_line(capsys) -> None:
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [r.name for r in RECIPES]


@pytest.mark.parametrize("command", [[], ["list"], ["run"], ["report"], ["tour"]])
def test_help_is_available_for_every_command(command: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: hebbian" in capsys.readouterr().out


def test_run_help_lists_the_options_and_recipes(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    for option in ("--set", "--device", "--seed", "--out", "--resume", "--data-dir"):
        assert option in text
    assert "sanger-digits" in text


def test_unknown_recipe_is_refused_with_the_valid_names(capsys) -> None:
    assert main(["run", "sangr-digits"]) == 2
    error = capsys.readouterr().err
    assert "unknown recipe 'sangr-digits'" in error
    assert "sanger-digits" in error and "oja-digits" in error


def test_unknown_setting_is_refused_with_the_valid_keys(tmp_path: Path, capsys) -> None:
    assert main(["run", "sanger-digits", "--set", "epoch=3", "--out", str(tmp_path / "r")]) == 2
    error = capsys.readouterr().err
    assert "unknown setting 'epoch'" in error and "epochs" in error and "batch_size" in error
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("epochs=three", "expected int"),
        ("epochs=0", "epochs must be"),
        ("learning_rate=-1", "learning_rate"),
    ],
)
def test_bad_setting_values_are_refused_before_any_work(
    setting: str, message: str, tmp_path: Path, capsys
) -> None:
    assert main(["run", "sanger-digits", "--set", setting, "--out", str(tmp_path / "r")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_unavailable_device_is_refused(capsys) -> None:
    assert main(["run", "oja-digits", "--device", "tpu"]) == 2
    assert "device" in capsys.readouterr().err


def test_show_config_prints_every_setting(capsys) -> None:
    assert main(["run", "bcm-selectivity", "--show-config", "--set", "neurons=3"]) == 0
    out = capsys.readouterr().out
    assert "neurons = 3" in out and "threshold_decay = " in out


def test_run_writes_a_complete_run_folder_and_report_rebuilds_it(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "sanger"
    assert main(["run", "sanger-digits", *FAST, "--set", "components=3", "--out", str(folder)]) == 0
    config = json.loads((folder / "config.json").read_text())
    assert config["config"]["components"] == 3 and config["seed"] == 0
    metrics = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert [m["step"] for m in metrics] == [1, 2, 3]
    assert set(load_file(folder / "checkpoints" / "last.safetensors")) >= {"weight"}
    summary = json.loads((folder / "summary.json").read_text())
    assert {f["file"] for f in summary["figures"]} == {"components.png", "convergence.png"}
    assert all((folder / f["file"]).stat().st_size > 1000 for f in summary["figures"])

    (folder / "index.html").unlink()
    assert main(["report", str(folder)]) == 0
    page = (folder / "index.html").read_text()
    assert "components.png" in page and "abs_cos_with_pca" in page
    assert "hebbian run sanger-digits --seed 0 --device cpu" in page


def test_rerun_into_an_existing_folder_is_refused(tmp_path: Path, capsys) -> None:
    folder = str(tmp_path / "oja")
    assert main(["run", "oja-digits", *FAST, "--out", folder]) == 0
    assert main(["run", "oja-digits", *FAST, "--out", folder]) == 2
    assert "--resume" in capsys.readouterr().err


def test_diverging_weights_stop_the_run_with_an_error_naming_rule_and_step(
    tmp_path: Path, capsys
) -> None:
    folder = tmp_path / "oja"
    assert main(["run", "oja-digits", "--set", "learning_rate=1e6", "--out", str(folder)]) == 2
    assert "rule 'oja' produced non-finite weights at step" in capsys.readouterr().err
    assert not (folder / "summary.json").exists()


def test_report_on_a_folder_that_is_not_a_run(tmp_path: Path, capsys) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_progress_bar_stays_quiet_when_output_is_not_a_terminal(tmp_path: Path) -> None:
    process = hebbian("run", "oja-digits", *FAST, "--out", tmp_path / "r")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert err == ""
    assert "oja-digits finished" in out


def test_run_killed_with_sigkill_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    settings = ["--threads", "1", "--set", "epochs=60", "--set", "components=4"]  # 2 runs at once
    cut = hebbian("run", "sanger-digits", *settings, "--out", tmp_path / "cut")
    checkpoint = tmp_path / "cut" / "checkpoints" / "last.safetensors"
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(cut.pid, signal.SIGKILL)
    cut.communicate()
    assert cut.returncode == -signal.SIGKILL
    assert not (tmp_path / "cut" / "summary.json").exists(), "the run finished before the kill"

    resumed = hebbian("run", "sanger-digits", *settings, "--out", tmp_path / "cut", "--resume")
    whole = hebbian("run", "sanger-digits", *settings, "--out", tmp_path / "whole")
    for process in (resumed, whole):
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err

    final = {
        name: load_file(tmp_path / name / "checkpoints" / "last.safetensors")
        for name in ("whole", "cut")
    }
    assert final["whole"]["weight"].equal(final["cut"]["weight"])
    metrics = [(tmp_path / name / "metrics.jsonl").read_text() for name in ("whole", "cut")]
    assert metrics[0] == metrics[1]
    summaries = [json.loads((tmp_path / n / "summary.json").read_text()) for n in ("whole", "cut")]
    assert summaries[0]["results"] == summaries[1]["results"]


def test_a_warning_during_a_command_is_one_line_on_stderr(monkeypatch, capsys) -> None:
    import warnings

    import hebbian.cli

    def list_and_warn() -> None:
        warnings.warn(
            "file x does not match\n  Fashion-MNIST's known digests", UserWarning, stacklevel=1
        )

    monkeypatch.setattr(hebbian.cli, "_cmd_list", list_and_warn)
    assert main(["list"]) == 0
    assert capsys.readouterr().err == (
        "hebbian: warning: file x does not match Fashion-MNIST's known digests\n"
    )
