"""Start-up time of the ``hebbian`` command against a bare ``python -c pass``.

Issue #10: ``hebbian --help`` and ``hebbian list`` must answer in under a second.
They import only the light recipe registry (:data:`hebbian.experiments.REGISTRY`);
torch, scikit-learn and matplotlib are imported when a recipe runs. Each command is
run ``--repeats`` times in a fresh interpreter (the same one as this script's) and
the median and minimum wall times are recorded, with the interpreter's own start-up
(``python -c pass``) as the floor. ``hebbian run oja-digits --show-config``, which
imports a recipe and torch, is timed for contrast.

Run::

    .venv/bin/python benchmarks/cli_startup.py              # 7 repeats each
    .venv/bin/python benchmarks/cli_startup.py --repeats 3

It prints a table and writes ``benchmarks/results/cli_startup.json`` (atomically).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from hebbian import __version__
from hebbian.runs import atomic_write_text

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "cli_startup.json"

# the console script that `pip install` made beside this interpreter, else `python -m`
_SCRIPT = Path(sys.executable).with_name("hebbian")
HEBBIAN = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "hebbian.cli"]

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "hebbian --help": [*HEBBIAN, "--help"],
    "hebbian list": [*HEBBIAN, "list"],
    "hebbian run --help": [*HEBBIAN, "run", "--help"],
    "hebbian run oja-digits --show-config": [*HEBBIAN, "run", "oja-digits", "--show-config"],
}


def time_command(args: list[str], repeats: int) -> dict[str, Any]:
    """Wall seconds of the command ``args`` (a fresh interpreter), ``repeats`` times."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        seconds.append(time.perf_counter() - started)
    return {
        "median_seconds": statistics.median(seconds),
        "min_seconds": min(seconds),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs of each command")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    load_before = os.getloadavg()
    timings = {name: time_command(argv, args.repeats) for name, argv in COMMANDS.items()}
    floor = timings["python -c pass"]["median_seconds"]
    for timing in timings.values():
        timing["above_python_seconds"] = timing["median_seconds"] - floor
    result = {
        "benchmark": "hebbian command start-up",
        "command": f"python benchmarks/cli_startup.py --repeats {args.repeats}",
        "requirement": "hebbian --help and hebbian list answer in under 1 s",
        "hebbian": "the console script .venv/bin/hebbian"
        if _SCRIPT.exists()
        else "python -m hebbian.cli",
        "environment": {
            "cpu": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "hebbian_version": __version__,
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "timings": timings,
        "met": all(
            timings[name]["median_seconds"] < 1.0 for name in ("hebbian --help", "hebbian list")
        ),
    }
    print(f"{'command':<40} {'median s':>9} {'min s':>7} {'above python':>13}")
    for name, timing in timings.items():
        print(
            f"{name:<40} {timing['median_seconds']:9.3f} {timing['min_seconds']:7.3f} "
            f"{timing['above_python_seconds']:13.3f}"
        )
    atomic_write_text(args.output, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
