"""scripts/setup.sh says what it is doing, installs chromium, and tour.sh says what next.

setup.sh runs here against stand-ins: a fake interpreter in a fake virtual
environment (it prints what pip would) and a fake apt-get, on a PATH that holds
only the tools the script needs, so nothing is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ["bash", "sh", "cat", "cut", "grep", "sed", "sha256sum", "sleep", "dirname", "rm"]


def stub(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, str]:
    """A PATH of the needed tools, a fake venv python and fake apt-get and id."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    log = tmp_path / "log"
    stub(bin_dir / "id", "echo 0\n")
    stub(bin_dir / "apt-get", f'echo "apt-get $*" >> {log}\n')
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    stub(venv / "bin" / "python", f'echo "python $*" >> {log}\necho "Collecting torch"\n')
    return {"PATH": str(bin_dir), "HEBBIAN_VENV": str(venv), "HOME": str(tmp_path), "LOG": str(log)}


def setup(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"source {ROOT / 'scripts' / 'setup.sh'}"],
        env={k: v for k, v in env.items() if k != "LOG"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_setup_announces_each_step_and_shows_pips_progress(sandbox: dict[str, str]) -> None:
    result = setup(sandbox)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    steps = [line for line in lines if line.startswith("setup: [")]
    assert [s[:12] for s in steps] == ["setup: [1/2]", "setup: [2/2]"]
    assert "torch==2.13.0" in steps[0]
    assert "  pip: Collecting torch" in lines  # pip's own lines come through
    log = Path(sandbox["LOG"]).read_text()
    assert "python -m pip install" in log and "--quiet" not in log


def test_setup_installs_chromium_with_apt_get_when_root_and_it_is_missing(
    sandbox: dict[str, str],
) -> None:
    result = setup(sandbox)
    assert result.returncode == 0, result.stderr
    assert "setup: installing chromium with apt-get" in result.stderr
    assert "apt-get install -y -qq chromium" in Path(sandbox["LOG"]).read_text()


def test_setup_skips_chromium_in_one_line_without_apt_get(sandbox: dict[str, str]) -> None:
    os.remove(Path(sandbox["PATH"]) / "apt-get")
    result = setup(sandbox)
    assert result.returncode == 0, result.stderr
    text = result.stderr.replace(sandbox["HOME"], "HOME")  # the folder names the test
    skipped = [line for line in text.splitlines() if "chromium" in line]
    assert len(skipped) == 1 and skipped[0].startswith("setup: skipping chromium")


def test_readme_and_tour_script_say_how_to_call_hebbian_afterwards() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "source .venv/bin/activate" in quick_start and ".venv/bin/hebbian" in quick_start
    tour = (ROOT / "scripts" / "tour.sh").read_text().splitlines()
    assert tour[-3].startswith("# ") and tour[-2].startswith('echo "next: source ')
    assert "/bin/activate" in tour[-2] and "/bin/hebbian" in tour[-1]


def test_setup_leaves_the_browser_alone_when_asked(sandbox: dict[str, str]) -> None:
    result = setup({**sandbox, "HEBBIAN_NO_BROWSER": "1"})
    assert result.returncode == 0, result.stderr
    assert "chromium" not in result.stderr
    assert "apt-get" not in Path(sandbox["LOG"]).read_text()


def test_gpu_check_is_valid_bash_and_stops_in_one_line_without_cuda(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "gpu-check.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    if shutil.which("nvidia-smi"):
        pytest.skip("this machine may have a GPU: the check would run for minutes")
    done = subprocess.run(
        ["bash", str(script), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode != 0
    assert [line for line in done.stderr.splitlines() if line.startswith("no CUDA device")]
