"""The ``hodgkin-huxley`` recipe: the 1952 squid axon model under current steps.

The action potential, the f-I curve and the thresholds for one spike and for
repetitive firing. The model is :mod:`hebbian.spiking.neurons`'s; the current steps and
their measurements live in :mod:`hebbian.spiking.protocols`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from hebbian._checks import check_memory, check_positive, check_positive_int
from hebbian.experiments.base import Expectation, Recipe
from hebbian.experiments.spiking._shared import TOPIC, epoch_steps, exact, whole_steps
from hebbian.report.figures import subplots
from hebbian.runs import EpochResult, Run
from hebbian.spiking.neurons import HHParameters, HHState, hh_state
from hebbian.spiking.protocols import hh_current_steps, hh_current_steps_bytes, step_responses

__all__ = [
    "HH_MAX_DT",
    "HH_ONSET_RATE",
    "HH_REFERENCE_RATES",
    "HH_REPETITIVE_THRESHOLD",
    "HH_SINGLE_SPIKE_THRESHOLD",
    "HODGKIN_HUXLEY",
    "HHConfig",
    "run_hodgkin_huxley",
]

# the reference card's values for the Hodgkin-Huxley model (RK4, dt 0.01 ms, 1 s steps)
HH_SINGLE_SPIKE_THRESHOLD = 2.25  # uA/cm2
HH_REPETITIVE_THRESHOLD = 6.26  # uA/cm2
HH_ONSET_RATE = 52.0  # Hz, the jump at the repetitive threshold
HH_REFERENCE_RATES = {9.8: 68.0, 20.0: 86.0, 50.0: 116.0}  # Hz at these uA/cm2
# RK4 on the model diverges at 0.1 ms (currents 0-50 uA/cm2) and holds every spike at 0.05
HH_MAX_DT = 5e-5


@dataclass(frozen=True)
class HHConfig:
    """Settings of the Hodgkin-Huxley recipe.

    Attributes
    ----------
    neuron : HHParameters
        The model (settings ``neuron.g_na``, ``neuron.e_l`` ...); the reference values
        of the expectations hold for the default, Hodgkin & Huxley's.
    dt : float
        RK4 step (s).
    duration, epochs : float, int
        Length of each current step (s), split into epochs (checkpointed).
    currents : tuple of float
        Currents (uA/cm2) of the f-I curve.
    single_range, repetitive_range : tuple of float
        ``(low, high)`` ranges scanned in steps of ``fine_step`` for the thresholds of
        one spike and of repetitive firing.
    fine_step : float
        Resolution of the threshold scans (uA/cm2).
    trace_current, trace_duration : float
        The current whose first ``trace_duration`` seconds are drawn.
    """

    neuron: HHParameters = field(default_factory=HHParameters)
    dt: float = 1e-5
    duration: float = 1.0
    epochs: int = 10
    currents: tuple[float, ...] = (*map(float, range(9)), 9.8, 12.0, 15.0, 20.0, 30.0, 40.0, 50.0)
    single_range: tuple[float, ...] = (2.15, 2.35)
    repetitive_range: tuple[float, ...] = (6.0, 6.5)
    fine_step: float = 0.01
    trace_current: float = 10.0
    trace_duration: float = 0.05

    def __post_init__(self) -> None:
        if not isinstance(self.neuron, HHParameters):
            raise TypeError(f"neuron must be HHParameters, got {type(self.neuron).__name__}")
        check_positive("dt", self.dt)
        check_positive("duration", self.duration)
        check_positive_int("epochs", self.epochs)
        check_positive("fine_step", self.fine_step)
        check_positive("trace_duration", self.trace_duration)
        for name in ("currents", "single_range", "repetitive_range"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not value:
                raise TypeError(f"{name} must be a non-empty tuple of numbers, got {value!r}")
        for name in ("single_range", "repetitive_range"):
            low_high = getattr(self, name)
            if len(low_high) != 2 or not low_high[0] < low_high[1]:
                raise ValueError(f"{name} must be (low, high) with low < high, got {low_high}")
        steps = epoch_steps(self.duration, self.epochs, self.dt)
        if self.dt > HH_MAX_DT:
            raise ValueError(
                f"dt must be at most {HH_MAX_DT:g} s (0.05 ms) for RK4 to stay stable on the "
                f"Hodgkin-Huxley model, got dt = {self.dt:g} s"
            )
        whole_steps("trace_duration", self.trace_duration, "dt", self.dt)
        if self.trace_duration > self.duration / self.epochs:
            raise ValueError(
                f"trace_duration must not exceed one epoch, got trace_duration = "
                f"{self.trace_duration:g} s and duration / epochs = "
                f"{self.duration / self.epochs:g} s"
            )
        scans = sum(
            round((high - low) / self.fine_step) + 1
            for low, high in (self.single_range, self.repetitive_range)
        )
        currents = len(self.currents) + scans + 1
        needed = hh_current_steps_bytes(currents, steps, round(self.trace_duration / self.dt))
        check_memory(
            f"dt={self.dt:g}, duration={self.duration:g}, epochs={self.epochs}, "
            f"fine_step={self.fine_step:g} ({currents} currents x {steps} steps per epoch)",
            needed,
        )

    def all_currents(self) -> list[float]:
        """The f-I currents, then the two threshold scans and the trace current."""
        scans = []
        for low, high in (self.single_range, self.repetitive_range):
            count = round((high - low) / self.fine_step)
            scans += [round(low + i * self.fine_step, 10) for i in range(count + 1)]
        return [*self.currents, *scans, self.trace_current]


def run_hodgkin_huxley(config: HHConfig, run: Run) -> dict[str, Any]:
    """Current steps from rest into Hodgkin-Huxley neurons: f-I curve and thresholds."""
    params = config.neuron
    currents = config.all_currents()
    steps = round(config.duration / config.epochs / config.dt)
    trace_steps = round(config.trace_duration / config.dt)
    initial = hh_state(1, len(currents), params, device=run.device)

    def train_epoch(epoch: int, tensors: dict[str, torch.Tensor]) -> EpochResult:
        try:  # the first epoch records the first milliseconds of the trace current (last)
            segment = hh_current_steps(
                HHState(**tensors),
                params,
                currents,
                steps,
                config.dt,
                trace_steps=trace_steps if epoch == 1 else 0,
                first_step=(epoch - 1) * steps,
            )
        except ValueError as error:  # RK4 diverged
            raise ValueError(f"epoch {epoch}: {error}") from error
        metrics: dict[str, Any] = {"trace": segment.trace} if epoch == 1 else {}
        metrics["spike_steps"] = segment.spike_steps
        metrics["v_end"] = segment.state.v[0].tolist()
        return dict(segment.state._asdict()), metrics

    run.run_epochs(config.epochs, dict(initial._asdict()), train_epoch, desc=run.recipe)
    records = run.metrics()
    times = [
        [s * config.dt for r in records for s in r["spike_steps"][c]] for c in range(len(currents))
    ]
    responses = step_responses(times, config.duration)
    counts, rates = [r.spikes for r in responses], [r.steady_rate for r in responses]
    n_fi = len(config.currents)
    results: dict[str, Any] = {
        "currents": list(config.currents),
        "spike_counts": counts[:n_fi],
        "steady_rates_hz": rates[:n_fi],
        # potentials quoted to 1e-6 mV: their last bits depend on the CPU's vector width
        "resting_potential_mv": exact(records[-1]["v_end"][0]) if currents[0] == 0 else None,
    }
    scans = list(enumerate(currents))[n_fi:]
    single = [c for i, c in scans if _within(c, config.single_range) and counts[i] >= 1]
    repetitive_scan = [(i, c) for i, c in scans if _within(c, config.repetitive_range)]
    above = [(i, c) for i, c in repetitive_scan if responses[i].repetitive]
    to_end = [c for i, c in repetitive_scan if responses[i].fires_to_end]
    results["single_spike_threshold"] = min(single) if single else None
    results["repetitive_threshold"] = min(c for _, c in above) if above else None
    results["repetitive_threshold_firing_to_end"] = min(to_end) if to_end else None
    results["onset_rate_hz"] = rates[min(above, key=lambda ic: ic[1])[0]] if above else None
    if above:
        first = min(above, key=lambda ic: ic[1])[0]
        results["spikes_at_repetitive_threshold"] = counts[first]
        results["last_spike_at_repetitive_threshold_s"] = responses[first].last_spike
    trace = records[0]["trace"]
    results["spike_peak_mv"] = exact(max(trace["v"]))
    results["reference"] = {
        "single_spike_threshold": HH_SINGLE_SPIKE_THRESHOLD,
        "repetitive_threshold": HH_REPETITIVE_THRESHOLD,
        "onset_rate_hz": HH_ONSET_RATE,
        "rates_hz": {f"{c:g}": r for c, r in HH_REFERENCE_RATES.items()},
    }
    results["rates_at_reference_currents_hz"] = {
        f"{c:g}": rates[currents.index(c)] for c in HH_REFERENCE_RATES if c in currents
    }
    scan = sorted((currents[i], rates[i]) for i, _ in repetitive_scan)
    _hh_figures(run, config, trace, currents[:n_fi], rates[:n_fi], counts[:n_fi], scan, results)
    return results


def _within(value: float, bounds: tuple[float, ...]) -> bool:
    return bounds[0] - 1e-9 <= value <= bounds[1] + 1e-9


def _hh_figures(
    run: Run,
    config: HHConfig,
    trace: dict[str, list[float]],
    currents: list[float],
    rates: list[float],
    counts: list[int],
    scan: list[tuple[float, float]],
    results: dict[str, Any],
) -> None:
    t = torch.arange(1, len(trace["v"]) + 1, dtype=torch.float64) * config.dt * 1e3
    fig, (top, bottom) = subplots(
        2, 1, figsize=(6.4, 4.8), sharex=True, gridspec_kw={"height_ratios": [2, 1]}
    )
    top.plot(t, trace["v"], color="k")
    top.set(ylabel="V (mV)", title=f"action potentials, I = {config.trace_current:g} uA/cm2")
    for name, colour in (("m", "tab:red"), ("h", "tab:blue"), ("n", "tab:green")):
        bottom.plot(t, trace[name], color=colour, label=name)
    bottom.set(xlabel="time (ms)", ylabel="gate open")
    bottom.legend(fontsize=10, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    run.save_figure(
        fig,
        "action_potential",
        "Membrane potential and gating variables of the Hodgkin-Huxley model (RK4, "
        f"dt = {config.dt * 1e3:g} ms) from rest after a current step of "
        f"{config.trace_current:g} uA/cm2.",
    )

    fig, ax = subplots(figsize=(6.4, 3.8))
    ax.plot(currents, rates, "o-", color="k", ms=4, label="this model (steady rate)")
    ax.plot(
        [c for c, _ in scan],
        [r for _, r in scan],
        ".",
        color="tab:blue",
        ms=3,
        label="threshold scan",
    )
    ref = HH_REFERENCE_RATES
    ax.plot(
        list(ref),
        list(ref.values()),
        "s",
        mfc="none",
        color="tab:red",
        ms=8,
        label="reference values",
    )
    if results["repetitive_threshold"] is not None:
        ax.axvline(
            results["repetitive_threshold"],
            color="tab:blue",
            ls=":",
            label=f"repetitive firing from {results['repetitive_threshold']:.2f}",
        )
    ax.set(
        xlabel="current (uA/cm2)",
        ylabel="firing rate (Hz)",
        title="f-I curve of the Hodgkin-Huxley model",
    )
    ax.legend(fontsize=10)
    fig.tight_layout()
    run.save_figure(
        fig,
        "f_i_curve",
        "Steady firing rate (from the interspike intervals of the second half of a "
        f"{config.duration:g} s current step) against the current: a type II neuron, silent "
        "or firing a single spike below the threshold for repetitive firing, then jumping "
        "to about 50 Hz. Spike counts: "
        + ", ".join(f"{n} at {c:g} uA/cm2" for c, n in zip(currents, counts, strict=True))
        + ".",
    )


def _hh_description(config: HHConfig) -> str:
    p = config.neuron
    return (
        f"The Hodgkin & Huxley (1952) squid axon (g_Na {p.g_na:g}, g_K {p.g_k:g}, g_L "
        f"{p.g_l:g} mS/cm2; E_Na {p.e_na:g}, E_K {p.e_k:g}, E_L {p.e_l:g} mV; rest at -65 "
        "mV with Hodgkin & Huxley's values) integrated with RK4 at dt = "
        f"{1e3 * config.dt:g} ms from rest under current steps of {config.duration:g} s: "
        f"{len(config.currents)} currents from {min(config.currents):g} to "
        f"{max(config.currents):g} uA/cm2 for the f-I curve, and scans in steps of "
        f"{config.fine_step:g} uA/cm2 over {config.single_range[0]:g}-"
        f"{config.single_range[1]:g} and {config.repetitive_range[0]:g}-"
        f"{config.repetitive_range[1]:g} uA/cm2 for the thresholds of one spike and of "
        "repetitive firing (still firing in the last quarter of the step). Reference values "
        "(RK4, 1 s steps): one spike from 2.25 uA/cm2, repetitive firing from 6.26 at about "
        "52 Hz, 68 Hz at 9.8, 86 Hz at 20, 116 Hz at 50 uA/cm2."
    )


def _hh_expectations(config: HHConfig) -> list[Expectation]:
    card = "reference card: Hodgkin-Huxley 1952 model, RK4 at 0.01 ms, 1 s steps"
    scan = config.fine_step + 1e-9  # a threshold is found to one step of the scan
    rules = []
    if _within(HH_SINGLE_SPIKE_THRESHOLD, config.single_range):
        rules.append(
            Expectation(
                "single_spike_threshold",
                HH_SINGLE_SPIKE_THRESHOLD,
                card,
                tolerance=scan,
            )
        )
    if _within(HH_REPETITIVE_THRESHOLD, config.repetitive_range):
        rules += [
            Expectation("repetitive_threshold", HH_REPETITIVE_THRESHOLD, card, tolerance=scan),
            Expectation("onset_rate_hz", HH_ONSET_RATE, card, tolerance=5.0),
        ]
    for current, rate in HH_REFERENCE_RATES.items():
        if current in config.currents:
            rules.append(
                Expectation(
                    f"rates_at_reference_currents_hz.{current:g}", rate, card, tolerance=3.0
                )
            )
    if config.currents[0] == 0:
        rules.append(
            Expectation(
                "resting_potential_mv",
                -65.0,
                "theory: E_L = -54.387 mV puts the resting potential at -65 mV",
                tolerance=0.1,
            )
        )
    return rules


HODGKIN_HUXLEY = Recipe(
    name="hodgkin-huxley",
    summary="Hodgkin-Huxley: action potential, f-I curve and the current thresholds",
    topic=TOPIC,
    description=_hh_description,
    config_type=HHConfig,
    run=run_hodgkin_huxley,
    expectations=_hh_expectations,
    tour={
        "duration": 0.2,
        "epochs": 2,
        "currents": (0.0, 2.0, 4.0, 6.0, 7.0, 9.8, 15.0, 20.0, 30.0, 50.0),
        "fine_step": 0.02,
    },
)
