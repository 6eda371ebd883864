"""The ``hebbian`` command: list, run and report recipes, and take the tour.

Only this module reads ``argv``; it turns flags into a recipe config and calls
library functions (DESIGN habit 8).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from hebbian import __version__
from hebbian.experiments import RECIPES, TOUR_RECIPES, get_recipe
from hebbian.experiments.base import build_config, config_fields, execute, resolve_device
from hebbian.report.html import tour_results_markdown, write_run_report, write_tour_report
from hebbian.runs import RunFolderError, atomic_write_text

__all__ = ["main"]

EPILOG = """examples:
  hebbian list
  hebbian run sanger-digits --set components=4 --set epochs=20 --out runs/sanger
  hebbian run sanger-digits --out runs/sanger --resume    # continue after an interruption
  hebbian report runs/sanger
  hebbian tour                     # every model on embedded data: runs/tour/index.html
"""


def _recipe_help() -> str:
    return "\n".join(f"  {r.name:<20} {r.summary}" for r in RECIPES)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``hebbian`` command."""
    parser = argparse.ArgumentParser(
        prog="hebbian",
        description="Hebbian learning and synaptic plasticity in PyTorch.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hebbian {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser("list", help="list the recipes, one line each")

    run = commands.add_parser(
        "run",
        help="run one recipe into a run folder",
        description="Run one recipe. Its folder receives config.json, metrics.jsonl, "
        "checkpoints, PNG figures, summary.json and index.html.",
        epilog="recipes:\n" + _recipe_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("recipe", metavar="RECIPE", help="recipe name (see `hebbian list`)")
    run.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one setting of the recipe's config (repeatable); "
        "`hebbian run RECIPE --show-config` lists them",
    )
    run.add_argument("--show-config", action="store_true", help="print the settings and exit")
    _add_common(run)
    run.add_argument(
        "--out", type=Path, default=None, help="run folder (default: runs/RECIPE-seedN)"
    )
    run.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in --out from its last checkpoint",
    )

    report = commands.add_parser(
        "report",
        help="rebuild the HTML page of a run folder",
        description="Rebuild RUN_DIR/index.html from the files in the run folder.",
    )
    report.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a run folder")

    tour = commands.add_parser(
        "tour",
        help="quick run of every model on embedded data, with an HTML report",
        description="Run every recipe with small settings on embedded data and write "
        "OUT/index.html (one section per model) and OUT/RESULTS.md (every number reported).",
    )
    # the tour's tensors are small: one thread beats the thread pool's hand-offs
    _add_common(tour, default_threads=1)
    tour.add_argument("--out", type=Path, default=Path("runs/tour"), help="default: runs/tour")
    return parser


def _add_common(parser: argparse.ArgumentParser, *, default_threads: int | None = None) -> None:
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument(
        "--threads",
        type=int,
        default=default_threads,
        help="CPU threads for torch "
        + (
            "(default: torch's choice)"
            if default_threads is None
            else f"(default: {default_threads})"
        ),
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder searched first for data sets (then $HEBBIAN_DATA, the user cache, "
        "/usr/share/datasets)",
    )


def _cmd_list() -> None:
    for recipe in RECIPES:
        print(f"{recipe.name:<20} {recipe.summary}")


def _cmd_run(args: argparse.Namespace) -> None:
    recipe = get_recipe(args.recipe)
    config = build_config(recipe.config_type, args.settings)
    if args.show_config:
        for name, kind in config_fields(recipe.config_type).items():
            print(f"{name} = {getattr(config, name)!r}  ({getattr(kind, '__name__', kind)})")
        return
    resolve_device(args.device)
    out = args.out or Path("runs") / f"{recipe.name}-seed{args.seed}"
    started = time.perf_counter()
    summary = execute(
        recipe,
        config,
        out,
        seed=args.seed,
        device=args.device,
        resume=args.resume,
        data_dir=args.data_dir,
    )
    print(f"{recipe.name} finished in {time.perf_counter() - started:.1f} s")
    for key, value in summary["results"].items():
        print(f"  {key} = {value}")
    print(f"report: {out / 'index.html'}")


def run_tour(
    out: Path, *, seed: int = 0, device: str = "cpu", data_dir: Path | None = None
) -> Path:
    """Run every recipe with its tour settings into ``out`` and write the tour report.

    Each recipe runs in a fresh temporary folder that replaces ``out/NAME`` only once
    it has finished, so an interrupted tour never leaves a half-written section.
    """
    resolve_device(device)
    out.mkdir(parents=True, exist_ok=True)
    sections: dict[str, list[Path]] = {}
    for index, recipe in enumerate(TOUR_RECIPES, start=1):
        final = out / recipe.name
        scratch = out / f".{recipe.name}.partial"
        shutil.rmtree(scratch, ignore_errors=True)
        started = time.perf_counter()
        print(f"[{index}/{len(TOUR_RECIPES)}] {recipe.name}: {recipe.summary}", flush=True)
        config = build_config(recipe.config_type, recipe.tour)
        execute(recipe, config, scratch, seed=seed, device=device, data_dir=data_dir)
        old = out / f".{recipe.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        scratch.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        write_run_report(final)  # links inside the page do not depend on the folder name
        print(f"    done in {time.perf_counter() - started:.1f} s", flush=True)
        sections.setdefault(recipe.topic, []).append(final)
    command = f"hebbian tour --seed {seed} --device {device}"
    page = write_tour_report(
        out,
        sections,
        intro=f"Every model of the library on embedded data, with small settings ({command}). "
        "Each block names the command that reproduces it; `hebbian run NAME` without --set "
        "runs a recipe at its full-size defaults.",
    )
    atomic_write_text(out / "RESULTS.md", tour_results_markdown(sections, command))
    return page


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hebbian`` console command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        threads = getattr(args, "threads", None)
        if threads is not None:
            if threads < 1:
                raise ValueError(f"--threads must be at least 1, got {threads}")
            torch.set_num_threads(threads)
        if args.command == "list":
            _cmd_list()
        elif args.command == "run":
            _cmd_run(args)
        elif args.command == "report":
            print(write_run_report(args.run_dir))
        elif args.command == "tour":
            page = run_tour(args.out, seed=args.seed, device=args.device, data_dir=args.data_dir)
            print(f"tour report: {page}")
    except (ValueError, TypeError, FileNotFoundError, RunFolderError, FloatingPointError) as error:
        print(f"hebbian: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("hebbian: interrupted; resume with --resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
