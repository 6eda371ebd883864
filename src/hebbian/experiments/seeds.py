"""One recipe over several seeds: one folder, every result as mean ± standard deviation.

``hebbian run RECIPE --seeds 0-4`` runs the recipe once per seed, each into its own run
folder ``OUT/seed-N`` (an ordinary run folder: config, metrics, checkpoints, figures,
report), then writes the group's files beside them::

    seeds.json     the group record: recipe, config, seeds, device (written first)
    summary.json   every scalar result as mean, standard deviation, min, max and the
                   per-seed values; every verdict as the number of seeds that meet it
                   and the verdict on the mean
    RESULTS.md     the same as Markdown tables, with the command that made them
    index.html     the group's page, linking each seed's page

The mean and the sample standard deviation (divisor ``n - 1``; 0 for one seed) are
computed exactly in rationals and rounded once, so they do not depend on the order of
the seeds or the machine. A group is resumed like a run: ``--resume`` keeps the seeds
that finished with the same settings and continues or starts the others; ``--overwrite``
starts every seed again.

Examples
--------
>>> parse_seeds("0-4"), parse_seeds("1,3,7-8")
((0, 1, 2, 3, 4), (1, 3, 7, 8))
>>> round(sample_std([1.0, 2.0, 3.0]), 12)
1.0
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hebbian._files import SUMMARY_FILE, atomic_write_text

__all__ = [
    "SEEDS_FILE",
    "aggregate_summaries",
    "execute_seeds",
    "is_seeds_folder",
    "parse_seeds",
    "read_seeds_record",
    "sample_std",
    "seed_folder",
    "seeds_text",
]

#: The group record of a multi-seed folder; its presence marks the folder as a group.
SEEDS_FILE = "seeds.json"

_MAX_SEED = 2**63 - 1
_ITEM = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_seeds(text: str, name: str = "--seeds") -> tuple[int, ...]:
    """Parse ``"0-4"`` or ``"0,2,5-7"`` into seeds in the order given.

    Raises ``ValueError`` (one line naming ``name``) for an empty list, a range that runs
    backwards, a repeated seed or a seed outside ``0 .. 2**63-1``.
    """
    expected = "expected seeds like 0-4 or 0,2,5-7 (each 0 .. 2**63-1, none repeated)"
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name} must not be empty: {expected}")
    seeds: list[int] = []
    for item in text.split(","):
        match = _ITEM.match(item.strip())
        if match is None:
            raise ValueError(f"{name} has {item.strip()!r} in {text!r}: {expected}")
        first = int(match.group(1))
        last = first if match.group(2) is None else int(match.group(2))
        if last < first or last > _MAX_SEED:
            raise ValueError(f"{name} has the range {item.strip()!r} in {text!r}: {expected}")
        if last - first > 10_000:
            raise ValueError(f"{name} asks for {last - first + 1} seeds in {item.strip()!r}")
        seeds.extend(range(first, last + 1))
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ValueError(f"{name} repeats seed {repeated[0]} in {text!r}: {expected}")
    return tuple(seeds)


def seeds_text(seeds: Sequence[int]) -> str:
    """The shortest ``--seeds`` text for ``seeds``: runs of consecutive seeds as ranges.

    >>> seeds_text([0, 1, 2, 3, 4]), seeds_text([1, 3, 7, 8])
    ('0-4', '1,3,7-8')
    """
    parts: list[str] = []
    start = previous = None
    for seed in [*seeds, None]:
        if seed is not None and previous is not None and seed == previous + 1:
            previous = seed
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = seed
    return ",".join(parts)


def seed_folder(out: Path | str, seed: int) -> Path:
    """The run folder of ``seed`` inside the group folder ``out``: ``out/seed-N``."""
    return Path(out) / f"seed-{seed}"


def is_seeds_folder(folder: Path | str) -> bool:
    """Whether ``folder`` holds a multi-seed group (its :data:`SEEDS_FILE`)."""
    return (Path(folder) / SEEDS_FILE).is_file()


def read_seeds_record(folder: Path | str) -> dict[str, Any]:
    """Read ``folder/seeds.json``, refusing anything that is not a group record."""
    from hebbian.runs import RunFolderError, read_json

    path = Path(folder) / SEEDS_FILE
    record = read_json(path)
    kinds = {"recipe": str, "config": dict, "seeds": list}
    if not isinstance(record, dict) or any(
        not isinstance(record.get(key), kind) for key, kind in kinds.items()
    ):
        raise RunFolderError(
            f"{path} is not a seeds record: expected a JSON object with recipe (text), "
            "config (an object) and seeds (a list of ints); rerun the group into another --out"
        )
    return record


def sample_std(values: Sequence[float]) -> float:
    """Sample standard deviation (divisor ``n - 1``) of ``values``; 0.0 for one value.

    Computed exactly (:func:`statistics.stdev` sums in rationals) and rounded once, so it
    is the same everywhere and exactly 0 for equal values.
    """
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _is_finite_number(value: Any) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return number and math.isfinite(value)


def _stats(values: Sequence[Any]) -> dict[str, Any]:
    numbers = [float(v) for v in values]
    return {
        "mean": statistics.mean(numbers),
        "std": sample_std(numbers),
        "min": min(numbers),
        "max": max(numbers),
        "values": list(values),
    }


def aggregate_summaries(
    seeds: Sequence[int], summaries: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Combine the ``summary.json`` of each seed into the group's summary.

    Parameters
    ----------
    seeds : sequence of int
        The seeds, in the order of ``summaries``.
    summaries : sequence of mapping
        Each seed's summary (``recipe``, ``description``, ``results``, ``verdicts``).

    Returns
    -------
    dict
        ``results``: for every flattened result that is a finite number in every seed,
        ``{"mean", "std", "min", "max", "values"}``; ``verdicts``: for each verdict (by
        position), the per-seed ``measured`` values with their mean and standard
        deviation, the mean expected value, ``met_seeds`` (how many seeds meet it) and
        ``met`` (whether the mean measurement meets the mean expectation under the
        verdict's relation and tolerance).
    """
    from hebbian.experiments.base import Expectation
    from hebbian.report.html import flatten_results

    if len(seeds) != len(summaries) or not summaries:
        raise ValueError(f"expected one summary per seed, got {len(summaries)} for {len(seeds)}")
    flats = [flatten_results(s.get("results", {})) for s in summaries]
    results: dict[str, Any] = {}
    for key in flats[0]:
        values = [flat.get(key) for flat in flats]
        if all(_is_finite_number(v) for v in values):
            results[key] = _stats(values)
    verdicts: list[dict[str, Any]] = []
    for index, first in enumerate(summaries[0].get("verdicts", [])):
        records = [s["verdicts"][index] for s in summaries if index < len(s.get("verdicts", []))]
        if len(records) != len(summaries) or any(r["result"] != first["result"] for r in records):
            raise ValueError(f"the seeds' verdicts differ at {first['result']!r}")
        measured = [r["measured"] for r in records]
        expected = [r["expected"] for r in records]
        numbers = all(_is_finite_number(v) for v in [*measured, *expected])
        entry: dict[str, Any] = {
            "result": first["result"],
            "relation": first["relation"],
            "tolerance": first["tolerance"],
            "source": first["source"],
            "measured": measured,
            "met_seeds": sum(bool(r["met"]) for r in records),
            "seeds": len(records),
            "measured_mean": None,
            "measured_std": None,
            "expected": None,
            "met": False,
        }
        if numbers:
            rule = Expectation(
                first["result"], 0.0, first["source"], first["tolerance"], first["relation"]
            )
            entry["measured_mean"] = statistics.mean(measured)
            entry["measured_std"] = sample_std(measured)
            entry["expected"] = statistics.mean(expected)
            entry["met"] = rule.meets(entry["measured_mean"], entry["expected"])
        verdicts.append(entry)
    return {
        "recipe": summaries[0].get("recipe"),
        "seeds": list(seeds),
        "description": summaries[0].get("description", ""),
        "results": results,
        "verdicts": verdicts,
    }


def _finished_with(folder: Path, record: Mapping[str, Any]) -> bool:
    """Whether ``folder`` holds a finished run of exactly this recipe, config and seed."""
    from hebbian.runs import RunFolderError, read_record

    if not (folder / SUMMARY_FILE).is_file():
        return False
    try:
        old = read_record(folder)
    except (RunFolderError, OSError):
        return False
    return all(old.get(key) == record[key] for key in ("recipe", "config", "seed"))


def execute_seeds(
    recipe: Any,
    config: Any,
    out: Path | str,
    seeds: Sequence[int],
    *,
    device: str = "cpu",
    resume: bool = False,
    overwrite: bool = False,
    data_dir: Path | str | None = None,
) -> dict[str, Any]:
    """Run ``recipe`` once per seed into ``out/seed-N`` and write the group's files.

    Parameters
    ----------
    recipe, config :
        As for :func:`hebbian.experiments.base.execute`.
    out : path
        The group folder: new or empty, or an earlier group's (then ``resume`` or
        ``overwrite`` is required, as for a run folder).
    seeds : sequence of int
        The seeds (:func:`parse_seeds`).
    device, resume, overwrite, data_dir :
        As for :func:`~hebbian.experiments.base.execute`; with ``resume`` the seeds that
        finished with the same settings are kept as they are.

    Returns
    -------
    dict
        The group summary (:func:`aggregate_summaries`), also in ``out/summary.json``.
    """
    from hebbian import __version__
    from hebbian.experiments.base import execute
    from hebbian.experiments.settings import config_record
    from hebbian.report.html import write_seeds_report
    from hebbian.runs import RunFolderError, check_seed, read_json, rerun_command

    if resume and overwrite:
        raise ValueError("resume and overwrite exclude each other; pass one of them")
    seeds = [check_seed(s, "--seeds") for s in seeds]
    if not seeds:
        raise ValueError("--seeds must name at least one seed")
    out = Path(out)
    record: dict[str, Any] = {
        "recipe": recipe.name,
        "config": config_record(config),
        "seeds": seeds,
        "device": str(device),
        "hebbian_version": __version__,
    }
    if data_dir is not None:
        record["data_dir"] = str(data_dir)
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"--out {out} is a file; expected a folder for the seeds")
    if out.is_dir() and any(out.iterdir()):
        if not is_seeds_folder(out):
            raise RunFolderError(
                f"--out {out} holds files but no {SEEDS_FILE}, so it is not a seeds folder; "
                "nothing there is changed: choose a new or empty folder"
            )
        old = read_seeds_record(out)
        core = ("recipe", "config", "seeds")
        if not resume and not overwrite:
            raise RunFolderError(
                f"seeds folder {out} already exists; continue it with "
                f"`{rerun_command(old, out, resume=True)}`, or start it again with "
                f"`{rerun_command(record, out, overwrite=True)}`"
            )
        if resume and any(old.get(key) != record[key] for key in core):
            differ = ", ".join(key for key in core if old.get(key) != record[key])
            raise RunFolderError(
                f"cannot resume {out}: its {SEEDS_FILE} has other {differ}; resume it with "
                f"`{rerun_command(old, out, resume=True)}`, or start it again with "
                f"`{rerun_command(record, out, overwrite=True)}`"
            )
        if overwrite:
            (out / SUMMARY_FILE).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / SEEDS_FILE, json.dumps(record, indent=2) + "\n")
    summaries = []
    for seed in seeds:
        folder = seed_folder(out, seed)
        seed_record = {**record, "seed": seed}
        if resume and _finished_with(folder, seed_record):
            summaries.append(read_json(folder / SUMMARY_FILE))
            continue
        print(f"seed {seed} ({seeds.index(seed) + 1} of {len(seeds)}): {folder}", flush=True)
        summaries.append(
            execute(
                recipe,
                config,
                folder,
                seed=seed,
                device=device,
                resume=resume,
                overwrite=overwrite,
                data_dir=data_dir,
            )
        )
    summary = aggregate_summaries(seeds, summaries)
    atomic_write_text(out / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
    write_seeds_report(out)
    return summary
