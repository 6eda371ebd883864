r"""Pairing protocols and the measurements made on them: STDP windows, frequency curves, f-I.

A pairing protocol drives one synapse with ``K`` presynaptic spikes at a frequency
:math:`f` and a postsynaptic spike :math:`\Delta t = t_\mathrm{post} - t_\mathrm{pre}`
after each (Bi & Poo 1998; Sjöström et al. 2001 vary :math:`f`). The protocols are
simulated event to event: the STDP step functions of :mod:`hebbian.spiking.stdp` decay
their traces exactly, ``exp(-dt / tau)``, so one step across a silent gap equals many
small steps, and 60 pairings at 0.1 Hz cost 120 steps, not 10^7.

* :func:`pairing_spike_ticks`: the spike times of a batch of protocols on a time grid;
* :func:`run_pairing_protocols`: drive any STDP step function through them;
* :func:`pairing_weight_changes`: both at once, from a weight of 1;
* :func:`isolated_pairs_change`: the theory for pairings that do not interact;
* :func:`fit_stdp_window` (with :func:`log_linear_fit`): exponential fits to each side
  of a measured window;
* :func:`hh_current_steps` (with :func:`hh_current_steps_bytes`): Hodgkin-Huxley
  neurons under constant current steps, one current per neuron, simulated in segments;
* :func:`steady_rate` and :func:`step_responses`: firing rates and the regime
  (silent, one spike, repetitive) of current steps, for f-I curves and thresholds.

Times are in seconds, rates in Hz.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import torch

from hebbian._checks import check_floating_tensor, check_positive, check_positive_int
from hebbian.spiking._common import check_dt
from hebbian.spiking.networks import simulate
from hebbian.spiking.neurons import HHParameters, HHState, hh_step
from hebbian.spiking.stdp import PairSTDPParameters

__all__ = [
    "CurrentStepSegment",
    "StdpStep",
    "StepResponse",
    "WindowFit",
    "fit_stdp_window",
    "hh_current_steps",
    "hh_current_steps_bytes",
    "isolated_pairs_change",
    "log_linear_fit",
    "pairing_protocol_bytes",
    "pairing_spike_ticks",
    "pairing_weight_changes",
    "run_pairing_protocols",
    "steady_rate",
    "step_responses",
]

StdpStep = Callable[..., tuple[torch.Tensor, Any]]
"""``step(weight, traces, pre, post, dt=...) -> (weight, traces)``, e.g. a
:func:`functools.partial` of :func:`~hebbian.spiking.stdp.pair_stdp_step` with its
``params`` bound."""


def pairing_protocol_bytes(batch: int, pairings: int) -> int:
    r"""Bytes that :func:`run_pairing_protocols` allocates for ``batch`` protocols, roughly.

    :math:`2 B K` spike times (int64, a few temporaries each) and two boolean event
    tables of :math:`T \times B` entries, with up to :math:`T = 2 B K` distinct spike
    times: :math:`32 \cdot 2BK + 2 \cdot 2BK \cdot B` bytes. Check it with
    :func:`hebbian._checks.check_memory` before running a protocol of a size that comes
    from a setting.

    Examples
    --------
    >>> pairing_protocol_bytes(41, 60)
    560880
    """
    batch = check_positive_int("batch", batch)
    pairings = check_positive_int("pairings", pairings)
    spikes = 2 * batch * pairings
    return 4 * 8 * spikes + 2 * spikes * batch


def pairing_spike_ticks(
    frequencies: Sequence[float],
    delta_ts: Sequence[float],
    pairings: int,
    resolution: float,
    *,
    lead: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Spike times, in ticks of ``resolution``, of one protocol per ``(frequency, delta_t)``.

    Protocol :math:`b` has ``pairings`` presynaptic spikes at
    :math:`t_k = \mathrm{lead} + k / f_b`, :math:`k = 0 .. K - 1`, and a postsynaptic
    spike :math:`\Delta t_b` after each, both rounded to the grid:
    :math:`\mathrm{pre}_{bk} = \mathrm{round}(t_k / \mathrm{resolution})`,
    :math:`\mathrm{post}_{bk} = \mathrm{pre}_{bk} +
    \mathrm{round}(\Delta t_b / \mathrm{resolution})`.

    Parameters
    ----------
    frequencies, delta_ts : sequence of float, length B
        Pairing frequency (Hz, > 0) and spike-time difference (s, any sign) of each
        protocol.
    pairings : int
        Pairings per protocol, K.
    resolution : float
        Width of a tick (s).
    lead : float
        Time of the first presynaptic spike (s); ``lead + min(delta_t)`` must be > 0.

    Returns
    -------
    pre, post : Tensor of int64, shape (B, K)

    Examples
    --------
    >>> pre, post = pairing_spike_ticks([1.0, 10.0], [0.01, -0.01], 2, 1e-3, lead=0.02)
    >>> pre.tolist(), post.tolist()
    ([[20, 1020], [20, 120]], [[30, 1030], [10, 110]])
    """
    pairings = check_positive_int("pairings", pairings)
    resolution = check_dt(resolution)
    if len(frequencies) != len(delta_ts) or not len(frequencies):
        raise ValueError(
            f"frequencies and delta_ts must hold one value per protocol, got "
            f"{len(frequencies)} and {len(delta_ts)}"
        )
    for f in frequencies:
        check_positive("frequencies[i]", f)
    k = torch.arange(pairings, dtype=torch.float64)
    freq = torch.tensor(frequencies, dtype=torch.float64).unsqueeze(1)  # (B, 1)
    shift = torch.tensor(delta_ts, dtype=torch.float64).unsqueeze(1)  # (B, 1)
    pre = torch.round((lead + k / freq) / resolution).to(torch.int64)  # (B, K)
    post = pre + torch.round(shift / resolution).to(torch.int64)  # (B, K)
    return pre, post


def run_pairing_protocols(
    step: StdpStep,
    traces: Any,
    weight: torch.Tensor,
    pre_ticks: torch.Tensor,
    post_ticks: torch.Tensor,
    resolution: float,
) -> torch.Tensor:
    r"""Drive ``step(weight, traces, pre, post, dt=...)`` from spike event to spike event.

    ``pre_ticks`` and ``post_ticks`` hold the spike times of one synapse per network.
    The step is called once per distinct spike time :math:`T_i` of the whole batch, with
    ``dt`` :math:`= (T_i - T_{i-1})\,\mathrm{resolution}` (:math:`T_0 = 0`); a network
    without a spike at :math:`T_i` gets none. Exact for steps whose traces decay
    exactly, which all of :mod:`hebbian.spiking.stdp` do.

    Parameters
    ----------
    step : callable
        ``step(weight, traces, pre, post, dt=...) -> (weight, traces)``, with ``pre``
        and ``post`` bool tensors of shape (B, 1).
    traces : NamedTuple
        The rule's initial traces for B networks of one synapse (e.g.
        ``pair_traces(B, 1, 1)``).
    weight : Tensor, shape (B, 1, 1)
        Initial weights; their device is the simulation's.
    pre_ticks, post_ticks : Tensor of int64, shape (B, K)
        Spike times in ticks (> 0), from :func:`pairing_spike_ticks`.
    resolution : float
        Width of a tick (s).

    Returns
    -------
    Tensor, shape (B, 1, 1)
        The final weights.

    Examples
    --------
    >>> from functools import partial
    >>> from hebbian.spiking.stdp import pair_stdp_step, pair_traces
    >>> rule = PairSTDPParameters(a_plus=0.01, a_minus=0.01, w_max=math.inf)
    >>> pre, post = pairing_spike_ticks([1.0], [0.02], 1, 1e-4, lead=0.1)
    >>> w = run_pairing_protocols(partial(pair_stdp_step, params=rule), pair_traces(1, 1, 1),
    ...                           torch.ones(1, 1, 1, dtype=torch.float64), pre, post, 1e-4)
    >>> round(w.item() - 1.0, 9) == round(0.01 * math.exp(-1.0), 9)  # tau+ = 20 ms
    True
    """
    if not callable(step):
        raise TypeError(f"step must be callable, got {type(step).__name__}")
    weight = check_floating_tensor("weight", weight, ndim=3)
    resolution = check_dt(resolution)
    for name, ticks in (("pre_ticks", pre_ticks), ("post_ticks", post_ticks)):
        if not isinstance(ticks, torch.Tensor) or ticks.dtype != torch.int64 or ticks.ndim != 2:
            raise TypeError(f"{name} must be a 2-D int64 tensor of spike ticks")
    if pre_ticks.shape != post_ticks.shape or pre_ticks.shape[0] != weight.shape[0]:
        raise ValueError(
            f"pre_ticks and post_ticks must both have shape (B, K) with B = {weight.shape[0]} "
            f"networks, got {tuple(pre_ticks.shape)} and {tuple(post_ticks.shape)}"
        )
    batch = pre_ticks.shape[0]
    pre_ticks, post_ticks = pre_ticks.cpu(), post_ticks.cpu()
    ticks = torch.unique(torch.cat((pre_ticks.flatten(), post_ticks.flatten())))  # sorted
    if int(ticks[0]) <= 0:
        raise ValueError("spike times must be positive")
    rows = torch.arange(batch).unsqueeze(1).expand_as(pre_ticks)
    pre = torch.zeros(len(ticks), batch, 1, dtype=torch.bool)
    post = torch.zeros(len(ticks), batch, 1, dtype=torch.bool)
    pre[torch.searchsorted(ticks, pre_ticks), rows, 0] = True  # (T, B, 1)
    post[torch.searchsorted(ticks, post_ticks), rows, 0] = True
    pre, post = pre.to(weight.device), post.to(weight.device)
    gaps = torch.diff(ticks, prepend=torch.zeros(1, dtype=ticks.dtype)).tolist()
    for i, gap in enumerate(gaps):
        weight, traces = step(weight, traces, pre[i], post[i], dt=gap * resolution)
    return weight


def pairing_weight_changes(
    step: StdpStep,
    traces: Any,
    frequencies: Sequence[float],
    delta_ts: Sequence[float],
    pairings: int,
    resolution: float,
    *,
    lead: float,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Weight change of one synapse per protocol, from a float64 weight of 1.

    :func:`pairing_spike_ticks` then :func:`run_pairing_protocols` (arguments as there);
    the change ``w_final - 1`` is relative to the initial weight.

    Returns
    -------
    Tensor of float64, shape (B,)

    Examples
    --------
    >>> from functools import partial
    >>> from hebbian.spiking.stdp import pair_stdp_step, pair_traces
    >>> rule = PairSTDPParameters(a_plus=0.01, a_minus=0.01, w_min=-math.inf, w_max=math.inf)
    >>> change = pairing_weight_changes(partial(pair_stdp_step, params=rule),
    ...                                 pair_traces(2, 1, 1), [1.0, 1.0], [0.02, -0.02],
    ...                                 60, 1e-4, lead=0.1)
    >>> [round(c, 6) for c in change.tolist()]  # 60 A e^{-1}, each side
    [0.220728, -0.220728]
    """
    pre, post = pairing_spike_ticks(frequencies, delta_ts, pairings, resolution, lead=lead)
    weight = torch.ones(len(delta_ts), 1, 1, dtype=torch.float64, device=device)
    final = run_pairing_protocols(step, traces, weight, pre, post, resolution)
    return (final - 1.0).flatten()


def isolated_pairs_change(params: PairSTDPParameters, delta_t: float, pairings: int) -> float:
    r"""Weight change of ``pairings`` pairs that do not interact, under the additive pair rule.

    :math:`K A_+ e^{-\Delta t/\tau_+}` for :math:`\Delta t \ge 0`, else
    :math:`-K A_- e^{\Delta t/\tau_-}` (Song, Miller & Abbott 2000, eq. 1), with the C
    library's ``exp``: the theory that :func:`pairing_weight_changes` meets when the
    pairings are far apart. See also :func:`~hebbian.spiking.stdp.pair_window`.

    Examples
    --------
    >>> rule = PairSTDPParameters(a_plus=0.01, a_minus=0.01, tau_plus=0.02, tau_minus=0.02)
    >>> round(isolated_pairs_change(rule, -0.02, 60), 6)
    -0.220728
    """
    if not isinstance(params, PairSTDPParameters):
        raise TypeError(f"params must be PairSTDPParameters, got {type(params).__name__}")
    pairings = check_positive_int("pairings", pairings)
    if delta_t >= 0:
        return pairings * (params.a_plus * math.exp(-delta_t / params.tau_plus))
    return pairings * (-params.a_minus * math.exp(delta_t / params.tau_minus))


def log_linear_fit(x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    r"""Least-squares fit of :math:`\ln y = \ln a - x / \tau`; returns ``(a, tau)``.

    In closed form, :math:`s = \sum (x - \bar x)(\ln y - \overline{\ln y}) /
    \sum (x - \bar x)^2`, :math:`\ln a = \overline{\ln y} - s \bar x`,
    :math:`\tau = -1/s`, with correctly rounded sums (``math.fsum``) and the C
    library's ``log``: the same numbers on every machine, unlike a LAPACK solve.

    Parameters
    ----------
    x, y : Tensor, shape (n,)
        At least two distinct ``x``; every ``y > 0``.

    Examples
    --------
    >>> x = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    >>> a, tau = log_linear_fit(x, 3.0 * torch.exp(-x / 0.5))
    >>> round(a, 9), round(tau, 9)
    (3.0, 0.5)
    """
    xs = [float(v) for v in x.tolist()]
    ys = [float(v) for v in y.tolist()]
    if len(xs) != len(ys) or len(set(xs)) < 2:
        raise ValueError(f"x and y must have one length and >= 2 distinct x, got {len(xs)}")
    if min(ys) <= 0:
        raise ValueError(f"y must be > 0 for a log-linear fit, got minimum {min(ys)!r}")
    logs = [math.log(v) for v in ys]
    x_mean, log_mean = math.fsum(xs) / len(xs), math.fsum(logs) / len(logs)
    dx = [v - x_mean for v in xs]
    slope = math.fsum(d * (v - log_mean) for d, v in zip(dx, logs, strict=True)) / math.fsum(
        d * d for d in dx
    )
    return math.exp(log_mean - slope * x_mean), -1.0 / slope


class WindowFit(NamedTuple):
    r"""Exponential fits to each side of a measured STDP window.

    :math:`\Delta w \approx A_+ e^{-\Delta t/\tau_+}` for :math:`\Delta t > 0` and
    :math:`\Delta w \approx -A_- e^{\Delta t/\tau_-}` for :math:`\Delta t < 0`.

    Attributes
    ----------
    amplitude_plus, tau_plus : float
        :math:`A_+` and :math:`\tau_+` (s) of the causal side.
    amplitude_minus, tau_minus : float
        :math:`A_-` and :math:`\tau_-` (s) of the acausal side.
    """

    amplitude_plus: float
    tau_plus: float
    amplitude_minus: float
    tau_minus: float


def fit_stdp_window(delta_t: torch.Tensor, change: torch.Tensor) -> WindowFit:
    r"""Fit exponentials to both sides of a window: :func:`log_linear_fit` on each.

    Parameters
    ----------
    delta_t : Tensor, shape (n,)
        Spike-time differences :math:`t_\mathrm{post} - t_\mathrm{pre}` (s); the zero
        point is left out of both fits.
    change : Tensor, shape (n,)
        Weight change at each, positive for :math:`\Delta t > 0`, negative below.

    Examples
    --------
    >>> dt = torch.tensor([-0.02, -0.01, 0.0, 0.01, 0.02], dtype=torch.float64)
    >>> change = torch.where(dt >= 0, 2.0 * torch.exp(-dt / 0.01), -torch.exp(dt / 0.03))
    >>> [round(v, 9) for v in fit_stdp_window(dt, change)]
    [2.0, 0.01, 1.0, 0.03]
    """
    causal, acausal = delta_t > 0, delta_t < 0
    amp_plus, tau_plus = log_linear_fit(delta_t[causal], change[causal])
    amp_minus, tau_minus = log_linear_fit(-delta_t[acausal], -change[acausal])
    return WindowFit(amp_plus, tau_plus, amp_minus, tau_minus)


class CurrentStepSegment(NamedTuple):
    """What :func:`hh_current_steps` simulated: the state, the spikes and the trace.

    Attributes
    ----------
    state : HHState
        The state after the segment, fields of shape (1, C).
    spike_steps : list of list of int
        Per current, the steps of its spikes, counted from ``first_step`` for the
        segment's first step (a spike "at step s" crossed the threshold during step s).
    trace : dict of str to list of float
        ``v``, ``m``, ``h`` and ``n`` of the traced neuron after each of the first
        ``trace_steps`` steps; empty without a trace.
    """

    state: HHState
    spike_steps: list[list[int]]
    trace: dict[str, list[float]]


def hh_current_steps_bytes(currents: int, steps: int, trace_steps: int = 0) -> int:
    """Bytes that :func:`hh_current_steps` keeps for ``currents`` neurons, roughly.

    Per step one bool per current and the step's tensor (~200 bytes); per traced step
    four float64 fields per current and their tensors:
    ``steps (C + 200) + trace_steps 4 (8 C + 200)``. Check it with
    :func:`hebbian._checks.check_memory` before a run whose size comes from a setting.

    Examples
    --------
    >>> hh_current_steps_bytes(10, 1000, 100)
    322000
    """
    currents = check_positive_int("currents", currents)
    steps = check_positive_int("steps", steps)
    return steps * (currents + 200) + trace_steps * 4 * (8 * currents + 200)


def hh_current_steps(
    state: HHState,
    params: HHParameters,
    currents: Sequence[float],
    steps: int,
    dt: float,
    *,
    trace_steps: int = 0,
    trace_index: int = -1,
    first_step: int = 0,
) -> CurrentStepSegment:
    r"""Simulate ``steps`` RK4 steps of Hodgkin-Huxley neurons, each under its own current.

    Neuron :math:`c` gets the constant current density :math:`I_c` (uA/cm2) throughout
    (:func:`~hebbian.spiking.neurons.hh_step` through
    :func:`~hebbian.spiking.networks.simulate`). A current step from rest is one call
    from ``hh_state(1, C, params)``, or several calls that continue each other's state
    (segments of a long step, e.g. epochs of a checkpointed run, with ``first_step``
    the steps done before). The first ``trace_steps`` steps of neuron ``trace_index``
    are recorded.

    Parameters
    ----------
    state : HHState
        Fields of shape (1, C); the device of ``state.v`` is the simulation's.
    params : HHParameters
    currents : sequence of float, length C
        The current of each neuron (uA/cm2).
    steps : int
        Steps of ``dt`` to simulate.
    dt : float
        RK4 step (s).
    trace_steps : int
        Steps recorded at the start of the segment, ``0 <= trace_steps <= steps``.
    trace_index : int
        The neuron traced (default the last).
    first_step : int
        Added to the spike steps.

    Returns
    -------
    CurrentStepSegment

    Raises
    ------
    ValueError
        When RK4 diverged (a potential is not finite at the end): ``dt`` is too large;
        the message names ``dt`` and up to five currents.

    Examples
    --------
    >>> from hebbian.spiking.neurons import hh_state
    >>> params = HHParameters()
    >>> start = hh_state(1, 2, params)
    >>> segment = hh_current_steps(start, params, [0.0, 10.0], 1000, 1e-5, trace_steps=3)
    >>> [len(s) for s in segment.spike_steps], len(segment.trace["v"])
    ([0, 1], 3)
    """
    if not isinstance(state, HHState):
        raise TypeError(f"state must be an HHState, got {type(state).__name__}")
    steps = check_positive_int("steps", steps)
    if not 0 <= trace_steps <= steps:
        raise ValueError(f"trace_steps must lie in [0, steps = {steps}], got {trace_steps}")
    if tuple(state.v.shape) != (1, len(currents)):
        raise ValueError(
            f"state must have shape (1, C) with C = {len(currents)} currents, got "
            f"{tuple(state.v.shape)}"
        )
    drive = torch.tensor(currents, dtype=torch.float64, device=state.v.device).unsqueeze(0)
    step = partial(hh_step, params=params, dt=dt, current=drive)  # drive: (1, C)
    trace: dict[str, list[float]] = {}
    spikes = []
    if trace_steps:
        state, head = simulate(step, state, trace_steps, record=("v", "m", "h", "n"))
        trace = {k: v[:, 0, trace_index].tolist() for k, v in head.values.items()}
        spikes.append(head.spikes)
    if steps > trace_steps:
        state, rest = simulate(step, state, steps - trace_steps)
        spikes.append(rest.spikes)
    fired = torch.cat(spikes) if len(spikes) > 1 else spikes[0]  # (T, 1, C)
    if not bool(torch.isfinite(state.v).all()):
        bad = [
            c for c, v in zip(currents, state.v[0].tolist(), strict=True) if not math.isfinite(v)
        ]
        raise ValueError(
            f"dt = {dt:g} s is too large: RK4 diverged at the currents {bad[:5]} uA/cm2; "
            "use a smaller dt"
        )
    when, _, which = fired.nonzero(as_tuple=True)  # (K,) each
    spike_steps = [(when[which == c] + first_step).tolist() for c in range(len(currents))]
    return CurrentStepSegment(state, spike_steps, trace)


def steady_rate(spike_times: Sequence[float], duration: float) -> float:
    r"""Firing rate (Hz) from the interspike intervals of the second half of a current step.

    With :math:`t_1 < \dots < t_n` the spikes at or after ``duration / 2``:
    :math:`(n - 1) / (t_n - t_1)`, or 0 with fewer than two of them, so that the
    transient at the step's onset does not count (the f-I curve's steady rate).

    Examples
    --------
    >>> steady_rate([0.01, 0.5, 0.75, 1.0], 1.0)
    4.0
    >>> steady_rate([0.01], 1.0)
    0.0
    """
    late = [t for t in spike_times if t >= duration / 2]
    if len(late) < 2:
        return 0.0
    return (len(late) - 1) / (late[-1] - late[0])


class StepResponse(NamedTuple):
    """A neuron's response to a current step of ``duration`` seconds from rest.

    Attributes
    ----------
    spikes : int
        Spikes during the step.
    steady_rate : float
        :func:`steady_rate` of the spikes (Hz).
    repetitive : bool
        At least two spikes in the last quarter of the step (still firing).
    fires_to_end : bool
        A spike in the last tenth of the step (stricter: near the threshold for
        repetitive firing a model can fire dozens of spikes before it falls silent).
    last_spike : float or None
        Time of the last spike (s), None without spikes.
    """

    spikes: int
    steady_rate: float
    repetitive: bool
    fires_to_end: bool
    last_spike: float | None


def step_responses(spike_times: Sequence[Sequence[float]], duration: float) -> list[StepResponse]:
    """Measure each neuron's :class:`StepResponse` from its spike times (s) in a step.

    The f-I curve is ``steady_rate`` against the current; the threshold for one spike
    is the lowest current with ``spikes >= 1``, that for repetitive firing the lowest
    with ``repetitive``.

    Examples
    --------
    >>> step_responses([[0.01], [0.01, 0.6, 0.8, 0.95]], 1.0)[1]
    StepResponse(spikes=4, steady_rate=5.714285714285714, repetitive=True, \
fires_to_end=True, last_spike=0.95)
    """
    duration = check_positive("duration", duration)
    return [
        StepResponse(
            spikes=len(times),
            steady_rate=steady_rate(times, duration),
            repetitive=sum(t >= 0.75 * duration for t in times) >= 2,
            fires_to_end=any(t >= 0.9 * duration for t in times),
            last_spike=max(times) if len(times) else None,
        )
        for times in spike_times
    ]
