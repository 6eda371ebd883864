"""The ``stdp-window`` recipe: the STDP learning window from pairing protocols.

Pairing protocols (60 pairings at 1 Hz, Bi & Poo 1998) drive one synapse with the pair
rule; exponential fits to the measured window recover the configured time constants.
The protocols and fits live in :mod:`hebbian.spiking.protocols`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch

from hebbian._checks import check_memory, check_positive, check_positive_int
from hebbian.experiments.base import Expectation, Recipe
from hebbian.experiments.spiking._shared import TOPIC, exact, whole_steps
from hebbian.report.figures import subplots
from hebbian.runs import Run
from hebbian.spiking.protocols import (
    fit_stdp_window,
    isolated_pairs_change,
    pairing_protocol_bytes,
    pairing_weight_changes,
)
from hebbian.spiking.stdp import PairSTDPParameters, pair_stdp_step, pair_traces

__all__ = ["BI_POO_RULE", "STDP_WINDOW", "WindowConfig", "run_stdp_window"]

# the default rule: Bi & Poo's time constants, no upper bound
BI_POO_RULE = PairSTDPParameters(
    a_plus=0.01, a_minus=0.0055, tau_plus=16.8e-3, tau_minus=33.7e-3, w_max=math.inf
)


@dataclass(frozen=True)
class WindowConfig:
    """Settings of the STDP window recipe (times in seconds).

    Attributes
    ----------
    rule : PairSTDPParameters
        The pair rule measured (settings ``rule.a_plus``, ``rule.tau_plus``, ...).
        Default: additive, amplitudes relative to the initial weight 1 with
        ``a_minus * tau_minus > a_plus * tau_plus`` (depression wins on average), and
        Bi & Poo's fitted time constants, 16.8 and 33.7 ms, which the fits should
        recover; no upper bound.
    pairings, frequency : int, float
        Pairings per protocol and their rate (Bi & Poo: 60 at 1 Hz).
    max_delta_t, delta_t_step : float
        Spike-time differences ``t_post - t_pre`` from ``-max`` to ``+max`` in steps.
    resolution : float
        Time grid of the spike times.
    """

    rule: PairSTDPParameters = BI_POO_RULE
    pairings: int = 60
    frequency: float = 1.0
    max_delta_t: float = 0.1
    delta_t_step: float = 5e-3
    resolution: float = 1e-4

    def __post_init__(self) -> None:
        if not isinstance(self.rule, PairSTDPParameters):
            raise TypeError(f"rule must be PairSTDPParameters, got {type(self.rule).__name__}")
        check_positive("rule.a_plus", self.rule.a_plus)  # both sides are fitted
        check_positive("rule.a_minus", self.rule.a_minus)
        check_positive("frequency", self.frequency)
        check_positive_int("pairings", self.pairings)
        check_positive("max_delta_t", self.max_delta_t)
        check_positive("delta_t_step", self.delta_t_step)
        check_positive("resolution", self.resolution)
        if self.max_delta_t >= 0.5 / self.frequency:
            raise ValueError(
                f"max_delta_t must be below half the pairing period 1/(2 frequency) = "
                f"{0.5 / self.frequency:g} s, got {self.max_delta_t}"
            )
        if self.max_delta_t / self.delta_t_step < 3:
            raise ValueError(
                f"delta_t_step must leave at least 3 points on each side for the fit, got "
                f"max_delta_t = {self.max_delta_t:g} s and delta_t_step = {self.delta_t_step:g} s"
            )
        whole_steps("delta_t_step", self.delta_t_step, "resolution", self.resolution)
        check_memory(
            f"pairings={self.pairings} ({self.protocols} protocols of spike times and events)",
            pairing_protocol_bytes(self.protocols, self.pairings),
        )

    @property
    def protocols(self) -> int:
        """Number of pairing protocols: one per spike-time difference, 0 included."""
        return 2 * round(self.max_delta_t / self.delta_t_step) + 1


def run_stdp_window(config: WindowConfig, run: Run) -> dict[str, Any]:
    """Measure the pair rule's window with pairing protocols and fit exponentials."""
    count = round(config.max_delta_t / config.delta_t_step)
    delta_ts = [i * config.delta_t_step for i in range(-count, count + 1)]
    rule, batch = config.rule, len(delta_ts)
    change = pairing_weight_changes(  # (B,), relative to the initial weight 1
        partial(pair_stdp_step, params=rule),
        pair_traces(batch, 1, 1),
        [config.frequency] * batch,
        delta_ts,
        config.pairings,
        config.resolution,
        lead=2 * config.max_delta_t,
    )
    dts = torch.tensor(delta_ts, dtype=torch.float64)
    fit = fit_stdp_window(dts, change)
    theory = [isolated_pairs_change(rule, d, config.pairings) for d in delta_ts]
    deviation = max(abs(c - t) for c, t in zip(change.tolist(), theory, strict=True))
    run.log(1, delta_t=dts, weight_change=change)
    plus, minus = (fit.amplitude_plus, fit.tau_plus), (fit.amplitude_minus, fit.tau_minus)
    _window_figure(run, dts, change, plus, minus, config)
    # the fits are exact up to float64 rounding (~1e-11 relative): quoted to 1e-6, so that
    # no reported digit is rounding noise
    return {
        "delta_t_ms": [exact(1e3 * d, 9) for d in delta_ts],
        "weight_change_percent": (100 * change).tolist(),
        "fitted_tau_plus_ms": exact(1e3 * fit.tau_plus),
        "fitted_tau_minus_ms": exact(1e3 * fit.tau_minus),
        "configured_tau_plus_ms": exact(1e3 * rule.tau_plus, 9),
        "configured_tau_minus_ms": exact(1e3 * rule.tau_minus, 9),
        "fitted_amplitude_plus": exact(fit.amplitude_plus, 9),
        "fitted_amplitude_minus": exact(fit.amplitude_minus, 9),
        "theory_amplitude_plus": exact(config.pairings * rule.a_plus, 12),
        "theory_amplitude_minus": exact(config.pairings * rule.a_minus, 12),
        "max_deviation_from_isolated_pairs_percent": exact(100 * deviation, 9),
    }


def _window_expectations(config: WindowConfig) -> list[Expectation]:
    theory = "theory: pairings 1/f apart do not interact, so each side is exactly K A e^{-|dt|/tau}"
    return [
        Expectation("fitted_tau_plus_ms", "configured_tau_plus_ms", theory, tolerance=1e-6),
        Expectation("fitted_tau_minus_ms", "configured_tau_minus_ms", theory, tolerance=1e-6),
        Expectation("fitted_amplitude_plus", "theory_amplitude_plus", theory, tolerance=1e-9),
        Expectation("fitted_amplitude_minus", "theory_amplitude_minus", theory, tolerance=1e-9),
        Expectation(
            "max_deviation_from_isolated_pairs_percent",
            0.0,
            "theory: the window of one isolated pair (Song, Miller & Abbott 2000, eq. 1)",
            tolerance=1e-6,
            relation="at_most",
        ),
    ]


def _window_description(config: WindowConfig) -> str:
    bi_poo = config.rule.tau_plus == 16.8e-3 and config.rule.tau_minus == 33.7e-3
    return (
        f"One synapse with additive pair STDP (A+ = {config.rule.a_plus:g}, A- = "
        f"{config.rule.a_minus:g}) and pre/post traces receives {config.pairings} pairings at "
        f"{config.frequency:g} Hz"
        + (
            " (Bi & Poo 1998's protocol)"
            if (config.pairings, config.frequency) == (60, 1.0)
            else ""
        )
        + f" for each spike-time difference from {-1e3 * config.max_delta_t:g} to "
        f"+{1e3 * config.max_delta_t:g} ms in steps of {1e3 * config.delta_t_step:g} ms. "
        "Theory: the weight change is K A+ exp(-dt/tau+) for dt >= 0 and -K A- exp(dt/tau-) "
        "for dt < 0 (K pairings that do not interact), so exponential fits to the simulated "
        f"changes recover the configured tau+ = {1e3 * config.rule.tau_plus:g} ms and tau- = "
        f"{1e3 * config.rule.tau_minus:g} ms"
        + (", Bi & Poo's fitted values." if bi_poo else " (Bi & Poo fitted 16.8 and 33.7 ms).")
    )


def _window_figure(
    run: Run,
    dts: torch.Tensor,
    change: torch.Tensor,
    plus: tuple[float, float],
    minus: tuple[float, float],
    config: WindowConfig,
) -> None:
    fig, ax = subplots(figsize=(6.4, 3.8))
    ms = dts * 1e3
    ax.axhline(0, color="0.7", lw=0.8)
    ax.axvline(0, color="0.7", lw=0.8)
    ax.plot(ms, 100 * change, "o", ms=4, color="k", label=f"{config.pairings} pairings")
    pos = torch.linspace(0, ms.max().item(), 200, dtype=torch.float64)
    neg = torch.linspace(ms.min().item(), 0, 200, dtype=torch.float64)
    ax.plot(
        pos,
        100 * plus[0] * torch.exp(-pos / (1e3 * plus[1])),
        color="tab:red",
        label=f"fit: tau+ = {1e3 * plus[1]:.1f} ms",
    )
    ax.plot(
        neg,
        -100 * minus[0] * torch.exp(neg / (1e3 * minus[1])),
        color="tab:blue",
        label=f"fit: tau- = {1e3 * minus[1]:.1f} ms",
    )
    ax.set(
        xlabel="spike-time difference t_post - t_pre (ms)",
        ylabel="weight change (% of initial)",
        title=f"STDP window from pairing protocols ({config.frequency:g} Hz)",
    )
    ax.legend(fontsize=10)
    fig.tight_layout()
    run.save_figure(
        fig,
        "stdp_window",
        f"Weight change after {config.pairings} pre/post pairings at {config.frequency:g} Hz "
        "against the spike-time difference (dots), simulated with the additive pair rule, "
        "and exponential fits to each side. Configured time constants: "
        f"{1e3 * config.rule.tau_plus:.1f} and {1e3 * config.rule.tau_minus:.1f} ms "
        "(Bi & Poo 1998's fits).",
    )


STDP_WINDOW = Recipe(
    name="stdp-window",
    summary="the STDP learning window from pairing protocols, with exponential fits",
    topic=TOPIC,
    description=_window_description,
    config_type=WindowConfig,
    run=run_stdp_window,
    tour={},
    expectations=_window_expectations,
)
