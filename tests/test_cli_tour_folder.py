"""`hebbian tour --out` and `hebbian report` never lose a file they did not write.

The tour marks its folder with hebbian-tour.json, which lists every file it wrote;
it refuses a folder of someone else's files, re-runs into its own output replacing
only what it wrote, and `hebbian report` rebuilds its page.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hebbian import cli
from hebbian.cli import TOUR_MANIFEST, main
from hebbian.experiments import recipe_entry


@pytest.fixture
def small_tour(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tour of one fast recipe, so that the folder rules can be tested in seconds."""
    monkeypatch.setattr(cli, "REGISTRY", (recipe_entry("oja-digits"),))


def test_tour_refuses_a_folder_of_the_users_files_and_changes_nothing(
    tmp_path: Path, small_tour: None, capsys
) -> None:
    (tmp_path / "index.html").write_text("my page")
    (tmp_path / "RESULTS.md").write_text("my results")
    (tmp_path / "oja-digits").mkdir()
    (tmp_path / "oja-digits" / "mydata.csv").write_text("1,2\n")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    assert main(["tour", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "holds files the tour did not write" in err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "index.html").read_text() == "my page"
    assert (tmp_path / "oja-digits" / "mydata.csv").read_text() == "1,2\n"


def test_tour_reruns_into_its_own_output_but_keeps_a_file_the_user_put_there(
    tmp_path: Path, small_tour: None, capsys
) -> None:
    assert main(["tour", "--out", str(tmp_path)]) == 0
    manifest = json.loads((tmp_path / TOUR_MANIFEST).read_text())
    assert {"index.html", "RESULTS.md", "oja-digits/config.json"} <= set(manifest["files"])
    assert main(["tour", "--out", str(tmp_path)]) == 0  # its own output: replaced

    (tmp_path / "oja-digits" / "mydata.csv").write_text("1,2\n")
    capsys.readouterr()
    assert main(["tour", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "would replace files it did not write" in err and "mydata.csv" in err
    assert (tmp_path / "oja-digits" / "mydata.csv").read_text() == "1,2\n"


def test_report_rebuilds_a_tour_and_warns_of_each_missing_figure(
    tmp_path: Path, small_tour: None, capsys
) -> None:
    assert main(["tour", "--out", str(tmp_path)]) == 0
    (tmp_path / "index.html").unlink()
    (tmp_path / "oja-digits" / "index.html").unlink()
    figures = sorted((tmp_path / "oja-digits").glob("*.png"))
    for figure in figures:
        figure.unlink()
    capsys.readouterr()

    assert main(["report", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path / "index.html")
    assert "oja-digits/" in (tmp_path / "index.html").read_text()
    assert (tmp_path / "oja-digits" / "index.html").exists()
    warnings = err.splitlines()
    assert len(warnings) == len(figures) > 0
    for figure, line in zip(figures, warnings, strict=True):
        assert line.startswith(f"hebbian: warning: figure {figure} is missing")


def test_report_warns_of_a_missing_figure_of_a_run(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "r"
    args = ["run", "oja-digits", "--threads", "1", "--set", "epochs=2", "--out", str(folder)]
    assert main(args) == 0
    (folder / "components.png").unlink()
    capsys.readouterr()
    assert main(["report", str(folder)]) == 0
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"hebbian: warning: figure {folder / 'components.png'} is missing")
    assert "--overwrite" in line  # and the command that makes it again


def test_an_interrupted_tour_can_be_run_again_into_the_same_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    entries = (recipe_entry("oja-digits"), recipe_entry("sanger-digits"))
    monkeypatch.setattr(cli, "REGISTRY", entries)
    assert main(["tour", "--out", str(tmp_path)]) == 0
    original = type(entries[0]).load

    def cut(self):
        if self.name == "sanger-digits":
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(type(entries[0]), "load", cut)
    assert main(["tour", "--out", str(tmp_path)]) == 130
    assert f"`hebbian tour --out {tmp_path}" in capsys.readouterr().err
    monkeypatch.setattr(type(entries[0]), "load", original)
    assert main(["tour", "--out", str(tmp_path)]) == 0  # the older sanger section is its own


def test_a_tour_that_fails_says_how_to_run_it_again(
    tmp_path: Path, small_tour: None, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import dataclasses

    original = type(cli.REGISTRY[0]).load

    def failing(self):
        def run(config, run):
            raise MemoryError

        return dataclasses.replace(original(self), run=run)

    monkeypatch.setattr(type(cli.REGISTRY[0]), "load", failing)
    assert main(["tour", "--out", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "the tour stopped at oja-digits: MemoryError" in line
    assert f"`hebbian tour --out {tmp_path} --seed 0 --device cpu`" in line
