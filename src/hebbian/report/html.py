"""HTML pages for run folders and for the tour.

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
from hebbian.runs import CONFIG_FILE, SUMMARY_FILE, atomic_write_text, read_json, read_metrics

__all__ = [
    "flatten_results",
    "format_number",
    "tour_results_markdown",
    "write_run_report",
    "write_tour_report",
]

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #aaa; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
td, th { border: 1px solid #ccc; padding: 0.2rem 0.6rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { display: inline-block; margin: 0.5rem 1rem 1rem 0; vertical-align: top; }
figure img { max-width: 32rem; border: 1px solid #ddd; }
figcaption { font-size: 0.9rem; color: #444; max-width: 32rem; }
code { background: #f3f3f3; padding: 0 0.2rem; }
.muted { color: #777; font-size: 0.9rem; }
"""


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


def _setting_text(value: Any) -> str:
    """A config value as ``--set`` accepts it (lists as comma-separated items)."""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


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
    return f"<table><tr><th>result</th><th>value</th></tr>{rows}</table>"


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
            f"({steps} metric records so far); resume it with <code>hebbian run "
            f"{html.escape(config['recipe'])} --out {html.escape(str(folder))} --resume</code>.</p>"
        )
    summary = read_json(summary_path)
    settings = ", ".join(f"{k}={_setting_text(v)}" for k, v in config["config"].items())
    command = (
        f"hebbian run {config['recipe']} --seed {config['seed']} --device {config['device']} "
        + " ".join(f"--set {k}={_setting_text(v)}" for k, v in config["config"].items())
    )
    return (
        f"<h3>{html.escape(heading)}</h3>"
        f"<p>{html.escape(summary.get('description', ''))}</p>"
        f"{_results_table(summary['results'])}"
        f"{_figures(summary['figures'], prefix)}"
        f'<p class="muted">Settings: {html.escape(settings)}; seed {config["seed"]}, device '
        f"{html.escape(config['device'])}, hebbian {html.escape(config['hebbian_version'])}."
        f"<br>Rerun: <code>{html.escape(command)}</code></p>"
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
    body = [f"<p>{html.escape(intro)}</p><ul>{toc}</ul>"]
    for i, (topic, folders) in enumerate(sections.items()):
        body.append(f'<h2 id="topic-{i}">{html.escape(topic)}</h2>')
        for folder in folders:
            prefix = os.path.relpath(folder, tour_folder).replace(os.sep, "/") + "/"
            body.append(_run_section(Path(folder), prefix, Path(folder).name))
    path = tour_folder / "index.html"
    atomic_write_text(path, _page("hebbian tour", "".join(body)))
    return path


_WALL_TIME_SUFFIX = "_wall_seconds"


def tour_results_markdown(sections: Mapping[str, Sequence[Path]], command: str) -> str:
    """A Markdown table of every number the tour reported, for ``docs/RESULTS.md``.

    Wall times (results named ``*_wall_seconds``) are left out: they change from run to run,
    and the table must be reproducible.
    """
    lines = [
        f"Produced by `{command}`.",
        "",
        "| topic | recipe | result | value |",
        "|---|---|---|---|",
    ]
    for topic, folders in sections.items():
        for folder in folders:
            summary = read_json(Path(folder) / SUMMARY_FILE)
            for key, value in flatten_results(summary["results"]).items():
                if key.endswith(_WALL_TIME_SUFFIX):
                    continue
                lines.append(
                    f"| {topic} | `{summary['recipe']}` | `{key}` | {format_number(value)} |"
                )
    return "\n".join(lines) + "\n"
