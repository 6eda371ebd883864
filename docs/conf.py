"""Sphinx configuration of the documentation site (see ``docs/README.md``).

Build it with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``;
``tests/test_docs.py`` does so in the test command. ``HEBBIAN_DOCS_TUTORIALS``, a
regular expression, limits which tutorials run (default: all).
"""

from __future__ import annotations

import importlib.util
import os
import re
from typing import Any

import hebbian

project = "hebbian"
author = "the hebbian developers"
copyright = "2026, the hebbian developers"
version = release = hebbian.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "tutorials/README.rst", "tutorials/*.py"]
root_doc = "index"

# numpydoc-style docstrings, read by napoleon; the API pages follow each package's __all__
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # NamedTuple fields are documented once, by autodoc
# a word of a shape, as "classes" in "Tensor, shape (B, classes)", may name several
# attributes of the library: that is no broken link
suppress_warnings = ["ref.python"]
autodoc_default_options = {
    "members": True,
    "imported-members": True,
    "undoc-members": True,  # every name of __all__, a type alias too
    "show-inheritance": True,
}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_class_signature = "separated"

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": "tutorials",
    "gallery_dirs": "generated/tutorials",
    "filename_pattern": os.environ.get("HEBBIAN_DOCS_TUTORIALS", r"/tutorial_"),
    "ignore_pattern": r"^(?!.*tutorial_)",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "show_memory": False,
    "plot_gallery": "True",
}
re.compile(sphinx_gallery_conf["filename_pattern"])  # a bad pattern fails here, by name

# MathJax served from the site itself, so that no page needs the network: the copy that
# the package sphinx-mathjax-offline ships, put in place by setup() below
mathjax_path = "mathjax/tex-chtml.js"

html_theme = "furo"
html_title = f"hebbian {release}"
html_static_path: list[str] = []
html_show_sourcelink = False


def _write_command_help(folder: str) -> None:
    """``hebbian --help`` and each command's help, into ``generated/cli-help.txt``."""
    import contextlib
    import io

    from hebbian.cli import build_parser

    os.environ["COLUMNS"] = "88"  # argparse wraps at the terminal's width: fix it
    parts = []
    for command in ([], ["list"], ["run"], ["report"], ["tour"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            build_parser().parse_args([*command, "--help"])
        shown = " ".join(["$ hebbian", *command, "--help"])
        parts.append(shown + "\n" + out.getvalue())
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "cli-help.txt"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(parts))


_write_command_help(os.path.join(os.path.dirname(os.path.abspath(__file__)), "generated"))


def _copy_mathjax(app: Any, error: Exception | None) -> None:
    from sphinx.util.fileutil import copy_asset

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if error is None and spec is not None and spec.submodule_search_locations:
        source = os.path.join(spec.submodule_search_locations[0], "static", "mathjax")
        copy_asset(source, os.path.join(app.outdir, "_static", "mathjax"))


def setup(app: Any) -> dict[str, bool]:
    """Copy MathJax into the built site when the build ends."""
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
