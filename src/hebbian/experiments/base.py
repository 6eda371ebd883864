"""What a recipe is, and how its config is built from ``--set key=value`` flags.

A recipe is a plain function ``run(config, run) -> summary`` taking a frozen config
dataclass and an open :class:`~hebbian.runs.Run`; library code never parses argv
(docs/ARCHITECTURE.md). The CLI turns flags into a config with :func:`build_config`
(:mod:`hebbian.experiments.settings`).
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from hebbian._checks import usable_device
from hebbian.experiments.settings import (
    build_config,
    config_fields,
    config_record,
)
from hebbian.report.html import write_run_report
from hebbian.runs import Run

__all__ = [
    "Expectation",
    "Precision",
    "Recipe",
    "build_config",
    "config_fields",
    "execute",
    "judge",
    "resolve_device",
]

_RELATIONS = ("within", "at_least", "at_most")


class Precision(enum.Enum):
    """The floating-point type a recipe trains in (a setting: ``--set precision=float64``).

    ``FLOAT32`` is fast; ``FLOAT64`` keeps a long training run's numbers independent of
    the summation order of the matrix products (thread count, SIMD kernels, BLAS) where
    float32 rounding differences, amplified by a rule's ranking over many epochs, would
    show in the documented digits.

    >>> Precision("float64").dtype
    torch.float64
    """

    FLOAT32 = "float32"
    FLOAT64 = "float64"

    @property
    def dtype(self) -> torch.dtype:
        """The torch dtype."""
        return torch.float32 if self is Precision.FLOAT32 else torch.float64


@dataclass(frozen=True)
class Expectation:
    """What a recipe's result should be, by theory or by the paper it reproduces.

    A result ``m`` meets its expectation ``e`` with tolerance ``t`` when

    - ``relation="within"``: ``|m - e| <= t``;
    - ``relation="at_least"``: ``m >= e - t``;
    - ``relation="at_most"``: ``m <= e + t``.

    Attributes
    ----------
    result : str
        The flattened result key (``"outer.inner"``, as in
        :func:`hebbian.report.html.flatten_results`).
    expected : float or str
        The expected value, or the key of another result that holds it (a theory
        value the recipe computed from its own data).
    source : str
        Where the expected value comes from, e.g. ``"theory: PCA by SVD"`` or
        ``"paper: Miconi et al. 2018, Fig. 2"``.
    tolerance : float
        Absolute tolerance, at least 0.
    relation : {"within", "at_least", "at_most"}
        How the result is compared with ``expected``.
    index : int or None
        For a list result, the element compared.

    Examples
    --------
    >>> rule = Expectation("accuracy", 0.9, "paper", tolerance=0.01, relation="at_least")
    >>> judge([rule], {"accuracy": 0.895})[0]["met"]
    True
    """

    result: str
    expected: float | str
    source: str
    tolerance: float = 0.0
    relation: str = "within"
    index: int | None = None

    def __post_init__(self) -> None:
        if self.relation not in _RELATIONS:
            raise ValueError(
                f"relation must be one of {', '.join(_RELATIONS)}, got {self.relation!r}"
            )
        if not self.tolerance >= 0:
            raise ValueError(f"tolerance must be >= 0, got {self.tolerance!r}")

    def meets(self, measured: float, expected: float) -> bool:
        """Whether ``measured`` meets ``expected`` under this relation and tolerance."""
        if self.relation == "within":
            return abs(measured - expected) <= self.tolerance
        if self.relation == "at_least":
            return measured >= expected - self.tolerance
        return measured <= expected + self.tolerance


def _lookup(results: Mapping[str, Any], key: str, index: int | None) -> float | None:
    """The number ``results[key][index]``, or None when it was not reported as a number."""
    value = results.get(key)
    if index is not None:
        value = value[index] if isinstance(value, (list, tuple)) and index < len(value) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def judge(expectations: Sequence[Expectation], results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Compare the results with their expectations: one verdict record each.

    ``results`` may be nested; keys are matched after flattening. Each record holds
    ``result`` (with ``[index]`` for a list element), ``measured``, ``expected``,
    ``relation``, ``tolerance``, ``source`` and ``met``. A measurement that is missing,
    not a number (e.g. ``None`` for "never reached") or not finite never meets its
    expectation; ``measured`` (or ``expected``) is then ``None``.
    """
    from hebbian.report.html import flatten_results

    flat = flatten_results(results)
    verdicts = []
    for rule in expectations:
        measured = _lookup(flat, rule.result, rule.index)
        expected = (
            _lookup(flat, rule.expected, rule.index)
            if isinstance(rule.expected, str)
            else float(rule.expected)
        )
        met = (
            measured is not None
            and expected is not None
            and math.isfinite(measured)
            and rule.meets(measured, expected)
        )
        name = rule.result if rule.index is None else f"{rule.result}[{rule.index}]"
        verdicts.append(
            {
                "result": name,
                "measured": measured,
                "expected": expected,
                "relation": rule.relation,
                "tolerance": rule.tolerance,
                "source": rule.source,
                "met": bool(met),
            }
        )
    return verdicts


def _no_expectations(config: Any) -> Sequence[Expectation]:
    return ()


@dataclass(frozen=True)
class Recipe:
    """A named, reproducible experiment.

    Attributes
    ----------
    name : str
        The name used on the command line (``hebbian run NAME``).
    summary : str
        One line for ``hebbian list``.
    topic : str
        The tour section this recipe belongs to.
    config_type : type
        A frozen dataclass whose fields (with defaults) are the recipe's settings.
    description : str or callable
        A paragraph for the report: what the recipe shows and the source it follows;
        or ``description(config) -> str``, which builds it from the config actually run.
    run : callable
        ``run(config, run) -> results``: trains (logging metrics, checkpointing and
        resuming through ``run``), saves figures and returns the final numbers.
    tour : mapping
        Overrides of the defaults used by ``hebbian tour`` (small, fast settings). Whether
        the tour runs the recipe is the registry's to say
        (:attr:`hebbian.experiments.RecipeEntry.in_tour`).
    expectations : callable
        ``expectations(config) -> [Expectation, ...]``: what theory or the paper says the
        headline results should be for this config; each run's page shows measured,
        expected and a verdict for each.
    """

    name: str
    summary: str
    topic: str
    description: str | Callable[[Any], str]
    config_type: type[Any]
    run: Callable[[Any, Run], dict[str, Any]]
    tour: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    expectations: Callable[[Any], Sequence[Expectation]] = _no_expectations

    def describe(self, config: Any) -> str:
        """The report's paragraph for ``config``."""
        return self.description(config) if callable(self.description) else self.description


def resolve_device(device: str | torch.device) -> torch.device:
    """Return ``device`` as a :class:`torch.device`, refusing one this machine lacks.

    The checks are :func:`hebbian._checks.usable_device`'s; recipes run on ``cpu``
    or ``cuda`` only.
    """
    resolved = usable_device(device)
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"device must be cpu or cuda, got {device!r}")
    return resolved


def execute(
    recipe: Recipe,
    config: Any,
    out: Path | str,
    *,
    seed: int = 0,
    device: str | torch.device = "cpu",
    resume: bool = False,
    overwrite: bool = False,
    data_dir: Path | str | None = None,
) -> dict[str, Any]:
    """Run ``recipe`` with ``config`` in the folder ``out`` and write its report.

    Returns the summary (also written to ``out/summary.json``). With ``resume`` an
    interrupted run continues from its last checkpoint;
    with ``overwrite`` a run folder is started again (only its run's files are deleted).
    """
    if not isinstance(config, recipe.config_type):
        raise TypeError(
            f"config must be a {recipe.config_type.__name__}, got {type(config).__name__}"
        )
    run = Run.start(
        out,
        recipe=recipe.name,
        config=config_record(config),
        seed=seed,
        device=resolve_device(device),
        resume=resume,
        overwrite=overwrite,
        data_dir=data_dir,
    )
    results = recipe.run(config, run)
    verdicts = judge(recipe.expectations(config), results)
    summary = run.finish(results, recipe.describe(config), verdicts=verdicts)
    write_run_report(run.directory)
    return summary
