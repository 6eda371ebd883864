"""The ``song-abbott`` recipe: Song, Miller & Abbott (2000).

1000 Poisson inputs onto one conductance-based LIF neuron with additive STDP; the
weights become bimodal and the output rate is regulated. The network, its simulator and
the measurements live in :mod:`hebbian.spiking.song_abbott`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from hebbian._checks import check_memory, check_positive, check_positive_int
from hebbian._random import seeds, uniform
from hebbian.experiments.base import Expectation, Recipe
from hebbian.experiments.spiking._shared import TOPIC, epoch_steps, whole_steps
from hebbian.report.figures import subplots
from hebbian.runs import EpochResult, Run
from hebbian.spiking.song_abbott import (
    WEIGHT_BINS,
    SongAbbottParameters,
    SongAbbottState,
    output_rates,
    record_raster,
    song_abbott_memory_bytes,
    song_abbott_run,
    song_abbott_state,
    weight_distribution,
)

__all__ = ["SONG_ABBOTT", "SongAbbottConfig", "run_song_abbott"]


@dataclass(frozen=True)
class SongAbbottConfig:
    """Settings of the Song-Abbott recipe (Brian2's example parameters by default).

    Attributes
    ----------
    network : SongAbbottParameters
        The network simulated (settings ``network.n_inputs``, ``network.neuron.tau_m``,
        ``network.stdp.a_plus``, ``network.stdp.w_max`` ...); ``network.stdp.w_max`` is
        g_max, the maximum weight (conductance relative to the leak).
    input_rates : tuple of float
        One network per input rate (Hz), simulated together; the first is the one
        whose weights and raster are drawn (15 Hz: Brian2's example).
    duration, epochs : float, int
        Simulated seconds, split into epochs (logged and checkpointed).
    dt : float
        Time step (s).
    probe : float
        Seconds simulated with frozen initial weights to measure the rate before learning.
    raster_inputs, raster_duration : int, float
        Inputs and seconds shown in the raster (start and end of the run).
    window : int
        Steps per window of the event-driven simulator (speed only).
    """

    network: SongAbbottParameters = field(default_factory=SongAbbottParameters)
    input_rates: tuple[float, ...] = (15.0, 20.0, 25.0, 30.0)
    duration: float = 300.0
    epochs: int = 30
    dt: float = 1e-4
    probe: float = 2.0
    raster_inputs: int = 50
    raster_duration: float = 1.0
    window: int = 400

    def __post_init__(self) -> None:
        if not isinstance(self.network, SongAbbottParameters):
            raise TypeError(
                f"network must be SongAbbottParameters, got {type(self.network).__name__}"
            )
        if not isinstance(self.input_rates, tuple) or not self.input_rates:
            raise TypeError(f"input_rates must be a non-empty tuple, got {self.input_rates!r}")
        for rate in self.input_rates:
            check_positive("input_rates[i]", rate)
        for name in ("duration", "dt", "probe", "raster_duration"):
            check_positive(name, getattr(self, name))
        check_positive_int("epochs", self.epochs)
        check_positive_int("raster_inputs", self.raster_inputs)
        check_positive_int("window", self.window)
        n_inputs = self.network.n_inputs
        if self.raster_inputs > n_inputs:
            raise ValueError(f"raster_inputs must be <= network.n_inputs, got {self.raster_inputs}")
        if max(self.input_rates) * self.dt > 1:
            raise ValueError(
                f"input_rates * dt must be <= 1 (a spike probability per step), got "
                f"max(input_rates) = {max(self.input_rates):g} Hz and dt = {self.dt:g} s"
            )
        epoch_steps(self.duration, self.epochs, self.dt)
        whole_steps("probe", self.probe, "dt", self.dt)
        whole_steps("raster_duration", self.raster_duration, "dt", self.dt)
        if self.raster_duration > self.duration / self.epochs:
            raise ValueError(
                f"raster_duration must not exceed one epoch, got raster_duration = "
                f"{self.raster_duration:g} s and duration / epochs = "
                f"{self.duration / self.epochs:g} s"
            )
        check_memory(
            f"network.n_inputs={n_inputs}, {len(self.input_rates)} input rates, window="
            f"{self.window} (the networks' weights, traces and input events)",
            song_abbott_memory_bytes(self.network, self.input_rates, self.dt, window=self.window),
        )

    @property
    def steps_per_epoch(self) -> int:
        """Steps in one epoch."""
        return round(self.duration / self.epochs / self.dt)


def _weight_metrics(weight: torch.Tensor, g_max: float) -> dict[str, list[float]]:
    """Per network: the weight histogram and bimodality, as lists for the run's log."""
    return {
        name: value.tolist() for name, value in weight_distribution(weight, g_max)._asdict().items()
    }


def run_song_abbott(config: SongAbbottConfig, run: Run) -> dict[str, Any]:
    """Train B Song-Abbott networks (one per input rate) with additive STDP."""
    params = config.network
    g_max = params.stdp.w_max
    batch = len(config.input_rates)
    rates = list(config.input_rates)
    weight = uniform((batch, params.n_inputs), run.generator)  # float64
    first = song_abbott_state(params, (weight * g_max).to(run.device), seeds(batch, run.generator))
    steps = config.steps_per_epoch
    raster_steps = round(config.raster_duration / config.dt)

    def train_epoch(epoch: int, tensors: dict[str, torch.Tensor]) -> EpochResult:
        state = SongAbbottState(**tensors)
        metrics: dict[str, Any] = {}
        if epoch == 1:  # the rate before learning: same weights, plasticity off
            probe = song_abbott_state(params, state.weight, seeds(batch, run.generator))
            probe_steps = round(config.probe / config.dt)
            _, record = song_abbott_run(
                probe,
                params.without_plasticity(),
                rates,
                probe_steps,
                config.dt,
                window=config.window,
            )
            metrics["initial_rate"] = output_rates(record, batch, config.probe).tolist()
        raster = config.raster_inputs if epoch in (1, config.epochs) else 0
        state, record = song_abbott_run(
            state, params, rates, steps, config.dt, window=config.window, record_inputs=raster
        )
        metrics["rate"] = output_rates(record, batch, steps * config.dt).tolist()
        metrics.update(_weight_metrics(state.weight, g_max))
        if raster:
            start = int(state.step[0]) - steps  # first step of this epoch
            spikes = record_raster(record, start, raster_steps)  # of the first network
            metrics["raster"] = {
                "start_step": start,
                **{k: v.tolist() for k, v in spikes._asdict().items()},
            }
        return dict(state._asdict()), metrics

    final = run.run_epochs(config.epochs, dict(first._asdict()), train_epoch, desc=run.recipe)
    records = run.metrics()
    summary = _weight_metrics(final["weight"], g_max)
    initial_rate = records[0]["initial_rate"]
    final_rate = records[-1]["rate"]
    _song_abbott_figures(run, records, config)
    per_rate = {
        f"{rate:g}Hz": {
            "initial_rate_hz": initial_rate[b],
            "final_rate_hz": final_rate[b],
            "fraction_near_zero": summary["fraction_near_zero"][b],
            "fraction_near_max": summary["fraction_near_max"][b],
            "end_to_middle_ratio": summary["end_to_middle_ratio"][b],
        }
        for b, rate in enumerate(rates)
    }
    return {
        "input_rates_hz": rates,
        "initial_rate_hz": initial_rate,
        "final_rate_hz": final_rate,
        "final_rate_spread_hz": max(final_rate) - min(final_rate),
        "initial_rate_spread_hz": max(initial_rate) - min(initial_rate),
        "final_to_initial_rate_spread": (max(final_rate) - min(final_rate))
        / max(max(initial_rate) - min(initial_rate), 1e-12),
        "fraction_near_zero": summary["fraction_near_zero"][0],
        "fraction_near_max": summary["fraction_near_max"][0],
        "fraction_at_extremes": summary["fraction_near_zero"][0] + summary["fraction_near_max"][0],
        "end_to_middle_ratio": summary["end_to_middle_ratio"][0],
        "per_input_rate": per_rate,
        "simulated_seconds": config.duration,
    }


def _song_abbott_figures(run: Run, records: list[dict[str, Any]], config: SongAbbottConfig) -> None:
    rates = config.input_rates
    seconds = config.duration / config.epochs
    times = [(r["step"] - 0.5) * seconds for r in records]  # epoch midpoints
    hist = torch.tensor([r["histogram"][0] for r in records])  # (epochs, bins)
    edges = torch.linspace(0, 1, WEIGHT_BINS + 1)

    fig, (left, right) = subplots(1, 2, figsize=(10, 3.6))
    image = left.imshow(
        hist.T.numpy(),
        origin="lower",
        aspect="auto",
        cmap="viridis",
        extent=(0, config.duration, 0, 1),
    )
    fig.colorbar(image, ax=left, label="fraction of synapses")
    left.set(
        xlabel="time (s)", ylabel="w / g_max", title=f"weights over time ({rates[0]:g} Hz inputs)"
    )
    centres = ((edges[:-1] + edges[1:]) / 2).numpy()
    right.bar(
        centres,
        torch.full((WEIGHT_BINS,), 1 / WEIGHT_BINS).numpy(),
        width=1 / WEIGHT_BINS,
        color="0.85",
        label="start (uniform)",
    )
    for b, rate in enumerate(rates):
        right.step(
            centres, records[-1]["histogram"][b], where="mid", label=f"inputs at {rate:g} Hz"
        )
    right.set(
        xlabel="w / g_max", ylabel="fraction of synapses", title=f"after {config.duration:g} s"
    )
    right.legend(fontsize=10)
    fig.tight_layout()
    run.save_figure(
        fig,
        "weights",
        "Left: histogram of the weights of the first network over time (20 bins). Right: "
        "final histograms for each input rate, against the uniform start. Additive STDP "
        "pushes the weights to the bounds: the distribution becomes bimodal.",
    )

    fig, ax = subplots(figsize=(6.4, 3.6))
    for b, rate in enumerate(rates):
        line = ax.plot(times, [r["rate"][b] for r in records], label=f"inputs at {rate:g} Hz")
        ax.plot([0], [records[0]["initial_rate"][b]], "o", color=line[0].get_color())
    ax.set(
        xlabel="time (s)",
        ylabel="output rate (Hz)",
        title="output rate per epoch (dots: before learning)",
    )
    if any(rate > 0 for r in records for rate in r["rate"]):
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 3.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.legend(fontsize=10)
    fig.tight_layout()
    run.save_figure(
        fig,
        "output_rate",
        "Output rate of each network per epoch; the dots at t = 0 are the rates with the "
        "initial weights frozen. STDP regulates the output: networks whose inputs differ "
        "twofold in rate end up firing at similar rates.",
    )

    rasters = [(records[0], "start"), (records[-1], "end")]
    fig, axes = subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, (record, label) in zip(axes, rasters, strict=True):
        raster = record["raster"]
        t_in = torch.tensor(raster["input_step"], dtype=torch.float64) * config.dt
        ax.plot(t_in, raster["input_index"], "|", ms=3, color="0.3")
        t_post = torch.tensor(raster["post_step"], dtype=torch.float64) * config.dt
        ax.plot(t_post, [config.raster_inputs + 2] * len(t_post), "|", ms=9, color="tab:red")
        start = raster["start_step"] * config.dt
        ax.set(xlabel=f"time since {start:g} s (s)", title=f"{label} of the run")
    axes[0].set_ylabel(f"input (0-{config.raster_inputs - 1}); red: output")
    fig.tight_layout()
    run.save_figure(
        fig,
        "raster",
        f"Raster of the first {config.raster_inputs} Poisson inputs ({rates[0]:g} Hz) and of "
        "the output neuron (red, top row) at the start and at the end of the run.",
    )


def _song_abbott_description(config: SongAbbottConfig) -> str:
    rates = ", ".join(f"{r:g}" for r in config.input_rates)
    network = config.network
    neuron, rule = network.neuron, network.stdp
    return (
        f"Song, Miller & Abbott (2000) with the parameters of Brian2's example: "
        f"{network.n_inputs} Poisson excitatory inputs onto one conductance-based LIF "
        f"neuron (tau_m {1e3 * neuron.tau_m:g} ms, E_L {neuron.v_rest:g}, V_th "
        f"{neuron.v_threshold:g}, V_reset {neuron.v_reset:g} mV, E_e {neuron.e_exc:g} mV, "
        f"tau_e {1e3 * neuron.tau_exc:g} ms), additive all-to-all STDP with hard bounds "
        f"[0, g_max = {rule.w_max:g}], A+ = {rule.a_plus / rule.w_max:g} g_max, A- = "
        f"{rule.a_minus / rule.a_plus:g} A+, tau+ = "
        f"{1e3 * rule.tau_plus:g} ms, tau- = {1e3 * rule.tau_minus:g} ms, dt = "
        f"{1e3 * config.dt:g} ms, {config.duration:g} s simulated, one network per input "
        f"rate ({rates} Hz), weights uniform on [0, g_max] at the start. Theory: the weights "
        "split towards 0 and g_max (bimodal) and the output rate becomes nearly "
        "independent of the input rate."
    )


def _song_abbott_expectations(config: SongAbbottConfig) -> list[Expectation]:
    paper = "paper: Song, Miller & Abbott 2000"
    rules = [
        # a uniform start has 20% of the weights within 10% of a bound and ratio 1
        Expectation(
            "fraction_at_extremes",
            0.3,
            f"{paper}, Fig. 1: the weights go to the bounds (uniform: 0.2)",
            relation="at_least",
        ),
        Expectation(
            "end_to_middle_ratio",
            1.5,
            f"{paper}, Fig. 1: bimodal weights (uniform: 1)",
            relation="at_least",
        ),
    ]
    if len(config.input_rates) > 1:
        rules.append(
            Expectation(
                "final_to_initial_rate_spread",
                0.25,
                f"{paper}, Fig. 2: the output rate becomes nearly independent of the input rate",
                relation="at_most",
            )
        )
    return rules


SONG_ABBOTT = Recipe(
    name="song-abbott",
    summary="Song-Abbott: additive STDP makes weights bimodal and regulates the output rate",
    topic=TOPIC,
    description=_song_abbott_description,
    config_type=SongAbbottConfig,
    run=run_song_abbott,
    expectations=_song_abbott_expectations,
    tour={"input_rates": (15.0, 30.0), "duration": 60.0, "epochs": 6, "probe": 1.0},
)
