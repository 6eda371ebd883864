"""The command starts fast, explains every setting, and prints short results."""

from __future__ import annotations

import dataclasses
import enum
import subprocess
import sys
from pathlib import Path

import pytest

from hebbian.cli import main
from hebbian.experiments import REGISTRY, get_recipe, setting_meanings
from hebbian.experiments.settings import config_defaults


def python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return result.stdout


@pytest.mark.parametrize("argv", [["list"], ["--help"], ["run", "--help"]])
def test_list_and_help_do_not_import_torch_or_scikit_learn(argv: list[str]) -> None:
    code = (
        "import sys\nfrom hebbian.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('heavy:', sorted(m for m in ('torch', 'sklearn', 'matplotlib') if m in sys.modules))"
    )
    assert python(code).splitlines()[-1] == "heavy: []"


def test_the_registry_agrees_with_every_recipe() -> None:
    for entry in REGISTRY:
        recipe = get_recipe(entry.name)
        assert (recipe.name, recipe.summary, recipe.topic) == (
            entry.name,
            entry.summary,
            entry.topic,
        )


@pytest.mark.parametrize("name", [e.name for e in REGISTRY])
def test_run_recipe_help_lists_every_setting_with_its_default(name: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", name, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    config_type = get_recipe(name).config_type
    for key, default in config_defaults(config_type).items():  # dotted for parameter objects
        assert f"  {key} = " in text, key
        if default is not dataclasses.MISSING and not isinstance(default, (enum.Enum, tuple)):
            assert f"  {key} = {default!r}" in text, key
    for meaning in setting_meanings(config_type).values():
        assert meaning in text


def test_show_config_shows_the_set_value_its_default_and_meaning(capsys) -> None:
    assert main(["run", "oja-digits", "--show-config", "--set", "epochs=7"]) == 0
    out = capsys.readouterr().out
    assert "  epochs = 7  (int, default 40)\n      Passes over the training images." in out


@pytest.mark.parametrize("name", [e.name for e in REGISTRY])
def test_every_setting_of_every_recipe_has_a_meaning(name: str) -> None:
    meanings = setting_meanings(get_recipe(name).config_type)
    assert [key for key, text in meanings.items() if not text] == []


def test_a_meaning_documented_once_for_several_names_and_on_a_base_class() -> None:
    @dataclasses.dataclass
    class Base:
        """Base.

        Attributes
        ----------
        learning_rate, final_learning_rate : float
            Rates at the start and the end. More text.
        """

        learning_rate: float = 0.1
        final_learning_rate: float = 0.01

    @dataclasses.dataclass
    class Child(Base):
        """Child.

        Attributes
        ----------
        pattern_size, patterns,
        cycles : int
            The task: classes 0 .. patterns-1. Here.

        Notes
        -----
        epochs : int
            Not an attribute.
        """

        pattern_size: int = 1
        patterns: int = 2
        cycles: int = 1
        epochs: int = 3

    assert setting_meanings(Child) == {
        "learning_rate": "Rates at the start and the end.",
        "final_learning_rate": "Rates at the start and the end.",
        "pattern_size": "The task: classes 0 .. patterns-1.",
        "patterns": "The task: classes 0 .. patterns-1.",
        "cycles": "The task: classes 0 .. patterns-1.",
        "epochs": "",
    }


def test_run_prints_the_verdicts_in_short_lines_and_the_report(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "sanger"
    args = ["run", "sanger-digits", "--threads", "1", "--set", "epochs=3", "--out", str(folder)]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("sanger-digits finished in")
    assert lines[-1] == f"report: {folder / 'index.html'}"
    body = lines[1:-1]
    assert 1 <= len(body) <= 7
    assert all(len(line) <= 100 for line in lines)
    assert body[0].startswith(("  met: ", "  short of it: ")) and "(expected " in body[0]


def test_an_unfinished_runs_page_prints_the_full_resume_command(tmp_path: Path) -> None:
    from hebbian.report.html import write_run_report
    from hebbian.runs import Run

    folder = tmp_path / "r"
    Run.start(folder, recipe="oja-digits", config={"epochs": 7, "rate": 0.5}, seed=2).log(1, a=1)
    page = write_run_report(folder).read_text()
    assert (
        f"hebbian run oja-digits --seed 2 --device cpu --set epochs=7 --set rate=0.5 "
        f"--out {folder} --resume"
    ) in page
