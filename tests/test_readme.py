"""The README's code examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert blocks, "the README should show the library in use"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})


def test_readme_quick_start_names_exactly_the_two_scripts() -> None:
    text = README.read_text()
    quick_start = text.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"^bash (\S+)", quick_start, flags=re.MULTILINE)
    assert commands == ["scripts/tour.sh", "scripts/test.sh"]
    assert all((README.parent / c).exists() for c in commands)
    assert "scripts/test.sh" in (README.parent / ".ci" / "run").read_text()


def test_every_documented_run_command_names_real_settings() -> None:
    """Each ``hebbian run RECIPE ... --set key=value`` in the README and docs/ builds a
    config: a setting renamed in the code cannot leave a stale command in the docs."""
    from hebbian.experiments import get_recipe
    from hebbian.experiments.base import build_config

    texts = [README.read_text(), *(p.read_text() for p in (README.parent / "docs").glob("*.md"))]
    text = " ".join(" ".join(texts).split())  # commands may wrap across lines
    small = re.search(r"`SMALL` stands for `([^`]*)`", text)
    text = text.replace(" SMALL ", f" {small[1]} ") if small else text
    checked = 0
    for name, flags in re.findall(
        r"hebbian run ([a-z0-9-]+)((?: --[a-z-]+(?: [^-`|\s][^`\s]*)?)*)", text
    ):
        overrides = re.findall(r"--set ([^`\s]+)", flags)
        build_config(get_recipe(name).config_type, overrides)
        checked += bool(overrides)
    assert checked >= 5, "the docs' commands with --set were not found"
