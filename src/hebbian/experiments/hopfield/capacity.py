r"""The ``hopfield-capacity`` recipe: recall against the load for three storage rules.

Fraction recalled exactly and final overlap against P / N for the Hebb, Storkey and
pseudo-inverse rules, beside the capacity theory (:mod:`hebbian.hopfield.theory`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from matplotlib.lines import Line2D
from matplotlib.typing import LineStyleType

from hebbian._checks import (
    check_increasing,
    check_memory,
    check_positive_int,
)
from hebbian.data import random_binary_patterns
from hebbian.experiments.base import Expectation, Recipe
from hebbian.experiments.hopfield._shared import FIGURE_FONTS, TOPIC
from hebbian.hopfield import (
    StorageRule,
)
from hebbian.hopfield.cues import (
    flip_bits,
)
from hebbian.hopfield.protocols import (
    recall_at_nested_loads,
)
from hebbian.hopfield.theory import (
    crossing,
    hebb_all_fixed_alpha,
    hebb_alpha_at_level,
    hebb_most_fixed_alpha,
    hebb_stable_fraction,
    retrieval_overlap,
    storkey_alpha,
)
from hebbian.report.figures import rc_context, subplots
from hebbian.runs import EpochResult, Run

#: The storage rules compared by ``hopfield-capacity``, in plotting order.
RULES = (StorageRule.HEBB, StorageRule.STORKEY, StorageRule.PSEUDO_INVERSE)
RULE_LABELS = {
    StorageRule.HEBB: "Hebb",
    StorageRule.STORKEY: "Storkey",
    StorageRule.PSEUDO_INVERSE: "pseudo-inverse",
}
RULE_COLOURS = {
    StorageRule.HEBB: "tab:blue",
    StorageRule.STORKEY: "tab:orange",
    StorageRule.PSEUDO_INVERSE: "tab:green",
}


@dataclass(frozen=True)
class HopfieldCapacityConfig:
    r"""Settings of ``hopfield-capacity``.

    Attributes
    ----------
    sizes : tuple of int
        Network sizes N (the first one is the main curve).
    alphas : tuple of float
        Loads :math:`\alpha = P / N`, strictly increasing, in (0, 1); P = round(alpha N).
    cue_flip_fractions : tuple of float
        Cue conditions: each stored pattern with this fraction of its bits flipped
        (0 = the pattern itself, which is recalled exactly iff it is a fixed point).
    trials : int
        Independent sets of random patterns per N.
    max_sweeps : int
        Asynchronous sweeps allowed per recall.
    """

    sizes: tuple[int, ...] = (1000, 200)
    alphas: tuple[float, ...] = tuple(round(0.02 * k, 2) for k in range(1, 31))
    cue_flip_fractions: tuple[float, ...] = (0.0, 0.1)
    trials: int = 3
    max_sweeps: int = 100

    def __post_init__(self) -> None:
        if not isinstance(self.sizes, tuple) or not self.sizes:
            raise TypeError(f"sizes must be a non-empty tuple of ints, got {self.sizes!r}")
        for n in self.sizes:
            check_positive_int("sizes", n, minimum=10)
        if len(set(self.sizes)) != len(self.sizes):
            raise ValueError(f"sizes must be distinct, got {self.sizes!r}")
        check_increasing("alphas", self.alphas, 0.0, 1.0)
        if self.alphas[0] <= 0 or self.alphas[-1] >= 1:
            raise ValueError(f"alphas must lie in (0, 1), got {self.alphas!r}")
        check_increasing("cue_flip_fractions", self.cue_flip_fractions, 0.0, 0.5)
        check_positive_int("trials", self.trials)
        check_positive_int("max_sweeps", self.max_sweeps)
        check_memory(
            f"hopfield-capacity with sizes={self.sizes} and alphas up to {self.alphas[-1]:g} "
            "(weights, patterns and cues of the largest N)",
            capacity_memory(self),
        )


def _pattern_counts(alphas: tuple[float, ...], n: int) -> list[int]:
    return [max(1, round(alpha * n)) for alpha in alphas]


def _capacity_key(rule: StorageRule, n: int, fraction: float) -> str:
    return f"{rule.value} N={n} flip={fraction:g}"


def capacity_memory(config: HopfieldCapacityConfig) -> int:
    """Bytes ``hopfield-capacity`` holds at once for its largest N (an estimate).

    Couplings in float64 and their transpose, the float32 weights (20 N^2 bytes), and
    the patterns, cue sets, states and fields (about 4 (F + 8) P N bytes).
    """
    n = max(config.sizes)
    count = _pattern_counts(config.alphas, n)[-1]
    return 20 * n * n + 4 * (len(config.cue_flip_fractions) + 8) * count * n


def run_hopfield_capacity(config: HopfieldCapacityConfig, run: Run) -> dict[str, Any]:
    """Recall every stored pattern (clean or noisy) at each load, for the three rules."""
    shape = (len(RULES), len(config.sizes), len(config.cue_flip_fractions), len(config.alphas))
    zeros = torch.zeros(shape, dtype=torch.float64, device=run.device)
    initial = {"exact": zeros, "overlap": zeros.clone(), "cues": zeros.clone()}

    def train_epoch(trial: int, state: dict[str, torch.Tensor]) -> EpochResult:
        exact, overlap, cues = (state[k].clone() for k in ("exact", "overlap", "cues"))
        for si, n in enumerate(config.sizes):
            counts = _pattern_counts(config.alphas, n)
            patterns = random_binary_patterns(counts[-1], n, generator=run.generator)
            patterns = patterns.to(run.device)  # (P_max, N)
            cue_sets = [flip_bits(patterns, f, run.generator) for f in config.cue_flip_fractions]
            for ri, rule in enumerate(RULES):  # nested pattern sets: Storkey continues
                hits, overlaps = recall_at_nested_loads(
                    rule, patterns, counts, cue_sets, max_sweeps=config.max_sweeps,
                    generator=run.generator,
                )  # fmt: skip
                exact[ri, si] += hits
                overlap[ri, si] += overlaps
                cues[ri, si] += torch.tensor(counts, dtype=cues.dtype, device=cues.device)
        metrics = {
            "exact_fraction": exact / cues.clamp(min=1),
            "mean_overlap": overlap / cues.clamp(min=1),
        }
        return {"exact": exact, "overlap": overlap, "cues": cues}, metrics

    state = run.run_epochs(config.trials, initial, train_epoch, desc=run.recipe)
    exact = (state["exact"] / state["cues"]).cpu()
    overlap = (state["overlap"] / state["cues"]).cpu()
    alphas = list(config.alphas)
    results: dict[str, Any] = {
        "alphas": alphas,
        "exact_fraction": {},
        "mean_overlap": {},
        "alpha_half_exact": {},
        "alpha_overlap_below_0.9": {},
    }
    for ri, rule in enumerate(RULES):
        for si, n in enumerate(config.sizes):
            for fi, fraction in enumerate(config.cue_flip_fractions):
                key = _capacity_key(rule, n, fraction)
                fractions, overlaps = exact[ri, si, fi].tolist(), overlap[ri, si, fi].tolist()
                results["exact_fraction"][key] = fractions
                results["mean_overlap"][key] = overlaps
                results["alpha_half_exact"][key] = crossing(alphas, fractions, 0.5)
                results["alpha_overlap_below_0.9"][key] = crossing(alphas, overlaps, 0.9)
    results["theory"] = {
        "alpha_c": 0.138,
        "hebb_all_exact_alpha": {str(n): hebb_all_fixed_alpha(n) for n in config.sizes},
        "hebb_most_exact_alpha": {str(n): hebb_most_fixed_alpha(n) for n in config.sizes},
        "storkey_alpha": {str(n): storkey_alpha(n) for n in config.sizes},
        "hebb_half_stable_alpha": {str(n): hebb_alpha_at_level(n) for n in config.sizes},
        "hebb_stable_fraction": {
            str(n): [hebb_stable_fraction(c, n) for c in _pattern_counts(config.alphas, n)]
            for n in config.sizes
        },
        "retrieval_overlap": [retrieval_overlap(a) for a in alphas],
    }
    _capacity_figure(run, config, exact, overlap)
    return results


def _capacity_figure(
    run: Run, config: HopfieldCapacityConfig, exact: torch.Tensor, overlap: torch.Tensor
) -> None:
    alphas = list(config.alphas)
    rows = len(config.cue_flip_fractions)
    styles: list[LineStyleType] = ["-", "--", ":", "-."]
    fine = [config.alphas[-1] * k / 300 for k in range(1, 301)]
    main = config.sizes[0]
    hebb, storkey = RULE_COLOURS[StorageRule.HEBB], RULE_COLOURS[StorageRule.STORKEY]
    at = f"N = {main}"
    # theory loads of the main N: (alpha, colour, line style, legend label)
    marks: tuple[tuple[float, str, LineStyleType, str], ...] = (
        (hebb_all_fixed_alpha(main), hebb, ":", f"N/(4 ln N): all Hebb patterns fixed ({at})"),
        (hebb_most_fixed_alpha(main), hebb, "-.", f"N/(2 ln N): most Hebb patterns fixed ({at})"),
        (storkey_alpha(main), storkey, ":", f"N/sqrt(2 ln N): Storkey (N = {main})"),
    )
    with rc_context(FIGURE_FONTS):
        fig, axes = subplots(rows, 2, figsize=(10, 3.8 * rows + 1.5), squeeze=False)
        for fi, fraction in enumerate(config.cue_flip_fractions):
            left, right = axes[fi]
            for ri, rule in enumerate(RULES):
                for si in range(len(config.sizes)):
                    style = dict(color=RULE_COLOURS[rule], linestyle=styles[si % 4], marker=".")
                    left.plot(alphas, exact[ri, si, fi].tolist(), **style)
                    right.plot(alphas, overlap[ri, si, fi].tolist(), **style)
            for alpha, colour, line, _ in marks:
                left.axvline(alpha, color=colour, linestyle=line, lw=1.3)
            if fraction == 0.0:
                for si, n in enumerate(config.sizes):
                    stable = [hebb_stable_fraction(a * n, n) for a in fine]
                    left.plot(fine, stable, color="k", linestyle=styles[si % 4], lw=1)
            right.axvline(0.138, color="grey", lw=1.3)
            below = [a for a in fine if a < 0.138]
            right.plot(below, [retrieval_overlap(a) for a in below], color="k", lw=1.2)
            cue = "stored pattern" if fraction == 0 else f"{fraction:.0%} of bits flipped"
            left.set(xlabel="load P / N", ylabel="fraction recalled exactly", ylim=(-0.02, 1.02))
            right.set(xlabel="load P / N", ylabel="mean final overlap", ylim=(0, 1.02))
            left.set_title(f"cue: {cue}")
            right.set_title(f"cue: {cue}")
        handles = [
            Line2D([], [], color=RULE_COLOURS[r], lw=2.5, label=RULE_LABELS[r]) for r in RULES
        ]
        handles += [
            Line2D([], [], color="grey", linestyle=styles[si % 4], lw=2, label=f"N = {n}")
            for si, n in enumerate(config.sizes)
        ]
        handles.append(
            Line2D([], [], color="k", lw=1.2, label="theory: Hebb fixed points, retrieval m")
        )
        handles += [
            Line2D([], [], color=colour, linestyle=line, lw=1.3, label=label)
            for _, colour, line, label in marks
        ]
        handles.append(Line2D([], [], color="grey", lw=1.3, label="alpha_c = 0.138"))
        fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False)
        fig.tight_layout(rect=(0, 1.35 / (3.8 * rows + 1.5), 1, 1))
    run.save_figure(
        fig,
        "capacity",
        "Classical Hopfield network: fraction of the P stored patterns recalled exactly (left) "
        "and mean overlap of the final state with the pattern (right) against the load "
        f"alpha = P / N, asynchronous recall, N = {', '.join(map(str, config.sizes))} "
        "(solid, dashed). Black: the fraction of Hebbian patterns that are fixed points, "
        "(1 - P_e)^N with Gaussian crosstalk, and the replica-symmetric retrieval overlap "
        "m(alpha), which vanishes at alpha_c = 0.138. The pseudo-inverse rule stores any "
        "independent set exactly, so it fails only through shrinking basins.",
    )


def _describe_capacity(config: HopfieldCapacityConfig) -> str:
    n = config.sizes[0]
    flips = " or ".join(f"{f:.0%}" for f in config.cue_flip_fractions)
    return (
        f"Classical binary Hopfield networks (Hopfield 1982) of N = "
        f"{', '.join(map(str, config.sizes))} neurons store P = alpha N random patterns, "
        f"alpha = {config.alphas[0]:g} to {config.alphas[-1]:g}, with the Hebb, Storkey "
        "(1997) and pseudo-inverse (Personnaz et al. 1985) rules; each stored pattern, with "
        f"{flips} of its bits flipped, is recalled with asynchronous updates "
        f"({config.trials} sets of patterns per N). Theory, for N = {n}: all Hebbian "
        "patterns are fixed points below alpha = 1/(4 ln N) = "
        f"{hebb_all_fixed_alpha(n):.3f} and most below 1/(2 ln N) = "
        f"{hebb_most_fixed_alpha(n):.3f} (McEliece et al. 1987); with Gaussian crosstalk"
        " half of them are fixed points at alpha = "
        f"{hebb_alpha_at_level(n):.3f} (judged within 0.03: the load grid step plus two "
        "standard errors of the fraction); the retrieval state disappears at alpha_c = 0.138 "
        "(Amit, Gutfreund & Sompolinsky 1985), judged within 0.04 because a finite network "
        "keeps large overlaps somewhat beyond it; Storkey's rule stores N/sqrt(2 ln N) = "
        f"{storkey_alpha(n):.3f} N; the pseudo-inverse rule stores any linearly "
        "independent set."
    )


def _last_index_at_most(values: tuple[float, ...], limit: float) -> int | None:
    below = [i for i, v in enumerate(values) if v <= limit]
    return below[-1] if below else None


def _capacity_expectations(config: HopfieldCapacityConfig) -> list[Expectation]:
    n = config.sizes[0]
    rules: list[Expectation] = []
    if 0.0 in config.cue_flip_fractions:
        clean = f"N={n} flip=0"
        half = hebb_alpha_at_level(n)
        if config.alphas[0] < half and config.alphas[-1] > 1.5 * half:
            rules.append(
                Expectation(
                    f"alpha_half_exact.hebb {clean}", f"theory.hebb_half_stable_alpha.{n}",
                    "theory: (1 - P_e)^N = 1/2, P_e = erfc(sqrt((N-1)/(2(P-1))))/2, "
                    "Gaussian crosstalk (McEliece et al. 1987)", tolerance=0.03,
                )
            )  # fmt: skip
        index = _last_index_at_most(config.alphas, hebb_all_fixed_alpha(n))
        if index is not None:
            rules.append(
                Expectation(
                    f"exact_fraction.hebb {clean}", 1.0,
                    "theory: McEliece et al. 1987, all patterns fixed below N/(4 ln N)",
                    tolerance=0.05, relation="at_least", index=index,
                )
            )  # fmt: skip
        index = _last_index_at_most(config.alphas, storkey_alpha(n))
        if index is not None:
            rules.append(
                Expectation(
                    f"exact_fraction.storkey {clean}", 1.0,
                    "theory: Storkey 1997, patterns fixed below N/sqrt(2 ln N)",
                    tolerance=0.05, relation="at_least", index=index,
                )
            )  # fmt: skip
        rules.append(
            Expectation(
                f"exact_fraction.pseudo_inverse {clean}", 1.0,
                "theory: Personnaz et al. 1985, every independent pattern is a fixed point",
                relation="at_least", index=len(config.alphas) - 1,
            )
        )  # fmt: skip
    if config.alphas[0] < 0.1 and config.alphas[-1] > 0.25:
        for fraction in config.cue_flip_fractions:
            rules.append(
                Expectation(
                    f"alpha_overlap_below_0.9.hebb N={n} flip={fraction:g}", 0.138,
                    "theory: Amit, Gutfreund & Sompolinsky 1985, retrieval ends at "
                    "alpha_c = 0.138", tolerance=0.04,
                )
            )  # fmt: skip
    return rules


HOPFIELD_CAPACITY = Recipe(
    name="hopfield-capacity",
    summary="recall against the load P/N for Hebb, Storkey and pseudo-inverse, with theory",
    topic=TOPIC,
    description=_describe_capacity,
    config_type=HopfieldCapacityConfig,
    run=run_hopfield_capacity,
    tour={
        "sizes": (200, 100),
        "alphas": tuple(round(0.025 * k, 3) for k in range(1, 17)),
        "trials": 2,
    },
    expectations=_capacity_expectations,
)
