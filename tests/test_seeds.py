"""`hebbian run RECIPE --seeds 0-4`: one folder, every result as mean ± standard deviation."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from hebbian.cli import main
from hebbian.experiments.seeds import (
    aggregate_summaries,
    parse_seeds,
    read_seeds_record,
    sample_std,
    seeds_text,
)
from hebbian.runs import rerun_command

# oja-digits at two epochs runs in about a second per seed
FAST = ["oja-digits", "--threads", "1", "--set", "epochs=2"]


@pytest.mark.parametrize(
    ("text", "seeds"),
    [("0-4", (0, 1, 2, 3, 4)), ("3", (3,)), ("1,3,7-8", (1, 3, 7, 8)), (" 2 , 0 ", (2, 0))],
)
def test_seeds_are_ranges_and_lists_in_the_order_given(text: str, seeds: tuple) -> None:
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "must not be empty"),
        ("4-0", "the range '4-0'"),
        ("0-2,2", "repeats seed 2"),
        ("a", "has 'a'"),
        ("-1", "has '-1'"),
        (f"{2**63}", "the range"),
    ],
)
def test_bad_seeds_are_refused_in_one_line_naming_the_flag(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match="--seeds") as error:
        parse_seeds(text)
    assert complaint in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("seeds", [[0], [0, 1, 2, 3, 4], [5, 1, 2, 9, 10, 11]])
def test_seeds_text_gives_back_the_seeds(seeds: list[int]) -> None:
    assert list(parse_seeds(seeds_text(seeds))) == seeds


def test_sample_std_is_the_n_minus_one_deviation() -> None:
    values = [0.87, 0.8712, 0.869, 0.8751]
    assert sample_std(values) == pytest.approx(statistics.stdev(values), rel=1e-15)
    assert sample_std([0.5]) == 0.0
    assert sample_std([-31.662] * 5) == 0.0  # equal values: exactly 0, no rounding residue


def _summary(accuracy: float, curve: list[float], met: bool) -> dict:
    verdict = {
        "result": "accuracy",
        "measured": accuracy,
        "expected": 0.9,
        "relation": "at_least",
        "tolerance": 0.0,
        "source": "paper",
        "met": met,
    }
    results = {"accuracy": accuracy, "curve": curve, "model": {"units": 4}, "flag": True}
    return {"recipe": "demo", "description": "d", "results": results, "verdicts": [verdict]}


def test_a_group_reports_scalars_as_mean_and_std_and_counts_the_seeds_that_meet() -> None:
    group = aggregate_summaries(
        [0, 1, 2],
        [_summary(0.92, [1.0], True), _summary(0.89, [2.0], False), _summary(0.91, [3.0], True)],
    )
    accuracy = group["results"]["accuracy"]
    assert accuracy["mean"] == statistics.mean([0.92, 0.89, 0.91])
    assert accuracy["std"] == pytest.approx(statistics.stdev([0.92, 0.89, 0.91]), rel=1e-14)
    assert (accuracy["min"], accuracy["max"]) == (0.89, 0.92)
    assert accuracy["values"] == [0.92, 0.89, 0.91]
    assert group["results"]["model.units"]["std"] == 0.0
    assert "curve" not in group["results"] and "flag" not in group["results"]
    (verdict,) = group["verdicts"]
    assert (verdict["met_seeds"], verdict["seeds"], verdict["met"]) == (2, 3, True)
    assert verdict["measured"] == [0.92, 0.89, 0.91]


def test_a_mean_short_of_its_expectation_is_short_even_if_one_seed_meets_it() -> None:
    group = aggregate_summaries([0, 1], [_summary(0.95, [1.0], True), _summary(0.80, [1.0], False)])
    assert group["verdicts"][0]["met"] is False and group["verdicts"][0]["met_seeds"] == 1


def test_run_with_seeds_writes_each_seed_and_the_group(tmp_path: Path, capsys) -> None:
    out = tmp_path / "group"
    assert main(["run", *FAST, "--seeds", "0-2", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "of 3 seeds" in printed
    record = read_seeds_record(out)
    assert record["seeds"] == [0, 1, 2] and record["recipe"] == "oja-digits"
    summary = json.loads((out / "summary.json").read_text())
    for seed in (0, 1, 2):
        single = json.loads((out / f"seed-{seed}" / "summary.json").read_text())
        value = single["results"]["min_abs_cos_with_pca"]
        assert summary["results"]["min_abs_cos_with_pca"]["values"][seed] == value
        assert json.loads((out / f"seed-{seed}" / "config.json").read_text())["seed"] == seed
    values = summary["results"]["min_abs_cos_with_pca"]["values"]
    assert summary["results"]["min_abs_cos_with_pca"]["mean"] == pytest.approx(
        statistics.fmean(values), abs=1e-15
    )
    page = (out / "index.html").read_text()
    assert "seed-1/index.html" in page and "mean ± std" in page
    markdown = (out / "RESULTS.md").read_text()
    assert rerun_command(record) in markdown and "min_abs_cos_with_pca" in markdown


def test_a_group_folder_is_never_reused_silently(tmp_path: Path, capsys) -> None:
    out = tmp_path / "group"
    assert main(["run", *FAST, "--seeds", "0-1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", *FAST, "--seeds", "0-1", "--out", str(out)]) == 2
    message = capsys.readouterr().err.strip()
    assert "\n" not in message and "--seeds 0-1" in message
    assert "--resume" in message and "--overwrite" in message


def test_resume_keeps_the_finished_seeds_and_runs_the_missing_ones(tmp_path: Path, capsys) -> None:
    out = tmp_path / "group"
    assert main(["run", *FAST, "--seeds", "0-1", "--out", str(out)]) == 0
    kept = (out / "seed-0" / "summary.json").stat().st_mtime_ns
    (out / "summary.json").unlink()
    for name in ("summary.json", "index.html"):
        (out / "seed-1" / name).unlink()
    assert main(["run", *FAST, "--seeds", "0-1", "--out", str(out), "--resume"]) == 0
    assert (out / "seed-0" / "summary.json").stat().st_mtime_ns == kept
    assert (out / "seed-1" / "summary.json").exists() and (out / "summary.json").exists()


def test_resume_refuses_other_settings_naming_the_commands(tmp_path: Path, capsys) -> None:
    out = tmp_path / "group"
    assert main(["run", *FAST, "--seeds", "0-1", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["run", *FAST, "--seeds", "0-2", "--out", str(out), "--resume"]) == 2
    message = capsys.readouterr().err
    assert "other seeds" in message and "--seeds 0-1 " in message and "--seeds 0-2 " in message


def test_seed_and_seeds_exclude_each_other(tmp_path: Path, capsys) -> None:
    assert main(["run", *FAST, "--seeds", "0-1", "--seed", "3", "--out", str(tmp_path)]) == 2
    assert "pass one of them" in capsys.readouterr().err


def test_report_rebuilds_the_group_page(tmp_path: Path, capsys) -> None:
    out = tmp_path / "group"
    assert main(["run", *FAST, "--seeds", "4", "--out", str(out)]) == 0
    (out / "index.html").unlink()
    (out / "seed-4" / "index.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "index.html").exists() and (out / "seed-4" / "index.html").exists()


def test_the_group_rerun_command_names_the_seeds() -> None:
    record = {"recipe": "oja-digits", "config": {"epochs": 2}, "seeds": [0, 1, 2, 3, 4]}
    assert rerun_command(record, "runs/g", resume=True) == (
        "hebbian run oja-digits --seeds 0-4 --device cpu --set epochs=2 --out runs/g --resume"
    )
