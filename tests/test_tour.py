"""The tour: one report of every model, the same numbers on every machine, as in the docs.

The tour runs twice here, at the same time: in this process (torch's own vector
kernels, one thread) and in a subprocess under another floating-point summation order
(``ATEN_CPU_CAPABILITY=default`` turns off torch's SIMD kernels, ``MKL_CBWR=COMPATIBLE``
makes MKL take its portable code path, and two threads split every reduction
differently). Every number that ``docs/RESULTS.md`` documents must come out the same
from both.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import BROWSER, check_pages
from hebbian.cli import main
from hebbian.experiments import RECIPES, TOUR_RECIPES
from hebbian.report.html import flatten_results, format_number

ROOT = Path(__file__).parents[1]

ANOTHER_SUMMATION_ORDER = {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}

# Results computed by float32 training (Oja's and Sanger's weights, BCM's responses, the
# Krotov-Hopfield prototypes, a plastic network's learned rates) carry rounding of ~1e-7
# relative that depends on the summation order; over a tour it stays below 1e-6
# (measured: 7.2e-7 at most). The docs quote 5 significant digits, so such a result may
# differ from one order to another by at most this much, which can move only a 5th digit
# that sits on a rounding boundary. Every other recipe's numbers must agree exactly.
FLOAT32_TRAINING_NOISE = 1e-5
FLOAT32_TRAINED = {
    "oja-digits",
    "sanger-digits",
    "bcm-selectivity",
    "hebb-runaway",
    "krotov-digits",
    "plastic-patterns",
}


@pytest.fixture(scope="module")
def other_order_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    """The tour under another summation order, started in a subprocess right away.

    It runs beside the in-process tour (one thread here, two there), so the two tours
    take about the time of one on a 2-core machine.
    """
    folder = tmp_path_factory.mktemp("tour-other-order")
    log = tmp_path_factory.mktemp("tour-other-order-log") / "stderr.txt"
    env = {**os.environ, **ANOTHER_SUMMATION_ORDER}
    with (
        log.open("w") as stderr,
        subprocess.Popen(
            [sys.executable, "-m", "hebbian.cli", "tour", "--threads", "2", "--out", str(folder)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        ) as process,
    ):
        try:
            yield process, folder, log
        finally:
            if process.poll() is None:
                process.kill()


@pytest.fixture(scope="module")
def tour(
    tmp_path_factory: pytest.TempPathFactory,
    other_order_run: tuple[subprocess.Popen[bytes], Path, Path],
) -> Path:
    folder = tmp_path_factory.mktemp("tour")
    assert main(["tour", "--out", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def tour_other_order(other_order_run: tuple[subprocess.Popen[bytes], Path, Path]) -> Path:
    process, folder, log = other_order_run
    assert process.wait(timeout=900) == 0, log.read_text()
    return folder


def test_tour_writes_one_section_per_topic_and_every_number(tour: Path) -> None:
    page = (tour / "index.html").read_text()
    for recipe in TOUR_RECIPES:
        assert (tour / recipe.name / "summary.json").exists()
        assert f'src="{recipe.name}/' in page
    for topic in {recipe.topic for recipe in TOUR_RECIPES}:
        assert f">{topic}</h2>" in page
    results = (tour / "RESULTS.md").read_text()
    assert "`hebbian tour --seed 0 --device cpu`" in results
    assert "| Hebbian learning | `oja-digits` | `min_abs_cos_with_pca` |" in results
    assert not list(tour.glob(".*")), "no scratch folders are left behind"


def _documented_results(folder: Path) -> dict[tuple[str, str], Any]:
    """``{(recipe, result): value}`` of every number the tour documents (no wall times)."""
    values = {}
    for recipe in TOUR_RECIPES:
        summary = json.loads((folder / recipe.name / "summary.json").read_text())
        for key, value in flatten_results(summary["results"]).items():
            if not key.endswith("_wall_seconds"):
                values[(recipe.name, key)] = value
    return values


def _same_number(a: Any, b: Any, *, float32_trained: bool = True) -> bool:
    """Equal as documented; floats of float32 training may differ by its noise only."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(
            _same_number(x, y, float32_trained=float32_trained) for x, y in zip(a, b, strict=True)
        )
    if format_number(a) == format_number(b):
        return True
    return (
        float32_trained
        and isinstance(a, float)
        and isinstance(b, float)
        and math.isclose(a, b, rel_tol=FLOAT32_TRAINING_NOISE)
    )


def test_every_documented_number_is_the_same_under_another_summation_order(
    tour: Path, tour_other_order: Path
) -> None:
    here, there = _documented_results(tour), _documented_results(tour_other_order)
    assert here.keys() == there.keys()
    differing = {
        key: (here[key], there[key])
        for key in here
        if not _same_number(here[key], there[key], float32_trained=key[0] in FLOAT32_TRAINED)
    }
    assert not differing, f"numbers that depend on the summation order: {differing}"


def test_same_number_tells_rounding_noise_from_a_different_result() -> None:
    assert _same_number([0.99974650, 1], [0.99974668, 1])
    assert _same_number(0.1234551, 0.1234549)  # a 5th digit on its rounding boundary
    assert not _same_number(0.1234551, 0.1234549, float32_trained=False)
    assert not _same_number(0.66, 0.68)
    assert not _same_number([1, 2], [1, 3])
    assert not _same_number(1e-11, 2e-11)


def _table_rows(text: str) -> dict[tuple[str, str], list[float | str]]:
    """``{(recipe, result): values}`` of every tour row in the results table."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[1] in {r.name for r in RECIPES}:
            rows[(cells[1], cells[2])] = [_number_or_text(v) for v in cells[3].split(",")]
    return rows


def _verdict_rows(text: str) -> dict[tuple[str, str], tuple[float | str, ...]]:
    """``{(recipe, result): (measured, expected, verdict, source)}`` of the verdict table."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split(" | ")]
        if len(cells) == 6 and cells[0] in {r.name for r in RECIPES}:
            rows[(cells[0], cells[1])] = (_number_or_text(cells[2]), *cells[3:])
    return rows


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text.strip()


def _same_documented(key: tuple[str, str], doc: float | str, got: float | str) -> bool:
    if isinstance(got, str) or isinstance(doc, str) or doc == got:
        return doc == got
    # a 5-digit value of float32 training whose last digit sits on a rounding boundary
    return key[0] in FLOAT32_TRAINED and math.isclose(doc, got, rel_tol=FLOAT32_TRAINING_NOISE)


def test_tour_numbers_match_docs_results(tour: Path) -> None:
    docs = (ROOT / "docs" / "RESULTS.md").read_text()
    measured_text = (tour / "RESULTS.md").read_text()
    documented, measured = _table_rows(docs), _table_rows(measured_text)
    assert set(documented) == set(measured), "docs/RESULTS.md must list every tour number"
    for key, values in measured.items():
        for doc, got in zip(documented[key], values, strict=True):
            assert _same_documented(key, doc, got), (key, doc, got)
    documented_verdicts, verdicts = _verdict_rows(docs), _verdict_rows(measured_text)
    assert verdicts, "the tour's RESULTS.md has a verdict table"
    assert set(documented_verdicts) == set(verdicts), "docs/RESULTS.md must list every verdict"
    for key, (got, *rest) in verdicts.items():
        doc, *doc_rest = documented_verdicts[key]
        assert _same_documented(key, doc, got) and doc_rest == rest, key


@pytest.mark.skipif(BROWSER is None, reason="needs chromium (setup.sh installs it)")
def test_tour_page_in_a_real_browser_loads_every_image_and_fits_700_px(tour: Path) -> None:
    report = check_pages(tour, ["index.html"], width=700)["index.html"]
    assert report["images"] >= len(TOUR_RECIPES)
    assert report["broken"] == []
    assert report["wide"] == [], "elements overflow a 700 px window"
    assert report["scrollWidth"] <= report["innerWidth"]
