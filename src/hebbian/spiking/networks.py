r"""Time loops and classic STDP networks.

* :func:`simulate`: the generic time loop. It calls any step function
  ``step(state, **inputs_t) -> (state, spikes)`` for a number of steps, feeding it one
  time slice of each input, and records the spikes and any state fields asked for.
* :func:`feedforward_stdp_step`: one step of ``N_pre`` inputs projecting through
  plastic synapses onto ``N_post`` LIF neurons (:func:`~hebbian.spiking.neurons.lif_step`
  + :func:`~hebbian.spiking.stdp.pair_stdp_step`), in Brian2's order: state update,
  threshold, ``on_pre`` (synaptic input with the old weight, depression), ``on_post``
  (potentiation), reset.
* :func:`song_abbott_run`: the network of Song, Miller & Abbott (2000), many Poisson
  inputs onto one conductance-based LIF neuron with additive STDP, for many independent
  networks at once, with an event-driven algorithm that is exact (it computes the same
  trajectory as stepping :func:`feedforward_stdp_step`, up to rounding) and fast enough
  for 10^6 steps of 1000 synapses.

Units: time in seconds, potentials in mV, rates in Hz, conductances relative to the
leak conductance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

import torch

from hebbian._checks import check_floating_tensor, check_positive_int
from hebbian.spiking._common import check_dt, check_spikes, fast_exp
from hebbian.spiking.inputs import poisson_events
from hebbian.spiking.neurons import LIFParameters, LIFState, Synapses, lif_step
from hebbian.spiking.stdp import (
    Bounds,
    Pairing,
    PairSTDPParameters,
    PairTraces,
    pair_stdp_step,
)

__all__ = [
    "FeedforwardState",
    "Recording",
    "SongAbbottParameters",
    "SongAbbottRecord",
    "SongAbbottState",
    "feedforward_stdp_step",
    "simulate",
    "song_abbott_run",
    "song_abbott_state",
]


# ======================================================================================
# the generic time loop
# ======================================================================================


class Recording(NamedTuple):
    """What :func:`simulate` recorded.

    Attributes
    ----------
    spikes : Tensor of bool, shape (steps, *S)
        The spikes returned by every step.
    values : dict of str to Tensor
        For each recorded state field, its value after every ``every``-th step,
        stacked: shape ``(steps // every, *field shape)``.
    """

    spikes: torch.Tensor
    values: dict[str, torch.Tensor]


def simulate(
    step: Callable[..., tuple[Any, torch.Tensor]],
    state: Any,
    steps: int,
    *,
    inputs: Mapping[str, torch.Tensor] | None = None,
    record: Sequence[str] = (),
    every: int = 1,
) -> tuple[Any, Recording]:
    """Run ``step`` for ``steps`` time steps and record what was asked for.

    At step ``t`` the loop calls ``state, spikes = step(state, **{k: v[t] for k, v in
    inputs.items()})``. Bind the parameters and ``dt`` with :func:`functools.partial`
    (which keeps the step picklable), e.g. ``partial(lif_step, params=p, dt=1e-4)``.

    Parameters
    ----------
    step : callable
        ``step(state, **inputs_t) -> (state, spikes)``.
    state : NamedTuple
        The initial state (e.g. :class:`~hebbian.spiking.neurons.LIFState`).
    steps : int
        Number of steps.
    inputs : mapping of str to Tensor, optional
        Keyword inputs of ``step``, each with time as its first dimension (at least
        ``steps`` long).
    record : sequence of str
        State fields to record (e.g. ``("v",)``).
    every : int
        Record the fields after every ``every``-th step (spikes are kept at every step).

    Returns
    -------
    state
        The final state.
    Recording
        The spikes ``(steps, *S)`` and the recorded fields.

    Examples
    --------
    >>> from functools import partial
    >>> from hebbian.spiking.neurons import LIFParameters, lif_state, lif_step
    >>> params = LIFParameters()
    >>> drive = torch.full((1000, 2, 1), 20.0, dtype=torch.float64)  # (steps, B, N)
    >>> state, rec = simulate(partial(lif_step, params=params, dt=1e-4),
    ...                       lif_state(2, 1, params), 1000,
    ...                       inputs={"current": drive}, record=("v",), every=10)
    >>> rec.spikes.shape, rec.values["v"].shape, int(rec.spikes.sum())
    (torch.Size([1000, 2, 1]), torch.Size([100, 2, 1]), 12)
    """
    if not callable(step):
        raise TypeError(f"step must be callable, got {type(step).__name__}")
    steps = check_positive_int("steps", steps)
    every = check_positive_int("every", every)
    inputs = dict(inputs or {})
    for name, series in inputs.items():
        if not isinstance(series, torch.Tensor):
            raise TypeError(f"inputs[{name!r}] must be a torch.Tensor, got {type(series)}")
        if series.ndim == 0 or series.shape[0] < steps:
            raise ValueError(
                f"inputs[{name!r}] must have at least steps={steps} time slices in its first "
                f"dimension, got shape {tuple(series.shape)}"
            )
    fields = getattr(state, "_fields", None)
    if fields is None:
        raise TypeError(f"state must be a NamedTuple of tensors, got {type(state).__name__}")
    for name in record:
        if name not in fields:
            raise ValueError(f"record names unknown state field {name!r}; fields: {fields}")
    spikes: list[torch.Tensor] = []
    values: dict[str, list[torch.Tensor]] = {name: [] for name in record}
    for t in range(steps):
        state, fired = step(state, **{name: series[t] for name, series in inputs.items()})
        spikes.append(fired)
        if (t + 1) % every == 0:
            for name in record:
                values[name].append(getattr(state, name))
    stacked = {name: torch.stack(v) if v else torch.empty(0) for name, v in values.items()}
    return state, Recording(torch.stack(spikes), stacked)


# ======================================================================================
# feed-forward plastic network, step by step
# ======================================================================================


class FeedforwardState(NamedTuple):
    """State of B networks of inputs projecting onto LIF neurons through plastic synapses.

    Attributes
    ----------
    neuron : LIFState
        Fields of shape (B, N_post).
    weight : Tensor, shape (B, N_post, N_pre)
        Excitatory weights (mV for current-based synapses, conductance relative to the
        leak for conductance-based ones).
    traces : PairTraces
        STDP traces, (B, N_pre) and (B, N_post).
    """

    neuron: LIFState
    weight: torch.Tensor
    traces: PairTraces


def feedforward_stdp_step(
    state: FeedforwardState,
    pre_spikes: torch.Tensor,
    *,
    neuron: LIFParameters,
    stdp: PairSTDPParameters,
    dt: float,
) -> tuple[FeedforwardState, torch.Tensor]:
    r"""One step of a feed-forward layer of LIF neurons with pair STDP on its inputs.

    In Brian2's order: the neurons integrate and test the threshold
    (:func:`~hebbian.spiking.neurons.lif_step`); the presynaptic spikes deliver
    :math:`\sum_j w_{ij} s_j` to the excitatory synaptic variable with the weights of
    the start of the step; then :func:`~hebbian.spiking.stdp.pair_stdp_step` applies
    depression (pre) and potentiation (post). The sum adds its terms
    :math:`w_{ij} s_j` in ascending order of value, one after the other, on every
    machine and thread count and whatever the order of the inputs, so the spike trains
    are the same everywhere (a matrix product's summation order is the BLAS library's)
    and do not change when the inputs are permuted.

    Parameters
    ----------
    state : FeedforwardState
    pre_spikes : Tensor, shape (B, N_pre)
        Input spikes in this step (bool or 0/1).
    neuron : LIFParameters
    stdp : PairSTDPParameters
    dt : float
        Time step (s).

    Returns
    -------
    state : FeedforwardState
    spikes : Tensor of bool, shape (B, N_post)

    Examples
    --------
    >>> from hebbian.spiking.neurons import lif_state
    >>> from hebbian.spiking.stdp import pair_traces
    >>> params, rule = LIFParameters(), PairSTDPParameters(w_max=20.0)
    >>> state = FeedforwardState(lif_state(1, 1, params), torch.full((1, 1, 2), 20.0),
    ...                          pair_traces(1, 2, 1))
    >>> state = state._replace(weight=state.weight.double())
    >>> pre = torch.tensor([[True, True]])
    >>> state, fired = feedforward_stdp_step(state, pre, neuron=params, stdp=rule, dt=1e-4)
    >>> state.neuron.exc.tolist()  # both inputs delivered 20 mV of synaptic current
    [[40.0]]
    """
    if not isinstance(state, FeedforwardState):
        raise TypeError(f"state must be a FeedforwardState, got {type(state).__name__}")
    weight = check_floating_tensor("state.weight", state.weight, ndim=3)
    batch, _, n_pre = weight.shape
    pre = check_spikes("pre_spikes", pre_spikes, (batch, n_pre), weight)
    # sum_j w_ij s_j of the terms in ascending order (sorted, then a cumulative sum, which
    # the CPU computes sequentially along a row), not by BLAS: on the CPU the drive, and so
    # every threshold crossing, is then the same whatever the library, its vector width,
    # the number of threads or the inputs' order (CUDA's cumsum is a parallel scan whose
    # rounding may differ from the CPU's)
    terms = torch.sort(weight * pre.unsqueeze(1), dim=2).values  # (B, N_post, N_pre)
    drive = torch.cumsum(terms, dim=2)[..., -1]  # (B, N_post), with the old weights
    neurons, post = lif_step(state.neuron, neuron, dt, exc=drive)
    weight, traces = pair_stdp_step(weight, state.traces, pre, post, stdp, dt)
    return FeedforwardState(neurons, weight, traces), post


# ======================================================================================
# Song, Miller & Abbott (2000), event-driven
# ======================================================================================


def _brian2_neuron() -> LIFParameters:
    return LIFParameters(
        tau_m=10e-3,
        v_rest=-74.0,
        v_threshold=-54.0,
        v_reset=-60.0,
        refractory=0.0,
        synapses=Synapses.CONDUCTANCE,
        tau_exc=5e-3,
        e_exc=0.0,
    )


def _brian2_stdp() -> PairSTDPParameters:
    g_max = 0.01
    return PairSTDPParameters(
        a_plus=0.01 * g_max,
        a_minus=0.01 * g_max * 1.05,
        tau_plus=20e-3,
        tau_minus=20e-3,
        w_min=0.0,
        w_max=g_max,
        bounds=Bounds.HARD,
        pairing=Pairing.ALL_TO_ALL,
    )


@dataclass(frozen=True)
class SongAbbottParameters:
    r"""The Song-Abbott network: Poisson inputs onto one conductance-based LIF neuron.

    .. math::

        \tau_m \frac{dV}{dt} = -(V - E_L) - g (V - E_e), \qquad
        \tau_e \frac{dg}{dt} = -g, \qquad g \leftarrow g + w_j \text{ at a spike of input } j,

    with additive, all-to-all pair STDP on every :math:`w_j \in [0, g_\max]` (Song,
    Miller & Abbott 2000, Nat. Neurosci. 3:919). The defaults are those of Brian2's
    example ``examples/synapses/STDP.py``: 1000 inputs, :math:`\tau_m` = 10 ms,
    :math:`E_L` = -74, :math:`V_{th}` = -54, :math:`V_{reset}` = -60, :math:`E_e` = 0 mV,
    :math:`\tau_e` = 5 ms, :math:`g_\max` = 0.01, :math:`A_+ = 0.01 g_\max`,
    :math:`A_- = 1.05 A_+`, :math:`\tau_\pm` = 20 ms.

    Attributes
    ----------
    n_inputs : int
        Number of excitatory Poisson inputs.
    neuron : LIFParameters
        Must be conductance-based without a refractory period (the event-driven
        algorithm of :func:`song_abbott_run` relies on both).
    stdp : PairSTDPParameters
        Must be additive (``Bounds.HARD``) with all-to-all pairing and ``w_min = 0``.

    Examples
    --------
    >>> SongAbbottParameters().stdp.w_max
    0.01
    """

    n_inputs: int = 1000
    neuron: LIFParameters = field(default_factory=_brian2_neuron)
    stdp: PairSTDPParameters = field(default_factory=_brian2_stdp)

    def __post_init__(self) -> None:
        check_positive_int("n_inputs", self.n_inputs)
        if not isinstance(self.neuron, LIFParameters):
            raise TypeError(f"neuron must be LIFParameters, got {type(self.neuron).__name__}")
        if not isinstance(self.stdp, PairSTDPParameters):
            raise TypeError(f"stdp must be PairSTDPParameters, got {type(self.stdp).__name__}")
        if self.neuron.synapses is not Synapses.CONDUCTANCE or self.neuron.refractory != 0:
            raise ValueError(
                "neuron must be conductance-based with refractory=0 for the event-driven "
                f"algorithm, got synapses={self.neuron.synapses}, "
                f"refractory={self.neuron.refractory}"
            )
        if (
            self.stdp.bounds is not Bounds.HARD
            or self.stdp.pairing is not Pairing.ALL_TO_ALL
            or self.stdp.w_min != 0.0
            or not math.isfinite(self.stdp.w_max)
        ):
            raise ValueError(
                "stdp must be additive (Bounds.HARD) with all-to-all pairing, w_min=0 and a "
                f"finite w_max, got {self.stdp}"
            )


class SongAbbottState(NamedTuple):
    """State of B independent Song-Abbott networks (float64).

    Attributes
    ----------
    v : Tensor, shape (B,)
        Membrane potential (mV).
    g : Tensor, shape (B,)
        Excitatory conductance (relative to the leak).
    weight : Tensor, shape (B, N)
        Synaptic weights, in ``[0, w_max]``.
    pre_trace : Tensor, shape (B, N)
        Presynaptic STDP traces (jump 1 per spike, decay with ``tau_plus``).
    post_trace : Tensor, shape (B,)
        Postsynaptic STDP trace (jump 1 per spike, decay with ``tau_minus``).
    rng : Tensor of uint8, shape (B, K), on the CPU
        The state of each network's own input generator (``torch.Generator.get_state``),
        so that a network's inputs do not depend on the other networks in the batch.
        Inputs are drawn on the CPU and moved to the weights' device.
    step : Tensor of int64, shape (B,)
        Steps simulated so far.
    """

    v: torch.Tensor
    g: torch.Tensor
    weight: torch.Tensor
    pre_trace: torch.Tensor
    post_trace: torch.Tensor
    rng: torch.Tensor
    step: torch.Tensor


class SongAbbottRecord(NamedTuple):
    """Spikes produced during one :func:`song_abbott_run` call.

    Attributes
    ----------
    post_network, post_step : Tensor of int64, shape (K,)
        Network index and global step of every output spike, in time order per network.
    input_network, input_step, input_index : Tensor of int64, shape (M,)
        The input spikes of the inputs ``0 .. record_inputs - 1`` (empty when
        ``record_inputs = 0``).
    """

    post_network: torch.Tensor
    post_step: torch.Tensor
    input_network: torch.Tensor
    input_step: torch.Tensor
    input_index: torch.Tensor


def song_abbott_state(
    params: SongAbbottParameters,
    weight: torch.Tensor,
    seeds: Sequence[int] | torch.Tensor,
    *,
    v: float | None = None,
) -> SongAbbottState:
    """Initial state: given weights, ``v = E_L`` (or ``v``), empty traces, seeded inputs.

    Parameters
    ----------
    params : SongAbbottParameters
    weight : Tensor, shape (B, N)
        Initial weights in ``[0, w_max]``; their device is the simulation's.
    seeds : sequence of int or int64 Tensor, shape (B,)
        One seed per network for its own input generator. Simulating a network alone
        with the same seed reproduces it exactly.
    v : float, optional
        Initial membrane potential (mV), default ``params.neuron.v_rest``.

    Examples
    --------
    >>> params = SongAbbottParameters(n_inputs=10)
    >>> state = song_abbott_state(params, torch.full((2, 10), 0.005), [1, 2])
    >>> state.v.tolist(), state.rng.shape[0]
    ([-74.0, -74.0], 2)
    """
    if not isinstance(params, SongAbbottParameters):
        raise TypeError(f"params must be SongAbbottParameters, got {type(params).__name__}")
    weight = check_floating_tensor("weight", weight, shape=(None, params.n_inputs))
    if bool((weight < 0).any()) or bool((weight > params.stdp.w_max).any()):
        raise ValueError(f"weight must lie in [0, w_max={params.stdp.w_max}]")
    batch = weight.shape[0]
    seed_list = [int(s) for s in (seeds.tolist() if isinstance(seeds, torch.Tensor) else seeds)]
    if len(seed_list) != batch:
        raise ValueError(f"seeds must hold one seed per network ({batch}), got {len(seed_list)}")
    rng = torch.stack([torch.Generator().manual_seed(s).get_state() for s in seed_list])
    device, dtype = weight.device, torch.float64
    start = params.neuron.v_rest if v is None else float(v)
    zeros = torch.zeros(batch, device=device, dtype=dtype)
    return SongAbbottState(
        v=zeros + start,
        g=zeros.clone(),
        weight=weight.to(dtype),
        pre_trace=torch.zeros(batch, params.n_inputs, device=device, dtype=dtype),
        post_trace=zeros.clone(),
        rng=rng,
        step=torch.zeros(batch, dtype=torch.int64, device=device),
    )


def _exclusive_cumsum(values: torch.Tensor) -> torch.Tensor:
    """``out[:, n] = sum(values[:, :n])``, shape (B, T + 1) for ``values`` (B, T)."""
    out = torch.zeros(
        values.shape[0], values.shape[1] + 1, dtype=values.dtype, device=values.device
    )
    torch.cumsum(values, dim=1, out=out[:, 1:])
    return out


class _Window(NamedTuple):
    """The input events of one window, padded to E per network and sorted by synapse."""

    step: torch.Tensor  # (B, E) local step of each event, T for padding
    synapse: torch.Tensor  # (B, E) input index, 0 for padding
    valid: torch.Tensor  # (B, E) bool
    segment_start: torch.Tensor  # (B, E) position of the first event of the same synapse


def _window_events(
    steps: torch.Tensor,
    synapses: torch.Tensor,
    starts: torch.Tensor,
    ends: torch.Tensor,
    t0: int,
    length: int,
    n_inputs: int,
) -> _Window:
    """Gather the events of ``[t0, t0 + length)`` from padded block arrays, sort by synapse."""
    batch = steps.shape[0]
    count = int((ends - starts).max()) if batch else 0
    offsets = torch.arange(count, device=steps.device)
    index = starts.unsqueeze(1) + offsets  # (B, E)
    valid = index < ends.unsqueeze(1)
    index = index.clamp_max(steps.shape[1] - 1)
    local = torch.where(valid, steps.gather(1, index) - t0, length)
    synapse = torch.where(valid, synapses.gather(1, index), 0)
    key = torch.where(valid, synapse * (length + 1) + local, n_inputs * (length + 1) + length)
    order = torch.argsort(key, dim=1)
    local, synapse, valid = local.gather(1, order), synapse.gather(1, order), valid.gather(1, order)
    positions = offsets.expand(batch, count)
    first = torch.ones_like(valid)
    first[:, 1:] = synapse[:, 1:] != synapse[:, :-1]
    segment_start = torch.cummax(torch.where(first, positions, 0), dim=1).values
    return _Window(local, synapse, valid, segment_start)


def song_abbott_run(
    state: SongAbbottState,
    params: SongAbbottParameters,
    rates: torch.Tensor | Sequence[float] | float,
    steps: int,
    dt: float,
    *,
    window: int = 400,
    block: int = 5000,
    record_inputs: int = 0,
) -> tuple[SongAbbottState, SongAbbottRecord]:
    r"""Simulate B Song-Abbott networks for ``steps`` steps of ``dt``, event by event.

    The model, per step and in Brian2's order, is exactly that of
    :func:`feedforward_stdp_step` with conductance-based synapses held constant over a
    step (exponential Euler): :math:`V \leftarrow V_\infty + (V - V_\infty)
    e^{-dt(1+g)/\tau_m}`, :math:`g \leftarrow g e^{-dt/\tau_e}`, threshold, then for
    every input spike :math:`g \mathrel{+}= w_j`, :math:`w_j \leftarrow \max(0, w_j -
    A_- y)`, then on an output spike :math:`w \leftarrow \min(w_\max, w + A_+ x)`, reset.

    Instead of stepping, the time axis is cut into windows of ``window`` steps. Between
    two output spikes the weights only fall, by known amounts, at the input spikes, so
    for a whole window at once: the depressions are cumulative sums per synapse, the
    conductance is a linear recurrence :math:`g_{n+1} = g_n e^{-dt/\tau_e} + I_n`
    (solved with a scaled cumulative sum) and so is the membrane,
    :math:`V_{n+1} = a_n V_n + c_n` with :math:`\ln a_n = -dt (1 + g_n)/\tau_m` (solved in
    log space). The first threshold crossing of each network ends its segment; the
    output spike's potentiation and reset are applied and the window is resumed from
    the next step. Input spikes are drawn per network with
    :func:`~hebbian.spiking.inputs.poisson_events` in blocks of ``block`` steps from the
    network's own generator. The result equals stepping
    :func:`feedforward_stdp_step` up to floating-point rounding (float64 throughout).

    Parameters
    ----------
    state : SongAbbottState
        From :func:`song_abbott_state` or a previous call.
    params : SongAbbottParameters
    rates : Tensor of shape (B,), sequence of float or float
        Input rate (Hz) of each network (one rate for all its inputs).
    steps : int
        Number of steps to simulate.
    dt : float
        Time step (s).
    window : int
        Steps per window (speed only; 100-1000 works well).
    block : int
        Steps of input drawn at once per network (memory: about
        ``block * n_inputs * rate * dt`` events per network). The input stream depends
        on how ``steps`` is split into calls and blocks: resuming with the same calls
        reproduces it.
    record_inputs : int
        Also return the spikes of the first ``record_inputs`` inputs (for rasters).

    Returns
    -------
    state : SongAbbottState
    record : SongAbbottRecord
        Output spikes (and the recorded input spikes).

    Examples
    --------
    >>> params = SongAbbottParameters(n_inputs=200)
    >>> w0 = torch.full((2, 200), 0.01)
    >>> state = song_abbott_state(params, w0, seeds=[0, 1])
    >>> state, record = song_abbott_run(state, params, [15.0, 30.0], 10000, 1e-4)
    >>> state.step.tolist(), record.post_step.shape[0] > 0
    ([10000, 10000], True)
    """
    if not isinstance(state, SongAbbottState):
        raise TypeError(f"state must be a SongAbbottState, got {type(state).__name__}")
    if not isinstance(params, SongAbbottParameters):
        raise TypeError(f"params must be SongAbbottParameters, got {type(params).__name__}")
    steps = check_positive_int("steps", steps)
    dt = check_dt(dt)
    window = check_positive_int("window", window)
    block = check_positive_int("block", block)
    record_inputs = check_positive_int("record_inputs", record_inputs, minimum=0)
    weight = check_floating_tensor("state.weight", state.weight, shape=(None, params.n_inputs))
    batch, n_inputs = weight.shape
    device, dtype = weight.device, torch.float64
    if weight.dtype != dtype:
        raise TypeError(f"state tensors must be float64, got {weight.dtype}")
    rate_list = _rates(rates, batch, dt)
    expected_rng = (batch, torch.Generator().get_state().numel())
    if state.rng.dtype != torch.uint8 or tuple(state.rng.shape) != expected_rng:
        raise ValueError(
            f"state.rng must be uint8 generator states of shape {expected_rng}, got "
            f"{state.rng.dtype} {tuple(state.rng.shape)}"
        )

    neuron, rule = params.neuron, params.stdp
    generators = [torch.Generator() for _ in range(batch)]
    for generator, rng_state in zip(generators, state.rng, strict=True):
        generator.set_state(rng_state.detach().cpu().clone())

    v, g = state.v.clone(), state.g.clone()
    weight, x, y = weight.clone(), state.pre_trace.clone(), state.post_trace.clone()
    start_step = int(state.step[0])
    post_records: list[tuple[torch.Tensor, torch.Tensor]] = []
    input_records: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    rows = torch.arange(batch, device=device)

    for block_start in range(0, steps, block):
        length = min(block, steps - block_start)
        # ---- draw this block's input events, network by network
        drawn = [
            poisson_events(rate, n_inputs, length, dt, generator=generator)
            for rate, generator in zip(rate_list, generators, strict=True)
        ]
        width = max(1, max(len(s) for s, _ in drawn))
        block_steps = torch.full((batch, width), length + window, dtype=torch.int64)
        block_syn = torch.zeros((batch, width), dtype=torch.int64)
        for b, (s, j) in enumerate(drawn):
            block_steps[b, : len(s)] = s
            block_syn[b, : len(j)] = j
            if record_inputs:
                keep = j < record_inputs
                k = int(keep.sum())
                input_records.append(
                    (torch.full((k,), b), s[keep] + start_step + block_start, j[keep])
                )
        block_steps, block_syn = block_steps.to(device), block_syn.to(device)

        for t0 in range(0, length, window):
            span = min(window, length - t0)
            bounds = torch.tensor([[t0, t0 + span]], device=device).expand(batch, 2)
            edges = torch.searchsorted(block_steps, bounds.contiguous())  # (B, 2)
            events = _window_events(
                block_steps, block_syn, edges[:, 0], edges[:, 1], t0, span, n_inputs
            )
            v, g, weight, x, y, spikes = _run_window(
                v, g, weight, x, y, events, span, dt, neuron, rule, rows
            )
            for b, s in spikes:
                post_records.append((b, s + start_step + block_start + t0))

    rng = torch.stack([generator.get_state() for generator in generators])
    new_state = SongAbbottState(v, g, weight, x, y, rng, state.step + steps)
    return new_state, _record(post_records, input_records, device)


def _rates(rates: torch.Tensor | Sequence[float] | float, batch: int, dt: float) -> list[float]:
    if isinstance(rates, (int, float)) and not isinstance(rates, bool):
        values = [float(rates)] * batch
    elif isinstance(rates, torch.Tensor):
        values = [float(r) for r in rates.flatten().tolist()]
    else:
        values = [float(r) for r in rates]
    if len(values) != batch:
        raise ValueError(f"rates must hold one rate per network ({batch}), got {len(values)}")
    for r in values:
        if not math.isfinite(r) or r < 0 or r * dt > 1:
            raise ValueError(f"rates must lie in [0, 1/dt = {1 / dt:g}] Hz, got {r!r}")
    return values


def _record(
    post: list[tuple[torch.Tensor, torch.Tensor]],
    inputs: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
    device: torch.device,
) -> SongAbbottRecord:
    empty = torch.zeros(0, dtype=torch.int64, device=device)
    post_network = torch.cat([b for b, _ in post]) if post else empty
    post_step = torch.cat([s for _, s in post]) if post else empty
    if post:  # windows are visited in time order; sort by network, keeping time order
        order = torch.sort(post_network, stable=True).indices
        post_network, post_step = post_network[order], post_step[order]
    if inputs:
        input_network, input_step, input_index = (
            torch.cat([r[i] for r in inputs]).to(device) for i in range(3)
        )
        order = torch.sort(input_network, stable=True).indices
        input_network, input_step = input_network[order], input_step[order]
        input_index = input_index[order]
    else:
        input_network, input_step, input_index = empty, empty.clone(), empty.clone()
    return SongAbbottRecord(post_network, post_step, input_network, input_step, input_index)


def _run_window(
    v: torch.Tensor,
    g: torch.Tensor,
    weight: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    events: _Window,
    length: int,
    dt: float,
    neuron: LIFParameters,
    rule: PairSTDPParameters,
    rows: torch.Tensor,
) -> tuple[torch.Tensor, ...]:
    """Advance every network through one window of ``length`` steps (see song_abbott_run).

    Returns ``v, g, weight, x, y`` at the end of the window and the output spikes as a
    list of ``(network indices, local steps)`` pairs. Each pass computes, for the
    networks still inside the window, their trajectory from where they are up to the
    window's end, and keeps it up to their first output spike; the networks that fired
    go round again from the step after it.
    """
    batch = weight.shape[0]
    device, dtype = weight.device, weight.dtype
    # powers of the per-step decay factors, indexed by a number of steps 0..length+1
    k = torch.arange(length + 2, device=device, dtype=dtype)
    decay = _Decays(
        g=fast_exp(k * (-dt / neuron.tau_exc)),
        post=fast_exp(k * (-dt / rule.tau_minus)),
        pre=fast_exp(k * (-dt / rule.tau_plus)),
        time=torch.arange(length, device=device),
    )
    v, g, y, weight = v.clone(), g.clone(), y.clone(), weight.clone()
    offset = torch.zeros(batch, dtype=torch.int64, device=device)  # first step not yet done
    spikes: list[tuple[torch.Tensor, torch.Tensor]] = []
    sub = rows  # the networks still inside the window
    while sub.numel():
        whole = sub.numel() == batch
        pick = partial(_rows, index=None if whole else sub)
        part = _segment(
            pick(v),
            pick(g),
            pick(y),
            pick(weight),
            pick(x),
            pick(offset),
            _Window(*(pick(t) for t in events)),
            length,
            dt,
            neuron,
            rule,
            decay,
        )
        v_new, g_new, y_new, w_new, offset_new, fired, first = part
        if whole:
            v, g, y, weight, offset = v_new, g_new, y_new, w_new, offset_new
        else:
            v.index_copy_(0, sub, v_new)
            g.index_copy_(0, sub, g_new)
            y.index_copy_(0, sub, y_new)
            weight.index_copy_(0, sub, w_new)
            offset.index_copy_(0, sub, offset_new)
        if bool(fired.any()):
            spikes.append((sub[fired], first[fired]))
        sub = sub[fired & (offset_new < length)]

    # presynaptic traces at the end of the window
    ev_step, ev_syn, ev_valid, _ = events
    since_end = (length - 1 - ev_step).clamp(0, length + 1)
    x = x * decay.pre[length] + torch.zeros_like(x).scatter_add_(
        1, ev_syn, torch.where(ev_valid, decay.pre[since_end], 0.0)
    )
    return v, g, weight, x, y, spikes


def _rows(tensor: torch.Tensor, index: torch.Tensor | None) -> torch.Tensor:
    """The rows ``index`` of ``tensor`` (all of them when ``index`` is None)."""
    return tensor if index is None else tensor.index_select(0, index)


class _Decays(NamedTuple):
    g: torch.Tensor  # (T + 2,) e^{-k dt / tau_e}
    post: torch.Tensor  # (T + 2,) e^{-k dt / tau_-}
    pre: torch.Tensor  # (T + 2,) e^{-k dt / tau_+}
    time: torch.Tensor  # (T,) 0 .. T - 1


def _segment(
    v: torch.Tensor,
    g: torch.Tensor,
    y: torch.Tensor,
    weight: torch.Tensor,
    x_start: torch.Tensor,
    offset: torch.Tensor,
    events: _Window,
    length: int,
    dt: float,
    neuron: LIFParameters,
    rule: PairSTDPParameters,
    decay: _Decays,
) -> tuple[torch.Tensor, ...]:
    """From step ``offset`` of the window to the first output spike (or the window's end).

    All tensors hold the rows of the networks concerned: ``v, g, y, offset`` (R,),
    ``weight, x_start`` (R, N) (``x_start``: traces at the window's start), events
    (R, E). Returns the new ``v, g, y, weight, offset`` and, per row, whether it fired
    and at which local step.
    """
    ev_step, ev_syn, ev_valid, seg_start = events
    rows = weight.shape[0]
    dtype, device = weight.dtype, weight.device
    start = offset.unsqueeze(1)  # (R, 1)
    live = ev_valid & (ev_step >= start)  # (R, E), events of this segment
    # postsynaptic trace at each event before any new output spike: y e^{-(n - o + 1) dt/tau-}
    lag = (ev_step - start + 1).clamp(0, length + 1)
    depression = torch.where(live, rule.a_minus * y.unsqueeze(1) * decay.post[lag], 0.0)
    # depression of the same synapse by its earlier events in this segment
    before = torch.cumsum(depression, dim=1) - depression
    before = before - before.gather(1, seg_start)
    w_before = (weight.gather(1, ev_syn) - before).clamp_min(0.0)  # (R, E), weight at the event
    drive = torch.zeros(rows, length, dtype=dtype, device=device)  # (R, T), sum_j w_j s_j(n)
    drive.scatter_add_(1, ev_step.clamp_max(length - 1), torch.where(live, w_before, 0.0))

    # conductance: g_n = D_n (g_o / D_o + sum_{o <= m < n} I_m / D_{m+1}), D_n = e^{-n dt/tau_e}
    after = decay.time.unsqueeze(0) >= start  # (R, T), steps of the segment
    scaled = torch.where(after, drive / decay.g[1 : length + 1], 0.0)
    g_path = decay.g[: length + 1] * (
        (g / decay.g[offset]).unsqueeze(1) + _exclusive_cumsum(scaled)
    )

    # membrane: V_{n+1} = a_n V_n + c_n, solved as V_n = e^{L_n} (V_o + sum_k c_k e^{-L_{k+1}})
    g_steps = g_path[:, :length]
    log_a = torch.where(after, (1.0 + g_steps) * (-dt / neuron.tau_m), 0.0)
    total_log = _exclusive_cumsum(log_a)  # (R, T + 1), L_n
    v_inf = (neuron.v_rest + g_steps * neuron.e_exc) / (1.0 + g_steps)
    c = torch.where(after, (1.0 - fast_exp(log_a)) * v_inf * fast_exp(-total_log[:, 1:]), 0.0)
    v_path = fast_exp(total_log) * (v.unsqueeze(1) + _exclusive_cumsum(c))  # (R, T + 1)

    crossing = (v_path[:, 1:] >= neuron.v_threshold) & after  # (R, T)
    first = torch.where(crossing, decay.time, length).amin(dim=1)  # first crossing, or T
    fired = first < length  # (R,)
    last = first.clamp_max(length - 1)  # last step of this segment: the spike, or T - 1
    upto = live & (ev_step <= last.unsqueeze(1))  # events applied in this segment

    # weights after the segment's depressions: max(0, w - total depression)
    lost = torch.zeros_like(weight).scatter_add_(1, ev_syn, torch.where(upto, depression, 0.0))
    weight = (weight - lost).clamp_min(0.0)
    g_end = g_path.gather(1, (last + 1).unsqueeze(1)).squeeze(1)
    v_end = torch.where(fired, neuron.v_reset, v_path[:, length])
    y_end = y * decay.post[(last - offset + 1).clamp(0, length + 1)] + fired.to(dtype)
    if bool(fired.any()):
        # presynaptic traces at the spike s: x_start e^{-(s+1)dt/tau+} + sum_e e^{-(s-n_e)dt/tau+}
        since = (last.unsqueeze(1) - ev_step).clamp(0, length + 1)
        seen = ev_valid & (ev_step <= last.unsqueeze(1))
        x_spike = x_start * decay.pre[last + 1].unsqueeze(1)
        x_spike = x_spike.scatter_add(1, ev_syn, torch.where(seen, decay.pre[since], 0.0))
        potentiated = (weight + rule.a_plus * x_spike).clamp_max(rule.w_max)
        weight = torch.where(fired.unsqueeze(1), potentiated, weight)
    return v_end, g_end, y_end, weight, last + 1, fired, last
