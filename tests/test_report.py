"""Reports that judge: each run page and the tour page show measured, expected, verdict."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hebbian.experiments.base import Expectation, Recipe, execute, judge
from hebbian.report.html import expected_text, tour_results_markdown, write_tour_report
from hebbian.runs import Run


@dataclass(frozen=True)
class _Config:
    accuracy: float = 0.95
    units: int = 3


def _results(config: _Config, run: Run) -> dict[str, Any]:
    return {"accuracy": config.accuracy, "theory": 0.9, "curve": [0.1, 0.5]}


DEMO = Recipe(
    name="demo",
    summary="a recipe that reports fixed numbers",
    topic="Demo",
    description=lambda config: f"A demo with {config.units} units.",
    config_type=_Config,
    run=_results,
    expectations=lambda config: (
        Expectation("accuracy", "theory", "theory: a test", tolerance=0.01, relation="at_least"),
        Expectation("curve", 0.48, "paper: a test", tolerance=0.05, index=1),
    ),
)


def test_judge_compares_with_a_number_another_result_or_a_list_element() -> None:
    results = {"a": {"b": 0.5}, "theory": 0.52, "curve": [1.0, 2.0]}
    rules = [
        Expectation("a.b", "theory", "t", tolerance=0.01),
        Expectation("a.b", 0.6, "t", relation="at_most"),
        Expectation("curve", 2.5, "t", relation="at_least", tolerance=0.4, index=1),
    ]
    assert [v["met"] for v in judge(rules, results)] == [False, True, False]
    assert judge(rules, results)[2]["result"] == "curve[1]"


def test_a_non_finite_result_never_meets_its_expectation() -> None:
    rule = Expectation("x", 0.0, "t", relation="at_most")
    assert not judge([rule], {"x": float("nan")})[0]["met"]


def test_a_result_not_reported_as_a_number_is_short_of_its_expectation() -> None:
    rules = [
        Expectation("alpha", 0.1, "t", tolerance=1),
        Expectation("curve", 0.0, "t", relation="at_least", index=5),
        Expectation("absent", 0.0, "t", relation="at_least"),
        Expectation("x", "alpha", "t", tolerance=1),
    ]
    verdicts = judge(rules, {"alpha": None, "curve": [1.0], "x": 0.5})
    assert [(v["measured"], v["met"]) for v in verdicts] == [
        (None, False),
        (None, False),
        (None, False),
        (0.5, False),
    ]
    assert expected_text(verdicts[3]) == "none (not reported)"


def test_expectation_refuses_an_unknown_relation_or_negative_tolerance() -> None:
    with pytest.raises(ValueError, match="relation must be one of"):
        Expectation("x", 0.0, "t", relation="about")
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        Expectation("x", 0.0, "t", tolerance=-1)


def test_run_page_shows_measured_expected_verdict_and_the_paragraph_of_its_config(
    tmp_path: Path,
) -> None:
    summary = execute(DEMO, _Config(accuracy=0.85, units=7), tmp_path / "run")
    assert summary["description"] == "A demo with 7 units."
    assert [v["met"] for v in summary["verdicts"]] == [False, True]
    page = (tmp_path / "run" / "index.html").read_text()
    assert "A demo with 7 units." in page
    assert "<th>measured</th><th>expected</th><th>verdict</th>" in page
    assert '<td class="short">short of it</td>' in page
    assert '<td class="met">met</td>' in page
    assert "≥ 0.89" in page and "0.48 ± 0.05" in page


def test_tour_page_opens_with_a_summary_of_verdicts_linking_the_short_ones(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good"
    bad = tmp_path / "bad"
    execute(DEMO, _Config(), good)
    execute(DEMO, _Config(accuracy=0.5), bad)
    page = write_tour_report(tmp_path, {"Demo": [good, bad]}).read_text()
    assert "3 met</span>" in page and "1 short of expectation</span>" in page
    assert '<a href="#run-bad">bad</a>' in page and 'id="run-bad"' in page
    markdown = tour_results_markdown({"Demo": [good, bad]}, "hebbian tour")
    assert "| `demo` | `accuracy` | 0.5 | ≥ 0.89 | short of it | theory: a test |" in markdown
