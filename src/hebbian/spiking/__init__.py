"""Spiking neurons and spike-timing-dependent plasticity, batched and device-agnostic.

* :mod:`hebbian.spiking.neurons`: leaky integrate-and-fire (exact exponential
  integration, refractory period, current- or conductance-based synapses) and
  Hodgkin-Huxley (1952 squid axon, RK4);
* :mod:`hebbian.spiking.inputs`: Poisson spike trains, dense, as events, or from a
  counter-based hash;
* :mod:`hebbian.spiking.stdp`: pair STDP with traces (additive / multiplicative,
  all-to-all / nearest) and the triplet rule of Pfister & Gerstner (2006);
* :mod:`hebbian.spiking.networks`: the time loop :func:`simulate` and a feed-forward
  plastic layer;
* :mod:`hebbian.spiking.song_abbott`: the Song-Abbott network with an exact
  event-driven simulator, and the weight distribution it learns;
* :mod:`hebbian.spiking.diehl_cook`: the network of Diehl & Cook (2015) that learns
  images without labels, and :mod:`hebbian.spiking.voting`, its neurons' labels and
  vote (import them from their modules);
* :mod:`hebbian.spiking.protocols`: pairing protocols driven event to event, fits of
  the STDP window, Hodgkin-Huxley current steps and their steady rates (f-I curves).

Every model has a frozen parameter dataclass, a NamedTuple state and a pure step
function ``step(state, params, dt, ...) -> (state, spikes)``. Time is in seconds and
potentials in mV throughout.

>>> from hebbian.spiking import LIFParameters, lif_rate
>>> round(lif_rate(LIFParameters(refractory=0.0), 20.0), 1)
72.1
"""

from hebbian.spiking.inputs import (
    counter_poisson_spikes,
    poisson_events,
    poisson_spikes,
    spike_thresholds,
)
from hebbian.spiking.networks import FeedforwardState, Recording, feedforward_stdp_step, simulate
from hebbian.spiking.neurons import (
    HHParameters,
    HHState,
    LIFParameters,
    LIFState,
    Synapses,
    hh_gate_rates,
    hh_state,
    hh_step,
    lif_rate,
    lif_state,
    lif_step,
)
from hebbian.spiking.protocols import (
    CurrentStepSegment,
    StdpStep,
    StepResponse,
    WindowFit,
    fit_stdp_window,
    hh_current_steps,
    hh_current_steps_bytes,
    isolated_pairs_change,
    log_linear_fit,
    pairing_protocol_bytes,
    pairing_spike_ticks,
    pairing_weight_changes,
    run_pairing_protocols,
    steady_rate,
    step_responses,
)
from hebbian.spiking.song_abbott import (
    WEIGHT_BINS,
    SongAbbottParameters,
    SongAbbottRaster,
    SongAbbottRecord,
    SongAbbottState,
    WeightDistribution,
    output_rates,
    record_raster,
    song_abbott_memory_bytes,
    song_abbott_run,
    song_abbott_state,
    weight_distribution,
)
from hebbian.spiking.stdp import (
    Bounds,
    Pairing,
    PairSTDPParameters,
    PairTraces,
    TripletSTDPParameters,
    TripletTraces,
    bump_trace,
    clip_weights,
    pair_depression,
    pair_potentiation,
    pair_stdp_step,
    pair_traces,
    pair_window,
    triplet_depression,
    triplet_potentiation,
    triplet_stdp_step,
    triplet_traces,
)

__all__ = [
    "WEIGHT_BINS",
    "Bounds",
    "CurrentStepSegment",
    "FeedforwardState",
    "HHParameters",
    "HHState",
    "LIFParameters",
    "LIFState",
    "PairSTDPParameters",
    "PairTraces",
    "Pairing",
    "Recording",
    "SongAbbottParameters",
    "SongAbbottRaster",
    "SongAbbottRecord",
    "SongAbbottState",
    "StdpStep",
    "StepResponse",
    "Synapses",
    "TripletSTDPParameters",
    "TripletTraces",
    "WeightDistribution",
    "WindowFit",
    "bump_trace",
    "clip_weights",
    "counter_poisson_spikes",
    "feedforward_stdp_step",
    "fit_stdp_window",
    "hh_current_steps",
    "hh_current_steps_bytes",
    "hh_gate_rates",
    "hh_state",
    "hh_step",
    "isolated_pairs_change",
    "lif_rate",
    "lif_state",
    "lif_step",
    "log_linear_fit",
    "output_rates",
    "pair_depression",
    "pair_potentiation",
    "pair_stdp_step",
    "pair_traces",
    "pair_window",
    "pairing_protocol_bytes",
    "pairing_spike_ticks",
    "pairing_weight_changes",
    "poisson_events",
    "poisson_spikes",
    "record_raster",
    "run_pairing_protocols",
    "simulate",
    "song_abbott_memory_bytes",
    "song_abbott_run",
    "song_abbott_state",
    "spike_thresholds",
    "steady_rate",
    "step_responses",
    "triplet_depression",
    "triplet_potentiation",
    "triplet_stdp_step",
    "triplet_traces",
    "weight_distribution",
]
