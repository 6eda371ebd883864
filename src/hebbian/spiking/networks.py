r"""Time loops and classic STDP networks.

* :func:`simulate`: the generic time loop. It calls any step function
  ``step(state, **inputs_t) -> (state, spikes)`` for a number of steps, feeding it one
  time slice of each input, and records the spikes and any state fields asked for.
* :func:`feedforward_stdp_step`: one step of ``N_pre`` inputs projecting through
  plastic synapses onto ``N_post`` LIF neurons (:func:`~hebbian.spiking.neurons.lif_step`
  + :func:`~hebbian.spiking.stdp.pair_stdp_step`), in Brian2's order: state update,
  threshold, ``on_pre`` (synaptic input with the old weight, depression), ``on_post``
  (potentiation), reset.

The Song-Abbott network lives in :mod:`hebbian.spiking.song_abbott`; its names are
re-exported here for the old import path.

Units: time in seconds, potentials in mV, rates in Hz, conductances relative to the
leak conductance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import torch

from hebbian._checks import check_floating_tensor, check_positive_int
from hebbian.spiking._common import check_spikes
from hebbian.spiking.neurons import LIFParameters, LIFState, lif_step
from hebbian.spiking.song_abbott import (  # re-exported: the old import path
    SongAbbottParameters,
    SongAbbottRecord,
    SongAbbottState,
    song_abbott_run,
    song_abbott_state,
)
from hebbian.spiking.stdp import PairSTDPParameters, PairTraces, pair_stdp_step

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
    spikes : Tensor of bool, shape ``(steps, *S)``
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
