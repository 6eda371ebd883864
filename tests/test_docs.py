"""The documentation site: it builds without a warning, every tutorial runs and shows
its figures, the API reference lists every public name, and every page, opened in a real
browser at 700 px, has working links and images, typeset maths and nothing wider than
the window.

The site is built once, into ``docs/_build/html`` (where the README says to open it).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from browser import BROWSER, check_pages

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SITE = DOCS / "_build" / "html"
TUTORIALS = sorted((DOCS / "tutorials").glob("tutorial_*.py"))
# one tutorial per topic of the library, named tutorial_NN_<topic>.py
TOPICS = {
    "which_rule": "comparing the local rules: a table and a figure",
    "local_rules": "hebbian.rules",
    "hopfield": "hebbian.hopfield",
    "competing": "hebbian.competing",
    "plasticity": "hebbian.plastic: differentiable plasticity and neuromodulation",
    "spiking": "hebbian.spiking: neurons and STDP",
    "deep": "hebbian.deep: SoftHebb",
    "diehl_cook": "hebbian.spiking.diehl_cook: STDP that learns digits",
}


@pytest.fixture(scope="module")
def site() -> Path:
    shutil.rmtree(SITE, ignore_errors=True)  # no page of an earlier build may linger
    env = {k: v for k, v in os.environ.items() if k != "HEBBIAN_DOCS_TUTORIALS"}
    env["MPLBACKEND"] = "Agg"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-j", "auto"),
            *("-b", "html", str(DOCS), str(SITE)),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, "the site did not build:\n" + done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    return SITE


class _Page(HTMLParser):
    """The ids, links and image sources of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag == "img" and values.get("src"):
            self.images.append(str(values["src"]))


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)


def test_there_is_one_tutorial_per_topic() -> None:
    topics = [re.sub(r"^tutorial_\d\d_", "", script.stem) for script in TUTORIALS]
    assert sorted(topics) == sorted(TOPICS), "tutorial file names and topics differ"


def test_the_which_rule_page_compares_the_rules_in_a_table(site: Path) -> None:
    page = site / "generated" / "tutorials" / "tutorial_00_which_rule.html"
    html = page.read_text(encoding="utf-8")
    assert "<table" in html, "the comparison table is missing"
    for rule in ("hebb", "covariance", "instar", "oja", "sanger", "bcm", "anti_hebbian"):
        assert f"{rule}(" in html, f"the table does not show {rule}"


def test_every_tutorial_ran_and_its_page_shows_its_figures(site: Path) -> None:
    assert TUTORIALS, "the site has tutorials"
    for script in TUTORIALS:
        page = site / "generated" / "tutorials" / f"{script.stem}.html"
        assert page.is_file(), f"{script.name} has no page"
        figures = [s for s in _parse(page).images if f"sphx_glr_{script.stem}_" in s]
        assert figures, f"{script.name} showed no figure: did it run?"
        for source in figures:
            assert (page.parent / unquote(source)).is_file(), (script.name, source)


def test_the_api_reference_documents_every_public_name(site: Path) -> None:
    pages = sorted((DOCS / "api").glob("*.rst"))
    documented = {}
    for source in pages:
        match = re.search(r"^\.\. automodule:: (\S+)", source.read_text(), flags=re.MULTILINE)
        if match:
            documented[match[1]] = site / "api" / f"{source.stem}.html"
    packages = {
        f"hebbian.{p.stem if p.is_file() else p.name}"
        for p in (ROOT / "src" / "hebbian").iterdir()
        if not p.name.startswith(("_", "."))
        and (p.suffix == ".py" or (p / "__init__.py").is_file())
    }
    # the command has its own page; hebbian.distributed is the old home of a module
    assert packages - {"hebbian.cli", "hebbian.distributed"} == set(documented)
    for name, page in documented.items():
        ids = _parse(page).ids
        module = importlib.import_module(name)
        # a submodule named in __all__ is a namespace: its names are on this page
        names = [n for n in module.__all__ if not inspect.ismodule(getattr(module, n))]
        missing = [n for n in names if f"{name}.{n}" not in ids]
        assert not missing, f"{page.name} lacks {missing}"


def test_every_link_and_image_of_the_site_points_at_something(site: Path) -> None:
    pages = _pages(site)
    parsed = {page: _parse(page) for page in pages}
    broken = []
    for page, content in parsed.items():
        for target in content.links + content.images:
            parts = urlsplit(target)
            if parts.scheme in ("http", "https", "mailto") or target.startswith("#"):
                fragment = parts.fragment if target.startswith("#") else None
                if fragment and fragment not in content.ids:
                    broken.append((page.relative_to(site), target))
                continue
            path = (page.parent / unquote(parts.path)).resolve()
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append((page.relative_to(site), target))
            elif parts.fragment and path.suffix == ".html":
                ids = parsed[path].ids if path in parsed else _parse(path).ids
                if parts.fragment not in ids:
                    broken.append((page.relative_to(site), target))
    assert not broken, broken[:20]


def test_the_entry_pages_python_example_runs_as_written() -> None:
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "index.md").read_text(), flags=re.DOTALL)
    assert blocks
    for block in blocks:
        exec(compile(block, str(DOCS / "index.md"), "exec"), {})


def test_the_readme_links_the_sites_entry_page_and_shows_the_install_line() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "](docs/index.md)" in readme
    assert "pip install hebbian-torch" in readme


@pytest.mark.skipif(BROWSER is None, reason="needs chromium (setup.sh installs it)")
def test_every_page_reads_well_in_a_real_browser_at_700_px(site: Path) -> None:
    pages = [str(p.relative_to(site)) for p in _pages(site)]
    report = check_pages(site, pages, width=700)
    assert set(report) == set(pages)
    trouble = {
        page: found
        for page, found in report.items()
        if found["broken"]
        or found["wide"]
        or found["untypeset"]
        or found["scrollWidth"] > found["innerWidth"]
    }
    assert not trouble, trouble
    assert sum(found["maths"] for found in report.values()) > 50  # the maths is typeset
