"""The package as a user installs it: ``python -m build`` makes an sdist and a wheel, and
the wheel, installed into a fresh virtual environment with no source tree on its path,
answers ``hebbian list`` and runs a recipe.

The fresh environment gets only the wheel (``pip install --no-deps``); its dependencies
(PyTorch and the rest, a gigabyte) are borrowed from the environment running the tests
through a path entry, and each ``Requires-Dist`` of the wheel is checked against them, so
that the declared dependencies are what the package runs with. The borrowed folder's own
``.pth`` files (the editable install of this checkout among them) are not processed by
Python for such an entry, so the checkout stays off the path; a test says so.
"""

from __future__ import annotations

import email
import importlib.metadata
import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import hebbian

ROOT = Path(__file__).resolve().parents[1]
DISTRIBUTION = "hebbian-torch"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist, and the wheel that ``python -m build`` makes from it."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def fresh(built: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding only the wheel (see the module docstring)."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"),
            *("-q", "--disable-pip-version-check", str(built["wheel"])),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    borrowed = sysconfig.get_paths()["purelib"]  # this environment's torch, numpy, ...
    (Path(purelib) / "borrowed-dependencies.pth").write_text(borrowed + "\n")
    return venv


def _in(venv: Path, *command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_the_wheel_carries_the_package_its_type_marker_and_its_metadata(
    built: dict[str, Path],
) -> None:
    names = zipfile.ZipFile(built["wheel"]).namelist()
    assert "hebbian/py.typed" in names
    assert "hebbian/spiking/diehl_cook.py" in names
    assert not [n for n in names if n.startswith(("tests/", "docs/", "benchmarks/"))]
    (metadata,) = (n for n in names if n.endswith(".dist-info/METADATA"))
    fields = email.message_from_bytes(zipfile.ZipFile(built["wheel"]).read(metadata))
    assert fields["Name"] == DISTRIBUTION
    assert fields["Version"] == hebbian.__version__
    (entry_points,) = (n for n in names if n.endswith(".dist-info/entry_points.txt"))
    scripts = zipfile.ZipFile(built["wheel"]).read(entry_points).decode()
    assert "hebbian = hebbian.cli:main" in scripts


def test_the_sdist_holds_the_sources_the_tests_and_the_changelog(built: dict[str, Path]) -> None:
    names = {n.split("/", 1)[1] for n in tarfile.open(built["sdist"]).getnames() if "/" in n}
    for name in ("pyproject.toml", "README.md", "src/hebbian/py.typed", "src/hebbian/cli.py"):
        assert name in names


def test_every_declared_dependency_is_met_by_the_environment_it_runs_in(
    built: dict[str, Path],
) -> None:
    archive = zipfile.ZipFile(built["wheel"])
    (metadata,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
    fields = email.message_from_bytes(archive.read(metadata))
    required = [Requirement(r) for r in fields.get_all("Requires-Dist") or []]
    runtime = [r for r in required if r.marker is None or r.marker.evaluate({"extra": ""})]
    assert {r.name for r in runtime} >= {"torch", "numpy", "numba"}
    for requirement in runtime:
        installed = importlib.metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (requirement, installed)


def test_the_installed_wheel_is_imported_not_the_checkout(fresh: Path, tmp_path: Path) -> None:
    done = _in(
        fresh,
        str(fresh / "bin" / "python"),
        "-c",
        "import hebbian, json, sys; print(json.dumps([hebbian.__file__, sys.path]))",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    module, path = json.loads(done.stdout)
    assert Path(module).is_relative_to(fresh)
    borrowed = Path(sysconfig.get_paths()["purelib"]).resolve()
    inside = [Path(p).resolve() for p in path if p and Path(p).resolve().is_relative_to(ROOT)]
    assert inside in ([], [borrowed])  # the dependencies' folder, never src/ or the root


def test_the_installed_command_lists_the_recipes_and_runs_one(fresh: Path, tmp_path: Path) -> None:
    listed = _in(fresh, "hebbian", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "oja-digits" in listed.stdout and "diehl-cook-digits" in listed.stdout
    out = tmp_path / "oja"
    ran = _in(
        fresh,
        "hebbian",
        "run",
        "oja-digits",
        "--set",
        "epochs=2",
        "--threads",
        "1",
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["recipe"] == "oja-digits"
    assert (out / "index.html").is_file()
