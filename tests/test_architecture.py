"""docs/ARCHITECTURE.md describes the tree as it is, and the tree keeps its habits."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "hebbian"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"


def _tree_block() -> str:
    text = ARCHITECTURE.read_text()
    block = re.search(r"## The tree\n+```\n(.*?)```", text, flags=re.DOTALL)
    assert block, "docs/ARCHITECTURE.md has a '## The tree' code block"
    return block[1]


def test_every_module_and_package_is_in_the_tree_and_the_tree_names_nothing_else() -> None:
    block = _tree_block()
    named_files = set(re.findall(r"\b(\w+\.py)\b", block))
    named_folders = set(re.findall(r"\b(\w+)/", block))
    files = {p.name for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    folders = {p.name for p in PACKAGE.rglob("*") if p.is_dir() and (p / "__init__.py").exists()}
    assert files - named_files == set(), "modules missing from docs/ARCHITECTURE.md"
    assert named_files - files - {"conftest.py", "__init__.py"} == set(), "names of gone modules"
    assert folders - named_folders == set(), "packages missing from docs/ARCHITECTURE.md"


def test_no_module_is_longer_than_900_lines_without_saying_why() -> None:
    long = []
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text().splitlines()
        if len(lines) > 900 and "longer than 900 lines" not in "\n".join(lines[:15]):
            long.append(f"{path.relative_to(ROOT)} ({len(lines)} lines)")
    assert long == []


def test_no_module_imports_a_private_name_of_another_module() -> None:
    """One home per concept: what another module needs is public where it lives."""
    modules = {p.stem for p in PACKAGE.rglob("*.py")}  # a package's private modules
    found = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        for match in re.finditer(r"^from (hebbian[\w.]*) import (\([^)]*\)|[^\n]*)", text, re.M):
            names = [n for n in re.findall(r"\b(_[a-z]\w*)\b", match[2]) if n not in modules]
            found += [f"{path.relative_to(ROOT)}: {match[1]}.{n}" for n in names]
    assert found == []
