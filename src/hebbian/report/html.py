"""HTML pages for run folders, multi-seed groups and the tour.

Pages are built only from what a run folder holds (``config.json``,
``summary.json``, ``metrics.jsonl`` and the PNG figures), so ``hebbian report``
can rebuild them at any time. Figures are linked, not embedded, and every text is
escaped.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hebbian import __version__
from hebbian.runs import (
    CONFIG_FILE,
    SUMMARY_FILE,
    atomic_write_text,
    read_json,
    read_metrics,
    rerun_command,
    setting_text,
)

__all__ = [
    "flatten_results",
    "format_number",
    "mean_std_text",
    "seeds_results_markdown",
    "tour_results_markdown",
    "write_run_report",
    "write_seeds_report",
    "write_tour_report",
]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #aaa; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
td, th { border: 1px solid #ccc; padding: 0.2rem 0.6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { max-width: 100%; overflow-x: auto; }
figure { margin: 1rem 0 1.5rem; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 0.95rem; color: #444; max-width: 56rem; }
code { background: #f3f3f3; padding: 0 0.2rem; overflow-wrap: anywhere; }
td code { overflow-wrap: normal; white-space: nowrap; }
.muted { color: #777; font-size: 0.9rem; }
.met { color: #176a2b; font-weight: 600; } .short { color: #a31515; font-weight: 600; }
"""

MET, SHORT = "met", "short of it"


def format_number(value: Any) -> str:
    """Format a result for a table: 5 significant digits for floats.

    >>> format_number(0.1234567), format_number(3), format_number([0.5, 2.0])
    ('0.12346', '3', '0.5, 2')
    """
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.5g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_number(v) for v in value)
    return str(value)


def flatten_results(results: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested result mappings into ``{"outer.inner": value}``, in order.

    >>> flatten_results({"a": 1, "b": {"x": [1, 2], "y": {"z": None}}})
    {'a': 1, 'b.x': [1, 2], 'b.y.z': None}
    """
    flat: dict[str, Any] = {}
    for key, value in results.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_results(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def _results_table(results: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(k)}</code></td>"
        f'<td class="num">{html.escape(format_number(v))}</td></tr>'
        for k, v in flatten_results(results).items()
    )
    return f'<div class="scroll"><table><tr><th>result</th><th>value</th></tr>{rows}</table></div>'


def expected_text(verdict: Mapping[str, Any]) -> str:
    """The expectation of a verdict record as a short phrase.

    >>> expected_text({"relation": "within", "expected": 0.75, "tolerance": 0.01})
    '0.75 ± 0.01'
    >>> expected_text({"relation": "at_least", "expected": 0.9, "tolerance": 0.0})
    '≥ 0.9'
    """
    expected, tolerance = format_number(verdict["expected"]), verdict["tolerance"]
    if verdict["expected"] is None:
        return "none (not reported)"
    if verdict["relation"] == "within":
        return f"{expected} ± {format_number(tolerance)}" if tolerance else f"= {expected}"
    sign = "≥" if verdict["relation"] == "at_least" else "≤"
    bound = verdict["expected"] + (-tolerance if sign == "≥" else tolerance)
    return f"{sign} {format_number(bound)}"


def verdict_word(verdict: Mapping[str, Any]) -> str:
    """``"met"`` or ``"short of it"``."""
    return MET if verdict["met"] else SHORT


def _verdicts_table(verdicts: Sequence[Mapping[str, Any]]) -> str:
    if not verdicts:
        return ""
    rows = "".join(
        f"<tr><td><code>{html.escape(v['result'])}</code></td>"
        f'<td class="num">{html.escape(format_number(v["measured"]))}</td>'
        f'<td class="num">{html.escape(expected_text(v))}</td>'
        f'<td class="{"met" if v["met"] else "short"}">{verdict_word(v)}</td>'
        f"<td>{html.escape(v['source'])}</td></tr>"
        for v in verdicts
    )
    return (
        '<div class="scroll"><table><tr><th>result</th><th>measured</th><th>expected</th>'
        f"<th>verdict</th><th>source</th></tr>{rows}</table></div>"
    )


def _figures(figures: Sequence[Mapping[str, str]], prefix: str) -> str:
    parts = []
    for fig in figures:
        src = html.escape(f"{prefix}{fig['file']}", quote=True)
        parts.append(
            f'<figure><a href="{src}"><img src="{src}" alt="{html.escape(fig["caption"])}"></a>'
            f"<figcaption>{html.escape(fig['caption'])}</figcaption></figure>"
        )
    return "".join(parts)


def _run_section(folder: Path, prefix: str, heading: str) -> str:
    config = read_json(folder / CONFIG_FILE)
    summary_path = folder / SUMMARY_FILE
    if not summary_path.exists():
        steps = len(read_metrics(folder))
        return (
            f"<h3>{html.escape(heading)}</h3><p>This run has not finished "
            f"({steps} metric records so far); resume it with "
            f"<code>{html.escape(rerun_command(config, folder, resume=True))}</code>.</p>"
        )
    summary = read_json(summary_path)
    settings = ", ".join(f"{k}={setting_text(v)}" for k, v in config["config"].items())
    command = rerun_command(config)
    return (
        f'<h3 id="{_anchor(heading)}">{html.escape(heading)}</h3>'
        f"<p>{html.escape(summary.get('description', ''))}</p>"
        f"{_verdicts_table(summary.get('verdicts', []))}"
        f"{_results_table(summary['results'])}"
        f"{_figures(summary['figures'], prefix)}"
        f"{_data_list(config.get('data') or [])}"
        f'<p class="muted">Settings: {html.escape(settings)}; seed {config["seed"]}, device '
        f"{html.escape(config['device'])}, hebbian {html.escape(config['hebbian_version'])}."
        f"<br>Rerun: <code>{html.escape(command)}</code></p>"
    )


def _data_list(data: Sequence[Mapping[str, str]]) -> str:
    """The data files a run read (``config.json``'s ``data``), with their SHA-256."""
    if not data:
        return ""
    items = "".join(
        f"<li>{html.escape(str(d.get('dataset')))} {html.escape(str(d.get('split')))}: "
        f"<code>{html.escape(str(d.get('path')))}</code>, SHA-256 "
        f"<code>{html.escape(str(d.get('sha256')))}</code></li>"
        for d in data
    )
    return f'<p class="muted">Data read:</p><ul class="muted">{items}</ul>'


def _anchor(name: str) -> str:
    return "run-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def _verdict_overview(folders: Sequence[Path]) -> str:
    """The tour page's opening summary: verdicts met and short, the short ones linked."""
    met, short = 0, []
    for folder in folders:
        path = folder / SUMMARY_FILE
        if not path.exists():
            continue
        for verdict in read_json(path).get("verdicts", []):
            if verdict["met"]:
                met += 1
            else:
                short.append((folder.name, verdict))
    if not met and not short:
        return ""
    items = "".join(
        f'<li><a href="#{_anchor(name)}">{html.escape(name)}</a>: '
        f"<code>{html.escape(v['result'])}</code> = {html.escape(format_number(v['measured']))}, "
        f"expected {html.escape(expected_text(v))} ({html.escape(v['source'])})</li>"
        for name, v in short
    )
    listing = f"<ul>{items}</ul>" if short else ""
    return (
        f'<p><strong>Verdicts:</strong> <span class="met">{met} met</span>, '
        f'<span class="short">{len(short)} short of expectation</span>.</p>{listing}'
    )


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}"
        f'<p class="muted">Made by hebbian {html.escape(__version__)}.</p></body></html>\n'
    )


def write_run_report(folder: Path | str) -> Path:
    """(Re)build ``folder/index.html`` from the run folder's files; return its path."""
    folder = Path(folder)
    if not (folder / CONFIG_FILE).exists():
        raise FileNotFoundError(f"{folder} is not a run folder: it has no {CONFIG_FILE}")
    recipe = read_json(folder / CONFIG_FILE)["recipe"]
    page = _page(f"hebbian run: {recipe}", _run_section(folder, "", recipe))
    path = folder / "index.html"
    atomic_write_text(path, page)
    return path


def write_tour_report(
    tour_folder: Path | str, sections: Mapping[str, Sequence[Path]], intro: str = ""
) -> Path:
    """Write ``tour_folder/index.html``: one section per topic, one block per run.

    ``sections`` maps a topic title to the run folders (inside ``tour_folder``) shown
    under it, in order.
    """
    tour_folder = Path(tour_folder)
    toc = "".join(
        f'<li><a href="#topic-{i}">{html.escape(topic)}</a></li>'
        for i, topic in enumerate(sections)
    )
    every_run = [Path(f) for folders in sections.values() for f in folders]
    body = [f"<p>{html.escape(intro)}</p>{_verdict_overview(every_run)}<ul>{toc}</ul>"]
    for i, (topic, folders) in enumerate(sections.items()):
        body.append(f'<h2 id="topic-{i}">{html.escape(topic)}</h2>')
        for folder in folders:
            prefix = os.path.relpath(folder, tour_folder).replace(os.sep, "/") + "/"
            body.append(_run_section(Path(folder), prefix, Path(folder).name))
    path = tour_folder / "index.html"
    atomic_write_text(path, _page("hebbian tour", "".join(body)))
    return path


_WALL_TIME_SUFFIX = "_wall_seconds"


def _markdown_cell(text: str) -> str:
    r"""``text`` safe inside a Markdown table cell.

    >>> print(_markdown_cell("||w|| = 1"))
    \|\|w\|\| = 1
    """
    return text.replace("|", "\\|")


def tour_results_markdown(sections: Mapping[str, Sequence[Path]], command: str) -> str:
    """Markdown tables for ``docs/RESULTS.md``: the tour's numbers, then its verdicts.

    The first table holds every number the tour reported, the second each verdict
    (measured, expected, met or short, source) where recipes declared any.

    Wall times (results named ``*_wall_seconds``) are left out: they change from run to run,
    and the table must be reproducible.
    """
    lines = [
        f"Produced by `{command}`.",
        "",
        "| topic | recipe | result | value |",
        "|---|---|---|---|",
    ]
    verdict_rows: list[str] = []
    for topic, folders in sections.items():
        for folder in folders:
            summary = read_json(Path(folder) / SUMMARY_FILE)
            for key, value in flatten_results(summary["results"]).items():
                if key.endswith(_WALL_TIME_SUFFIX):
                    continue
                lines.append(
                    f"| {topic} | `{summary['recipe']}` | `{key}` | {format_number(value)} |"
                )
            verdict_rows.extend(
                f"| `{summary['recipe']}` | `{v['result']}` | {format_number(v['measured'])} "
                f"| {expected_text(v)} | {verdict_word(v)} | {_markdown_cell(v['source'])} |"
                for v in summary.get("verdicts", [])
            )
    if verdict_rows:
        lines += [
            "",
            "Each headline result against its expectation (theory or the paper):",
            "",
            "| recipe | result | measured | expected | verdict | source |",
            "|---|---|---|---|---|---|",
            *verdict_rows,
        ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- seed groups
def mean_std_text(mean: float | None, std: float | None) -> str:
    """``"0.8723 ± 0.0012"``: a mean and standard deviation at 4 significant digits.

    >>> mean_std_text(0.872345, 0.00123), mean_std_text(None, None)
    ('0.8723 ± 0.00123', 'none')
    """
    if mean is None or std is None:
        return "none"
    return f"{mean:.4g} ± {std:.3g}"


def _group_verdict(verdict: Mapping[str, Any]) -> str:
    return f"{verdict_word(verdict)}; {verdict['met_seeds']} of {verdict['seeds']} seeds meet it"


def write_seeds_report(folder: Path | str) -> Path:
    """(Re)build ``folder/index.html`` and ``folder/RESULTS.md`` of a multi-seed group.

    The page shows each verdict on the mean with the number of seeds that meet it, every
    scalar result as mean ± standard deviation with its range, and links each seed's
    own page (written by its run; ``hebbian report`` rebuilds those first).
    """
    from hebbian.experiments.seeds import read_seeds_record, seed_folder

    folder = Path(folder)
    record = read_seeds_record(folder)
    summary = read_json(folder / SUMMARY_FILE)
    command = rerun_command(record)
    verdict_rows = "".join(
        f"<tr><td><code>{html.escape(v['result'])}</code></td>"
        f'<td class="num">{html.escape(mean_std_text(v["measured_mean"], v["measured_std"]))}</td>'
        f'<td class="num">{html.escape(expected_text(v))}</td>'
        f'<td class="{"met" if v["met"] else "short"}">{html.escape(_group_verdict(v))}</td>'
        f"<td>{html.escape(v['source'])}</td></tr>"
        for v in summary.get("verdicts", [])
    )
    verdicts = (
        '<div class="scroll"><table><tr><th>result</th><th>measured, mean ± std</th>'
        f"<th>expected</th><th>verdict on the mean</th><th>source</th></tr>{verdict_rows}"
        "</table></div>"
        if verdict_rows
        else ""
    )
    result_rows = "".join(
        f"<tr><td><code>{html.escape(key)}</code></td>"
        f'<td class="num">{html.escape(mean_std_text(r["mean"], r["std"]))}</td>'
        f'<td class="num">{html.escape(format_number(r["min"]))} .. '
        f"{html.escape(format_number(r['max']))}</td></tr>"
        for key, r in summary.get("results", {}).items()
    )
    links = []
    for seed in record["seeds"]:
        run = seed_folder(folder, seed)
        links.append(f'<li><a href="{run.name}/index.html">seed {seed}</a></li>')
    seeds = record["seeds"]
    body = (
        f"<p>{html.escape(summary.get('description', ''))}</p>"
        f"<p>{len(seeds)} seeds ({html.escape(', '.join(map(str, seeds)))}); each number is "
        "the mean ± the sample standard deviation over the seeds.</p>"
        f"{verdicts}"
        '<div class="scroll"><table><tr><th>result</th><th>mean ± std</th><th>range</th></tr>'
        f"{result_rows}</table></div><h2>Each seed</h2><ul>{''.join(links)}</ul>"
        f'<p class="muted">Rerun: <code>{html.escape(command)}</code></p>'
    )
    atomic_write_text(folder / "RESULTS.md", seeds_results_markdown(summary, command))
    path = folder / "index.html"
    atomic_write_text(path, _page(f"hebbian run: {record['recipe']}, {len(seeds)} seeds", body))
    return path


def seeds_results_markdown(summary: Mapping[str, Any], command: str) -> str:
    """Markdown for ``docs/RESULTS.md``: a group's verdicts and results, mean ± std.

    Wall times (``*_wall_seconds``) are left out, as in :func:`tour_results_markdown`.
    """
    seeds = summary["seeds"]
    lines = [
        f"Produced by `{command}` ({len(seeds)} seeds; mean ± sample standard deviation).",
        "",
    ]
    verdicts = summary.get("verdicts", [])
    if verdicts:
        lines += [
            "| result | measured | expected | verdict on the mean | source |",
            "|---|---|---|---|---|",
            *(
                f"| `{v['result']}` | {mean_std_text(v['measured_mean'], v['measured_std'])} "
                f"| {expected_text(v)} | {_group_verdict(v)} | {_markdown_cell(v['source'])} |"
                for v in verdicts
            ),
            "",
        ]
    lines += ["| result | mean ± std | range |", "|---|---|---|"]
    lines += [
        f"| `{key}` | {mean_std_text(r['mean'], r['std'])} "
        f"| {format_number(r['min'])} .. {format_number(r['max'])} |"
        for key, r in summary.get("results", {}).items()
        if not key.endswith(_WALL_TIME_SUFFIX)
    ]
    return "\n".join(lines) + "\n"
