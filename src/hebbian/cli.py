"""The ``hebbian`` command: list, run and report recipes, and take the tour.

Only this module reads ``argv``; it turns flags into a recipe config and calls
library functions (docs/ARCHITECTURE.md: library code never parses argv).

The command starts fast: torch, scikit-learn and the recipes are imported only
when a recipe runs or its settings are shown, so ``hebbian --help`` and
``hebbian list`` answer from the light registry of :mod:`hebbian.experiments`.
Bad input and failures end in one line on stderr naming the argument, the value
and what was expected, and, for a run that started, the command that resumes or
restarts it; never in a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import json
import os
import shlex
import shutil
import sys
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hebbian import __version__
from hebbian._files import CONFIG_FILE, SUMMARY_FILE
from hebbian.experiments import REGISTRY, recipe_entry, setting_meanings
from hebbian.experiments.settings import config_defaults, config_fields, config_values

__all__ = ["TOUR_MANIFEST", "main", "run_tour", "settings_text"]

TOUR_MANIFEST = "hebbian-tour.json"
"""The file that marks a folder as the tour's and lists every file the tour wrote there."""

_TOUR_PAGES = ("index.html", "RESULTS.md")
_MAX_LINE = 100

EPILOG = """examples:
  hebbian list
  hebbian run sanger-digits --set components=4 --set epochs=20 --out runs/sanger
  hebbian run sanger-digits --out runs/sanger --resume    # continue after an interruption
  hebbian run sanger-digits --out runs/sanger --overwrite # start that run folder again
  hebbian run sanger-digits --help                        # its settings, defaults, meanings
  hebbian run sanger-digits --seeds 0-4  # 5 seeds in one folder, results as mean ± std
  hebbian report runs/sanger
  hebbian tour                     # every model on embedded data: runs/tour/index.html
"""


class CommandError(Exception):
    """A refusal of the command line, printed as one line."""


class _InterruptedError(CommandError):
    """Ctrl-C during a run: the message says how to resume it."""


def _recipe_help() -> str:
    return "\n".join(f"  {e.name:<20} {e.summary}" for e in REGISTRY)


def build_parser(recipe_settings: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``hebbian`` command.

    ``recipe_settings`` (the text of :func:`settings_text`) replaces the list of recipes
    at the end of ``hebbian run --help`` when the help of one recipe is asked for.
    """
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
        epilog=recipe_settings or "recipes:\n" + _recipe_help(),
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
        "`hebbian run RECIPE --help` lists them with their defaults and meanings",
    )
    run.add_argument(
        "--show-config", action="store_true", help="print the settings (with --set applied)"
    )
    _add_common(run)
    run.add_argument(
        "--seeds",
        default=None,
        metavar="SEEDS",
        help="run once per seed (e.g. 0-4 or 0,2,5-7) into OUT/seed-N and report every "
        "result as mean ± standard deviation in OUT (instead of --seed)",
    )
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        help="run folder (default: runs/RECIPE-seedN, or runs/RECIPE-seedsSEEDS)",
    )
    again = run.add_mutually_exclusive_group()
    again.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run in --out from its last checkpoint",
    )
    again.add_argument(
        "--overwrite",
        action="store_true",
        help="start the run in --out again, deleting only the files that run wrote",
    )

    report = commands.add_parser(
        "report",
        help="rebuild the HTML page of a run folder or of the tour",
        description="Rebuild RUN_DIR/index.html from the files in the run folder; for a "
        "tour folder, rebuild every run's page, the tour page and RESULTS.md.",
    )
    report.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a run or tour folder")

    tour = commands.add_parser(
        "tour",
        help="quick run of every model on embedded data, with an HTML report",
        description="Run every recipe with small settings on embedded data and write "
        "OUT/index.html (one section per model) and OUT/RESULTS.md (every number reported). "
        f"OUT must be new, empty or an earlier tour's (it holds {TOUR_MANIFEST}); the tour "
        "replaces only the files it wrote.",
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
        help="CPU threads for torch, 1 .. the CPUs of this machine "
        + (
            "(default: torch's choice)"
            if default_threads is None
            else f"(default: {default_threads})"
        ),
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed, 0 .. 2**63-1 (default: 0)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder searched first for data sets (then $HEBBIAN_DATA, the user cache, "
        "/usr/share/datasets)",
    )


# ------------------------------------------------------------------ settings
def settings_text(config_type: type, config: Any | None = None) -> str:
    """Every setting of a config dataclass: value, type, default and one-line meaning.

    ``config`` (an instance) shows values that differ from the defaults; each
    meaning comes from the class docstrings (:func:`hebbian.experiments.setting_meanings`).
    The settings of a parameter object have dotted names (``rule.p``).
    """
    kinds = config_fields(config_type)
    defaults = config_defaults(config_type)
    values = defaults if config is None else config_values(config)
    meanings = setting_meanings(config_type)
    lines = []
    for name, kind in kinds.items():
        default = None if defaults[name] is dataclasses.MISSING else defaults[name]
        value = values[name]
        kind_text = getattr(kind, "__name__", None) or str(kind).replace("typing.", "")
        if value != default:
            kind_text += f", default {_shown(default)}"
        lines.append(f"  {name} = {_shown(value)}  ({kind_text})")
        if meanings[name]:
            lines.append(f"      {meanings[name]}")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    """A setting's value as ``--set`` takes it, in repr style for text."""
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, tuple) and any(isinstance(v, enum.Enum) for v in value):
        return repr(tuple(v.value if isinstance(v, enum.Enum) else v for v in value))
    return repr(value)


def _recipe_help_text(name: str) -> str:
    recipe = recipe_entry(name).load()
    return f"settings of {name} (--set KEY=VALUE), with their defaults:\n" + settings_text(
        recipe.config_type
    )


# ---------------------------------------------------------------------- list
def _cmd_list() -> None:
    for entry in REGISTRY:
        print(f"{entry.name:<20} {entry.summary}")


# ----------------------------------------------------------------------- run
def _cut(line: str, width: int = _MAX_LINE) -> str:
    return line if len(line) <= width else line[: width - 1] + "…"


def summary_lines(summary: Mapping[str, Any], *, most: int = 6) -> list[str]:
    """Short lines for the terminal: the verdicts, else the first scalar results."""
    from hebbian.report.html import expected_text, flatten_results, format_number, verdict_word

    verdicts = summary.get("verdicts") or []
    lines = []
    if verdicts:
        for v in verdicts[:most]:
            lines.append(
                f"  {verdict_word(v)}: {v['result']} = {format_number(v['measured'])} "
                f"(expected {expected_text(v)})"
            )
        left = len(verdicts) - most
    else:
        results = flatten_results(summary.get("results", {}))
        lines = [f"  {key} = {format_number(value)}" for key, value in list(results.items())[:most]]
        left = len(results) - len(lines)
    if left > 0:
        lines.append(f"  ... {left} more in summary.json")
    return [_cut(line) for line in lines]


def _record_of(out: Path) -> dict[str, Any] | None:
    """The run record in ``out/config.json`` (or a group's ``seeds.json``), else None."""
    from hebbian.experiments.seeds import is_seeds_folder, read_seeds_record
    from hebbian.runs import RunFolderError, read_record

    try:
        return read_seeds_record(out) if is_seeds_folder(out) else read_record(out)
    except (RunFolderError, OSError):
        return None


def _cmd_run(args: argparse.Namespace) -> None:
    recipe = recipe_entry(args.recipe).load()
    from hebbian.experiments.base import build_config, execute, resolve_device

    config = build_config(recipe.config_type, args.settings)
    if args.show_config:
        print(settings_text(recipe.config_type, config))
        return
    resolve_device(args.device)
    seeds = None
    if args.seeds is not None:
        from hebbian.experiments.seeds import execute_seeds, parse_seeds, seeds_text

        seeds = parse_seeds(args.seeds)
        if args.seed != 0:
            raise CommandError(f"--seed {args.seed} and --seeds {args.seeds}: pass one of them")
        out = args.out or Path("runs") / f"{recipe.name}-seeds{seeds_text(seeds)}"
    else:
        out = args.out or Path("runs") / f"{recipe.name}-seed{args.seed}"
    started = time.perf_counter()
    common = {
        "device": args.device,
        "resume": args.resume,
        "overwrite": args.overwrite,
        "data_dir": args.data_dir,
    }
    try:
        if seeds is None:
            summary = execute(recipe, config, out, seed=args.seed, **common)
        else:
            summary = execute_seeds(recipe, config, out, seeds, **common)
    except KeyboardInterrupt:
        record = _record_of(out)
        if record is None:
            raise
        from hebbian.runs import rerun_command

        raise _InterruptedError(
            f"interrupted; resume with `{rerun_command(record, out, resume=True)}`"
        ) from None
    except FileNotFoundError as error:  # a data set found nowhere: say where, keep the run
        from hebbian.data import DatasetNotFoundError
        from hebbian.runs import rerun_command

        record = _record_of(out)
        if not isinstance(error, DatasetNotFoundError) or record is None:
            raise
        reason = "; ".join(line.strip(" -") for line in str(error).splitlines()).rstrip(".")
        raise CommandError(
            f"{recipe.name} stopped: {reason.replace(':;', ':')}; once the files are there, "
            f"continue it with `{rerun_command(record, out, resume=True)}` (add --data-dir "
            "DIR if you put them in a folder of your own)"
        ) from None
    except (MemoryError, RuntimeError, FloatingPointError, ValueError, TypeError) as error:
        from hebbian.runs import RunFolderError, rerun_command

        record = _record_of(out)
        if isinstance(error, RunFolderError) or record is None:
            raise
        if (out / SUMMARY_FILE).exists():
            raise
        reason = _one_line(error) or type(error).__name__
        if isinstance(error, MemoryError) or "alloc" in reason.lower():
            reason = f"out of memory ({reason}); lower the size settings"
        raise CommandError(
            f"{recipe.name} stopped: {reason}; restart it with "
            f"`{rerun_command(record, out, overwrite=True)}` (change --set values as needed)"
        ) from None
    print(f"{recipe.name} finished in {time.perf_counter() - started:.1f} s")
    for line in summary_lines(summary) if seeds is None else seeds_summary_lines(summary):
        print(line)
    print(f"report: {out / 'index.html'}")


def seeds_summary_lines(summary: Mapping[str, Any], *, most: int = 6) -> list[str]:
    """Short lines for the terminal: a group's verdicts on the mean, with seeds met."""
    from hebbian.report.html import expected_text, mean_std_text, verdict_word

    verdicts = summary.get("verdicts") or []
    lines = [
        f"  {verdict_word(v)}: {v['result']} = "
        f"{mean_std_text(v['measured_mean'], v['measured_std'])} "
        f"(expected {expected_text(v)}; met in {v['met_seeds']} of {v['seeds']} seeds)"
        for v in verdicts[:most]
    ]
    if not verdicts:
        results = summary.get("results", {})
        lines = [
            f"  {key} = {mean_std_text(r['mean'], r['std'])}"
            for key, r in list(results.items())[:most]
        ]
    left = max(len(verdicts), len(summary.get("results", {})) if not verdicts else 0) - most
    if left > 0:
        lines.append(f"  ... {left} more in summary.json")
    return [_cut(line) for line in lines]


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


# ---------------------------------------------------------------------- tour
def _is_legacy_tour(out: Path) -> bool:
    """A tour folder written before the manifest existed: its page is the tour's."""
    page = out / "index.html"
    try:
        return "<title>hebbian tour</title>" in page.read_text(encoding="utf-8")[:2000]
    except (OSError, UnicodeDecodeError):
        return False


def _read_manifest(out: Path) -> dict[str, Any] | None:
    path = out / TOUR_MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"{path} cannot be read ({error}); it marks {out} as a tour") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files", []), list):
        raise CommandError(f"{path} is not a tour manifest (expected an object with files)")
    return manifest


def _tour_owned(out: Path, names: Sequence[str]) -> tuple[dict[str, Any], list[Path]]:
    """Check that the tour may write into ``out``; return its manifest and foreign files.

    ``out`` must be new, empty, or an earlier tour's. Of an earlier tour, everything
    the tour is about to replace (its pages and the folders of ``names``) must hold
    only files the tour wrote.
    """
    from hebbian.runs import foreign_files

    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out} is a file; expected a folder for the tour")
    manifest = _read_manifest(out) if out.is_dir() else None
    entries = sorted(out.iterdir()) if out.is_dir() else []
    if manifest is None:
        if entries and not _is_legacy_tour(out):
            shown = ", ".join(p.name for p in entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise CommandError(
                f"--out {out} holds files the tour did not write ({shown}); expected a new or "
                f"empty folder or an earlier tour's (with {TOUR_MANIFEST}); nothing was changed"
            )
        manifest = {"files": [], "sections": {}}
    written = {Path(f) for f in manifest.get("files", [])}
    foreign: list[Path] = []
    for page in _TOUR_PAGES:
        path = out / page
        if path.exists() and Path(page) not in written and not _is_legacy_tour(out):
            foreign.append(path)
    for name in names:
        folder = out / name
        if not folder.exists():
            continue
        if not folder.is_dir():
            foreign.append(folder)
        elif written:
            foreign += [
                p
                for p in sorted(folder.rglob("*"))
                if p.is_file() and p.relative_to(out) not in written
            ]
        else:
            foreign += [p for p in foreign_files(folder) if not p.is_dir()]
    return manifest, foreign


def _files_under(out: Path, folder: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in folder.rglob("*") if p.is_file())


def _write_manifest(out: Path, manifest: Mapping[str, Any]) -> None:
    from hebbian.runs import atomic_write_text

    atomic_write_text(out / TOUR_MANIFEST, json.dumps(manifest, indent=2) + "\n")


def _tour_pages(out: Path, sections: Mapping[str, list[Path]], command: str) -> Path:
    from hebbian.report.html import tour_results_markdown, write_tour_report
    from hebbian.runs import atomic_write_text

    page = write_tour_report(
        out,
        sections,
        intro=f"Every model of the library on embedded data, with small settings ({command}). "
        "Each block names the command that reproduces it; `hebbian run NAME` without --set "
        "runs a recipe at its full-size defaults.",
    )
    atomic_write_text(out / "RESULTS.md", tour_results_markdown(sections, command))
    return page


def run_tour(
    out: Path, *, seed: int = 0, device: str = "cpu", data_dir: Path | None = None
) -> Path:
    """Run every recipe with its tour settings into ``out`` and write the tour report.

    ``out`` must be new, empty or an earlier tour's (it holds :data:`TOUR_MANIFEST`,
    which lists every file the tour wrote); files the tour did not write are never
    deleted or overwritten: the tour refuses before running anything. Each recipe
    runs in a fresh temporary folder that replaces ``out/NAME`` only once it has
    finished, so an interrupted tour never leaves a half-written section.
    """
    from hebbian.experiments.base import build_config, execute, resolve_device
    from hebbian.report.html import write_run_report

    resolve_device(device)
    entries = [e for e in REGISTRY if e.in_tour]
    manifest, foreign = _tour_owned(out, [e.name for e in entries])
    if foreign:
        shown = ", ".join(str(p) for p in foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise CommandError(
            f"--out {out}: the tour would replace files it did not write ({shown}); move them "
            "away or choose another --out; nothing was changed"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        command = f"hebbian tour --seed {seed} --device {device}"
        # what earlier tours wrote stays listed until it is replaced (a tour may be cut)
        owned = {str(f) for f in manifest.get("files", [])} | {TOUR_MANIFEST}
        if not manifest.get("files"):  # a new folder, or a tour's from before the manifest
            owned |= {p for p in _TOUR_PAGES if (out / p).exists()}
            for entry in entries:
                if (out / entry.name).is_dir():
                    owned |= set(_files_under(out, out / entry.name))
        manifest = {"command": command, "files": sorted(owned), "sections": {}}
        _write_manifest(out, manifest)
    except OSError as error:
        raise CommandError(
            f"--out {out}: cannot write the tour there ({error.strerror or error}); "
            "expected a folder you can write to"
        ) from None
    sections: dict[str, list[Path]] = {}
    for index, entry in enumerate(entries, start=1):
        recipe = entry.load()
        final = out / recipe.name
        scratch = out / f".{recipe.name}.partial"
        shutil.rmtree(scratch, ignore_errors=True)
        started = time.perf_counter()
        print(f"[{index}/{len(entries)}] {recipe.name}: {recipe.summary}", flush=True)
        config = build_config(recipe.config_type, recipe.tour)
        try:
            execute(recipe, config, scratch, seed=seed, device=device, data_dir=data_dir)
        except (MemoryError, RuntimeError, FloatingPointError, ValueError) as error:
            reason = _one_line(error) or type(error).__name__
            again = _tour_command(out, seed, device, data_dir)
            raise CommandError(
                f"the tour stopped at {recipe.name}: {reason}; the finished sections are kept; "
                f"run it again with `{again}`"
            ) from None
        old = out / f".{recipe.name}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        scratch.rename(final)
        shutil.rmtree(old, ignore_errors=True)
        write_run_report(final)  # links inside the page do not depend on the folder name
        print(f"    done in {time.perf_counter() - started:.1f} s", flush=True)
        sections.setdefault(recipe.topic, []).append(final)
        kept = [f for f in manifest["files"] if not f.startswith(f"{recipe.name}/")]
        manifest["files"] = sorted({*kept, *_files_under(out, final)})
        manifest["sections"].setdefault(recipe.topic, []).append(recipe.name)
        _write_manifest(out, manifest)
    manifest["files"] = sorted({*manifest["files"], *_TOUR_PAGES})
    _write_manifest(out, manifest)  # before the pages: a kill now still marks them the tour's
    return _tour_pages(out, sections, command)


# -------------------------------------------------------------------- report
def _warn_missing_figures(folder: Path) -> None:
    from hebbian.runs import summary_figures

    record = _record_of(folder)
    for name in summary_figures(folder):
        if not (folder / name).exists():
            hint = ""
            if record is not None:
                from hebbian.runs import rerun_command

                hint = f"; make it again with `{rerun_command(record, folder, overwrite=True)}`"
            print(
                f"hebbian: warning: figure {folder / name} is missing{hint}",
                file=sys.stderr,
            )


def _cmd_report(folder: Path) -> Path:
    from hebbian.report.html import write_run_report
    from hebbian.runs import read_record

    if not folder.is_dir():
        raise CommandError(f"RUN_DIR {folder} is not a folder; expected a run or tour folder")
    manifest = _read_manifest(folder)
    if manifest is not None or (_is_legacy_tour(folder) and not (folder / CONFIG_FILE).exists()):
        sections: dict[str, list[Path]] = {}
        if manifest is not None and manifest.get("sections"):
            for topic, names in manifest["sections"].items():
                sections[topic] = [folder / n for n in names if (folder / n).is_dir()]
        else:
            for entry in REGISTRY:
                if (folder / entry.name / CONFIG_FILE).exists():
                    sections.setdefault(entry.topic, []).append(folder / entry.name)
        runs = [run for runs in sections.values() for run in runs]
        finished = [run for run in runs if (run / SUMMARY_FILE).exists()]
        if not finished:
            raise CommandError(f"tour folder {folder} holds no finished run to report")
        for run in runs:
            read_record(run)
            _warn_missing_figures(run)
            write_run_report(run)
        sections = {t: [r for r in rs if r in finished] for t, rs in sections.items()}
        command = (manifest or {}).get("command") or "hebbian tour --seed 0 --device cpu"
        return _tour_pages(folder, {t: rs for t, rs in sections.items() if rs}, command)
    from hebbian.experiments.seeds import is_seeds_folder, read_seeds_record

    if is_seeds_folder(folder):
        from hebbian.report.html import write_seeds_report
        from hebbian.runs import rerun_command

        if not (folder / SUMMARY_FILE).exists():
            again = rerun_command(read_seeds_record(folder), folder, resume=True)
            raise CommandError(
                f"seeds folder {folder} has not finished (it has no {SUMMARY_FILE}); "
                f"continue it with `{again}`"
            )
        from hebbian.experiments.seeds import seed_folder

        for seed in read_seeds_record(folder)["seeds"]:  # each seed's page, then the group's
            if (seed_folder(folder, seed) / SUMMARY_FILE).exists():
                write_run_report(seed_folder(folder, seed))
        return write_seeds_report(folder)
    read_record(folder)
    _warn_missing_figures(folder)
    return write_run_report(folder)


# ---------------------------------------------------------------------- main
def _check_threads(threads: int | None) -> None:
    if threads is None:
        return
    cpus = os.cpu_count() or 1
    if not 1 <= threads <= cpus:
        raise CommandError(
            f"--threads must be an int in 1 .. {cpus} (the CPUs of this machine), got {threads}"
        )
    import torch

    torch.set_num_threads(threads)


def _help_for_recipe(argv: Sequence[str]) -> str | None:
    """The settings text when the command line is ``run RECIPE ... --help``."""
    words = list(argv)
    if len(words) >= 2 and words[0] == "run" and ({"-h", "--help"} & set(words)):
        name = words[1]
        if name in {e.name for e in REGISTRY}:
            return _recipe_help_text(name)
    return None


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Print a warning as one line, ``hebbian: warning: ...``, without source lines."""
    text = " ".join(str(message).split())
    print(f"hebbian: warning: {text}", file=sys.stderr if file is None else file)


def _main(argv: Sequence[str]) -> int:
    parser = build_parser(_help_for_recipe(argv))
    args = parser.parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        if hasattr(args, "seed"):  # run and tour, which import torch anyway
            from hebbian.runs import check_seed

            check_seed(args.seed, "--seed")
        _check_threads(getattr(args, "threads", None))
        if args.command == "list":
            _cmd_list()
        elif args.command == "run":
            _cmd_run(args)
        elif args.command == "report":
            print(_cmd_report(args.run_dir))
        elif args.command == "tour":
            page = run_tour(args.out, seed=args.seed, device=args.device, data_dir=args.data_dir)
            print(f"tour report: {page}")
    except _InterruptedError as interrupted:
        print(f"hebbian: {interrupted}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        again = ""
        if args.command == "tour":
            again = "; run the tour again with " + (
                f"`{_tour_command(args.out, args.seed, args.device, args.data_dir)}`"
            )
        print(f"hebbian: interrupted{again}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
    except (
        CommandError,
        ValueError,
        TypeError,
        FloatingPointError,
        MemoryError,
        RuntimeError,  # RunFolderError among them
        OSError,  # FileNotFoundError among them
    ) as error:
        print(f"hebbian: error: {_one_line(error) or type(error).__name__}", file=sys.stderr)
        return 2
    return 0


def _tour_command(out: Path, seed: int, device: str, data_dir: Path | None) -> str:
    """The ``hebbian tour`` command that runs this tour again into ``out``."""
    parts = ["hebbian", "tour", "--out", str(out), "--seed", str(seed), "--device", str(device)]
    return shlex.join(parts + ([] if data_dir is None else ["--data-dir", str(data_dir)]))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hebbian`` console command; returns the exit status."""
    try:
        status = _main(sys.argv[1:] if argv is None else argv)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return status
    except BrokenPipeError:
        # the reader (``| head``) left: stop quietly, as command-line tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
