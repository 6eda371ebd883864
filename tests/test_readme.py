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
