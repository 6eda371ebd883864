r"""Unsupervised digit learning with STDP: the network of Diehl & Cook (2015).

(This module is longer than 900 lines: it holds the model's parameters, state, public
functions and the PyTorch reference simulation that builds and returns that state;
split, the parts would import each other. The compiled CPU path is in
:mod:`hebbian.spiking._diehl_cook_kernel`.)

Poisson inputs (one per pixel) project through plastic synapses onto excitatory
conductance-based LIF neurons with adaptive thresholds; each excitatory neuron drives
one inhibitory neuron, which inhibits every other excitatory neuron (a soft
winner-take-all). Trained without labels, each excitatory neuron comes to prefer a
prototype of the images; a neuron takes the class it responded to most, and an image
is classified as the class whose neurons respond most
(:mod:`hebbian.spiking.voting`; Diehl & Cook 2015, "Unsupervised
learning of digit recognition using spike-timing-dependent plasticity", Front. Comput.
Neurosci. 9:99).

The model is built from the library's parts: :func:`~hebbian.spiking.neurons.lif_step`
for both populations (its ``threshold`` offset carries :math:`\theta`),
:func:`~hebbian.spiking.inputs.counter_poisson_spikes` for the inputs (a counter-based
stream, which the compiled kernel draws inside its step loop with the same bits),
:func:`~hebbian.spiking.stdp.triplet_depression`,
:func:`~hebbian.spiking.stdp.triplet_potentiation`,
:func:`~hebbian.spiking.stdp.bump_trace` and
:func:`~hebbian.spiking.stdp.clip_weights` for the plasticity. The weight changes are
applied only where spikes happened (an input's row at its spikes, a neuron's column at
its spikes), which is what the dense :func:`~hebbian.spiking.stdp.triplet_stdp_step`
computes, at the cost of the spikes rather than of every synapse. (A weight is clipped
to its bounds when it changes, as the paper's synapses clip it; the dense step clips
every weight at every step, which differs only for a weight that normalisation has
pushed out of the bounds.)

Every sum is taken in a fixed order, as a cumulative sum (on the CPU sequential, in
float64 for float32 tensors, and rounded once): an excitatory neuron's input
conductance adds the weights of this step's input spikes in ascending input index, a
neuron's weight sum runs from the first input to the last. So the spikes, and every
number derived from them, are the same on every CPU and thread count.

Units: time in seconds, potentials in mV, rates in Hz, conductances relative to the
leak conductance, weights as conductance increments.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, cast

import torch

from hebbian._checks import (
    check_bool,
    check_floating_tensor,
    check_int64_tensor,
    check_positive,
    check_positive_int,
)
from hebbian._random import integers
from hebbian.spiking import _diehl_cook_kernel
from hebbian.spiking._common import check_dt
from hebbian.spiking.inputs import counter_poisson_spikes
from hebbian.spiking.neurons import (
    LIFParameters,
    LIFState,
    Synapses,
    lif_state,
    lif_step,
)
from hebbian.spiking.stdp import (
    Pairing,
    TripletSTDPParameters,
    TripletTraces,
    bump_trace,
    clip_weights,
    triplet_depression,
    triplet_potentiation,
)

__all__ = [
    "DiehlCookParameters",
    "DiehlCookState",
    "Presentation",
    "diehl_cook_responses",
    "diehl_cook_state",
    "diehl_cook_train",
    "normalise_weights",
]


def _excitatory() -> LIFParameters:
    return LIFParameters(
        tau_m=100e-3,
        v_rest=-65.0,
        v_threshold=-52.0,
        v_reset=-65.0,
        refractory=5e-3,
        synapses=Synapses.CONDUCTANCE,
        tau_exc=1e-3,
        tau_inh=2e-3,
        e_exc=0.0,
        e_inh=-100.0,
    )


def _inhibitory() -> LIFParameters:
    return LIFParameters(
        tau_m=10e-3,
        v_rest=-60.0,
        v_threshold=-40.0,
        v_reset=-45.0,
        refractory=2e-3,
        synapses=Synapses.CONDUCTANCE,
        tau_exc=1e-3,
        tau_inh=2e-3,
        e_exc=0.0,
        e_inh=-85.0,
    )


def _stdp() -> TripletSTDPParameters:
    # pre: w -= nu_pre * post1; post: w += nu_post * pre * post2(before), nearest-spike
    # traces (set to 1 at a spike): the triplet rule with A2+ = A3- = 0
    return TripletSTDPParameters(
        a2_plus=0.0,
        a3_plus=0.01,
        a2_minus=0.0001,
        a3_minus=0.0,
        tau_plus=20e-3,
        tau_minus=20e-3,
        tau_x=20e-3,
        tau_y=40e-3,
        w_min=0.0,
        w_max=1.0,
        pairing=Pairing.NEAREST,
    )


@dataclass(frozen=True)
class DiehlCookParameters:
    r"""The network of Diehl & Cook (2015) and its training protocol.

    Excitatory neurons (conductance LIF, :func:`~hebbian.spiking.neurons.lif_step`):

    .. math::

        \tau_m \dot V = (E_\mathrm{rest} - V) + g_e (E_e - V) + g_i (E_i - V), \qquad
        \text{spike when } V \ge V_\mathrm{th} + \theta,

    with :math:`\tau_m` 100 ms, :math:`E_\mathrm{rest} = V_\mathrm{reset}` -65 mV,
    :math:`V_\mathrm{th}` -52 mV, :math:`E_e` 0 mV, :math:`E_i` -100 mV, conductance
    time constants 1 ms (excitatory) and 2 ms (inhibitory), refractory 5 ms. The
    adaptive threshold rises by :math:`\theta_+` = 0.05 mV at each spike and decays with
    :math:`\tau_\theta` = 10^7 ms. Inhibitory neurons: :math:`\tau_m` 10 ms, rest -60,
    reset -45, threshold -40 mV, :math:`E_i` -85 mV, refractory 2 ms. Excitatory neuron
    ``i`` excites inhibitory neuron ``i`` (weight 10.4); each inhibitory neuron inhibits
    every other excitatory neuron (17.0). Input-to-excitatory weights start uniform in
    ``[0, 0.3)`` and learn by STDP with nearest-spike traces (pre 20 ms, post 20 and
    40 ms):

    .. math::

        \text{pre spike: } w \leftarrow w - \eta_\mathrm{pre}\, x_\mathrm{post,1}, \qquad
        \text{post spike: } w \leftarrow w + \eta_\mathrm{post}\, x_\mathrm{pre}\,
        x_\mathrm{post,2}(t-\epsilon),

    clipped to ``[0, 1]``, with :math:`\eta_\mathrm{pre}` = 1e-4 and
    :math:`\eta_\mathrm{post}` = 0.01: the triplet rule with :math:`A_2^+ = A_3^- = 0`
    (:class:`~hebbian.spiking.stdp.TripletSTDPParameters`). Before every presentation
    each excitatory neuron's incoming weights are scaled to sum to 78. An image with
    pixel intensities :math:`p \in [0, 1]` drives its inputs at :math:`p \cdot 63.75`
    Hz for 350 ms, then 150 ms without input; when the excitatory neurons fired fewer
    than 5 spikes, the image is presented again with 31.875 Hz more at full intensity.
    ``dt`` is 0.5 ms.

    These are the values of the paper (Diehl & Cook 2015, section 2) and of
    the authors' published code as Brian2's ``examples/frompapers/Diehl_Cook_2015.py``
    restates them (facts only; the code here is written from the equations).

    Attributes
    ----------
    n_inputs, n_excitatory : int
        Input pixels and excitatory (= inhibitory) neurons.
    excitatory, inhibitory : LIFParameters
        The two populations (conductance-based).
    stdp : TripletSTDPParameters
        The input-to-excitatory rule (nearest pairing).
    theta_plus, tau_theta : float
        Threshold increment per spike (mV) and its decay time constant (s).
    w_exc_inh, w_inh_exc : float
        Excitatory-to-inhibitory (one to one) and inhibitory-to-excitatory (all to all
        others) conductance increments.
    initial_weight : float
        Input weights start uniform in ``[0, initial_weight)``.
    weight_sum : float
        Sum of each excitatory neuron's input weights after normalisation.
    max_rate, rate_increment : float
        Input rate (Hz) at full intensity, and its increase per repeated presentation.
    presentation, rest : float
        Duration (s) of an image and of the silence after it.
    dt : float
        Time step (s); ``presentation`` and ``rest`` must be whole numbers of steps.
    reset : bool
        After each presentation and its rest, set the potentials, conductances,
        refractoriness and traces back to rest (BindsNET's protocol, with ``rest = 0``);
        the paper lets them decay during ``rest`` instead.
    min_spikes : int
        A presentation with fewer excitatory spikes is repeated (0: never).
    max_presentations : int
        At most this many presentations of one image (the paper sets no limit; a blank
        image would never stop).

    Examples
    --------
    >>> params = DiehlCookParameters(n_excitatory=400)
    >>> params.presentation_steps, params.rest_steps
    (700, 300)
    >>> DiehlCookParameters(presentation=0.3501)
    Traceback (most recent call last):
    ...
    ValueError: presentation must be a whole number of steps dt=0.0005 s, got 0.3501 s
    """

    n_inputs: int = 784
    n_excitatory: int = 100
    excitatory: LIFParameters = field(default_factory=_excitatory)
    inhibitory: LIFParameters = field(default_factory=_inhibitory)
    stdp: TripletSTDPParameters = field(default_factory=_stdp)
    theta_plus: float = 0.05
    tau_theta: float = 1e4
    w_exc_inh: float = 10.4
    w_inh_exc: float = 17.0
    initial_weight: float = 0.3
    weight_sum: float = 78.0
    max_rate: float = 63.75
    rate_increment: float = 31.875
    presentation: float = 0.35
    rest: float = 0.15
    dt: float = 0.5e-3
    reset: bool = False
    min_spikes: int = 5
    max_presentations: int = 16

    def __post_init__(self) -> None:
        check_positive_int("n_inputs", self.n_inputs)
        check_positive_int("n_excitatory", self.n_excitatory)
        for name in ("excitatory", "inhibitory"):
            value = getattr(self, name)
            if not isinstance(value, LIFParameters) or value.synapses is not Synapses.CONDUCTANCE:
                raise ValueError(f"{name} must be conductance-based LIFParameters, got {value!r}")
        if not isinstance(self.stdp, TripletSTDPParameters):
            raise TypeError(f"stdp must be TripletSTDPParameters, got {type(self.stdp).__name__}")
        check_positive("theta_plus", self.theta_plus, allow_zero=True)
        check_positive("tau_theta", self.tau_theta)
        check_positive("w_exc_inh", self.w_exc_inh, allow_zero=True)
        check_positive("w_inh_exc", self.w_inh_exc, allow_zero=True)
        check_positive("initial_weight", self.initial_weight)
        check_positive("weight_sum", self.weight_sum)
        check_positive("max_rate", self.max_rate)
        check_positive("rate_increment", self.rate_increment, allow_zero=True)
        dt = check_dt(self.dt)
        for name in ("presentation", "rest"):
            value = check_positive(name, getattr(self, name), allow_zero=name == "rest")
            if abs(value / dt - round(value / dt)) > 1e-6:
                raise ValueError(f"{name} must be a whole number of steps dt={dt} s, got {value} s")
        check_bool("reset", self.reset)
        check_positive_int("min_spikes", self.min_spikes, minimum=0)
        check_positive_int("max_presentations", self.max_presentations)
        top = self.max_rate + (self.max_presentations - 1) * self.rate_increment
        if top * dt > 1.0:
            raise ValueError(
                f"the last presentation's rate {top} Hz times dt={dt} s exceeds 1; lower "
                "max_presentations, max_rate or rate_increment"
            )

    @property
    def presentation_steps(self) -> int:
        """Steps of one presentation."""
        return round(self.presentation / self.dt)

    @property
    def rest_steps(self) -> int:
        """Steps of the silence after a presentation."""
        return round(self.rest / self.dt)

    def scaled(self, n_inputs: int) -> DiehlCookParameters:
        """The same network on ``n_inputs`` inputs, keeping the total drive of 784 inputs.

        The rate at full intensity grows and the weight sum shrinks by
        ``784 / n_inputs``, so the total input rate and the mean weight stay the paper's
        (used for the 8x8 digits). ``max_presentations`` shrinks if the last
        presentation's rate would exceed ``1 / dt``.

        >>> p = DiehlCookParameters().scaled(64)
        >>> p.n_inputs, round(p.max_rate, 2), round(p.weight_sum, 3), p.max_presentations
        (64, 780.94, 6.367, 4)
        """
        factor = 784 / check_positive_int("n_inputs", n_inputs)
        rate, increment = self.max_rate * factor, self.rate_increment * factor
        allowed = self.max_presentations
        if increment > 0:
            allowed = min(allowed, math.floor((1.0 / self.dt - rate) / increment) + 1)
        return replace(
            self,
            n_inputs=n_inputs,
            max_rate=rate,
            rate_increment=increment,
            weight_sum=self.weight_sum / factor,
            max_presentations=max(allowed, 1),
        )


class DiehlCookState(NamedTuple):
    r"""``nets`` independent networks, each presenting ``P`` images at a time.

    Attributes
    ----------
    weight : Tensor, shape (nets, n_inputs, n_excitatory)
        Input-to-excitatory weights, ``weight[n, j, i]`` from input ``j`` to neuron ``i``
        (input-major: an input's spike reads and changes one row).
    theta : Tensor of float64, shape (nets, n_excitatory)
        Adaptive thresholds (mV), in float64 whatever the simulation's dtype: their
        decay per step, :math:`1 - e^{-dt/\tau_\theta} = 5 \cdot 10^{-8}` at the paper's
        parameters, is below float32's resolution (rounded there it would decay 1.2-2.4
        times too fast). The neurons compare against theta rounded to their dtype.
    excitatory, inhibitory : LIFState
        Fields of shape (nets, P, n_excitatory).
    traces : TripletTraces
        ``r1, r2`` of shape (nets, P, n_inputs); ``o1, o2`` of shape
        (nets, P, n_excitatory).
    stream : Tensor of int64, shape (nets, 2)
        Each network's input stream (:func:`~hebbian.spiking.inputs.counter_poisson_spikes`):
        its key, and the position of the next step to draw (advanced by every
        presentation's steps, ``P`` stretches of them).
    """

    weight: torch.Tensor
    theta: torch.Tensor
    excitatory: LIFState
    inhibitory: LIFState
    traces: TripletTraces
    stream: torch.Tensor


class Presentation(NamedTuple):
    """What the excitatory neurons did on one image each.

    Attributes
    ----------
    counts : Tensor of int64, shape (nets, P, n_excitatory)
        Spikes of each neuron in the image's last (accepted) presentation.
    presentations : Tensor of int64, shape (nets, P)
        How often each image was presented (1 when its first presentation sufficed).
    """

    counts: torch.Tensor
    presentations: torch.Tensor


def diehl_cook_state(
    params: DiehlCookParameters,
    seeds: Sequence[int],
    *,
    parallel_images: int = 1,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> DiehlCookState:
    """Fresh networks at rest: weights uniform in ``[0, initial_weight)``, ``theta = 0``.

    Parameters
    ----------
    params : DiehlCookParameters
    seeds : sequence of int
        One seed per network: it draws the network's initial weights, then the key of
        its input stream. A network run alone with the same seed is the same network.
    parallel_images : int, default 1
        Images each network presents at once (``P``); 1 is the paper's protocol, more
        averages the weight and threshold changes of ``P`` images (see
        :func:`diehl_cook_train`).
    device, dtype
        Where and how to simulate.

    Examples
    --------
    >>> state = diehl_cook_state(DiehlCookParameters(n_inputs=4, n_excitatory=2), [0, 1])
    >>> state.weight.shape, state.excitatory.v.shape
    (torch.Size([2, 4, 2]), torch.Size([2, 1, 2]))
    """
    if not isinstance(params, DiehlCookParameters):
        raise TypeError(f"params must be DiehlCookParameters, got {type(params).__name__}")
    seed_list = [int(s) for s in seeds]
    if not seed_list:
        raise ValueError("seeds must hold at least one seed (one per network), got none")
    parallel = check_positive_int("parallel_images", parallel_images)
    nets, n_in, n_exc = len(seed_list), params.n_inputs, params.n_excitatory
    generators = [torch.Generator().manual_seed(s) for s in seed_list]
    weight = torch.stack(
        [torch.rand(n_in, n_exc, generator=g, dtype=torch.float64) for g in generators]
    )
    weight = (weight * params.initial_weight).to(device=device, dtype=dtype)
    theta = torch.zeros(nets, n_exc, device=device, dtype=torch.float64)
    keys = torch.cat([integers(2**32, (1,), g) for g in generators])
    stream = torch.stack([keys, torch.zeros_like(keys)], dim=1).to(device)
    return _at_rest(params, weight, theta, stream, parallel)


def _at_rest(
    params: DiehlCookParameters,
    weight: torch.Tensor,
    theta: torch.Tensor,
    stream: torch.Tensor,
    parallel: int,
) -> DiehlCookState:
    """Networks of these weights and thresholds with every neuron and trace at rest."""
    nets, n_in, n_exc = weight.shape
    device, dtype = weight.device, weight.dtype
    populations = [
        lif_state(nets * parallel, n_exc, kind, device=device, dtype=dtype)
        for kind in (params.excitatory, params.inhibitory)
    ]
    shaped = [LIFState(*(t.reshape(nets, parallel, n_exc) for t in s)) for s in populations]
    zeros_in = weight.new_zeros(nets, parallel, n_in)
    zeros_out = weight.new_zeros(nets, parallel, n_exc)
    traces = TripletTraces(zeros_in, zeros_in.clone(), zeros_out, zeros_out.clone())
    return DiehlCookState(weight, theta, shaped[0], shaped[1], traces, stream)


def normalise_weights(weight: torch.Tensor, weight_sum: float) -> torch.Tensor:
    r"""Scale each excitatory neuron's incoming weights to sum to ``weight_sum``.

    :math:`w_{ji} \leftarrow w_{ji}\, c_i` with :math:`c_i = S / \sum_{j'} w_{j'i}`, the
    sum taken in float64 from the first input to the last (a sequential cumulative sum:
    the same on every machine) and :math:`c_i` rounded once to the weights' dtype. A
    neuron whose weights are all zero keeps them.

    Parameters
    ----------
    weight : Tensor, shape (nets, n_inputs, n_excitatory)
    weight_sum : float

    Examples
    --------
    >>> w = normalise_weights(torch.tensor([[[1.0, 0.0], [3.0, 0.0]]]), 78.0)
    >>> w[0, :, 0].tolist(), w[0, :, 1].tolist()
    ([19.5, 58.5], [0.0, 0.0])
    """
    weight = check_floating_tensor("weight", weight, ndim=3)
    total = torch.cumsum(weight.to(torch.float64), dim=1)[:, -1:, :]  # (nets, 1, N), in order
    scale = torch.where(total > 0, check_positive("weight_sum", weight_sum) / total, 1.0)
    return weight * scale.to(weight.dtype)


def _rest(params: LIFParameters) -> tuple[float, float, float, float]:
    """A neuron at rest: (v, exc, inh, refractory)."""
    return (params.v_rest, 0.0, 0.0, 0.0)


class _Events(NamedTuple):
    """Input spikes of a chunk of steps as padded index lists (ascending input index)."""

    inputs: torch.Tensor  # (T, B, K) int64, padded with n_inputs
    valid: torch.Tensor  # (T, B, K) float, 1 where a spike


def _events(spikes: torch.Tensor, n_inputs: int, dtype: torch.dtype) -> _Events:
    steps, batch, _ = spikes.shape
    t, b, j = spikes.nonzero(as_tuple=True)  # row-major: ascending j within (t, b)
    group = t * batch + b
    sizes = torch.bincount(group, minlength=steps * batch)
    width = max(int(sizes.max()) if sizes.numel() else 0, 1)
    start = torch.cumsum(sizes, 0) - sizes
    position = torch.arange(group.numel(), device=spikes.device) - start[group]
    index = torch.full((steps * batch, width), n_inputs, dtype=torch.int64, device=spikes.device)
    index[group, position] = j
    index = index.reshape(steps, batch, width)
    return _Events(index, (index < n_inputs).to(dtype))


class _Inputs(NamedTuple):
    """The inputs of a presentation's rows (images): rates and where their streams are."""

    rates: torch.Tensor  # (B, n_in) float64, Hz
    key: torch.Tensor  # (B,) int64, each row's stream key
    start: torch.Tensor  # (B,) int64, the stream position of the presentation's first step


class _Network:
    """The mutable simulation of :class:`DiehlCookState` (one presentation at a time)."""

    def __init__(self, state: DiehlCookState, params: DiehlCookParameters) -> None:
        self.params = params
        nets, n_in, n_exc = state.weight.shape
        self.nets, self.parallel = nets, state.excitatory.v.shape[1]
        pad = state.weight.new_zeros(nets, 1, n_exc)  # row n_in: the padding input
        self.weight = torch.cat([state.weight, pad], dim=1)  # (nets, n_in + 1, N)
        self.theta = state.theta.clone()  # float64, see DiehlCookState
        self.theta_decay = math.exp(-params.dt / params.tau_theta)
        self.exc = LIFState(*(t.clone() for t in state.excitatory))
        self.inh = LIFState(*(t.clone() for t in state.inhibitory))
        self.traces = TripletTraces(*(t.clone() for t in state.traces))
        self.stream = state.stream.clone()  # (nets, 2): key, position
        self.kernel = _diehl_cook_kernel.runs_on(state.weight)
        offsets = torch.arange(nets, device=state.weight.device) * (n_in + 1)
        self.row_offset = offsets.repeat_interleave(self.parallel).unsqueeze(1)  # (B, 1)

    def state(self) -> DiehlCookState:
        weight = self.weight[:, :-1].clone()
        return DiehlCookState(weight, self.theta, self.exc, self.inh, self.traces, self.stream)

    def present(
        self,
        rates: torch.Tensor,
        start: torch.Tensor | None = None,
        *,
        learn: bool,
        record: list[tuple[torch.Tensor, ...]] | None,
    ) -> torch.Tensor:
        """One presentation at ``rates`` (nets, P, n_in) and, when learning, the rest.

        Image ``p`` of network ``m`` draws its inputs from position ``start[m, p]`` of the
        network's stream; by default the stream's next ``P`` stretches, which it then
        advances past.
        """
        p, steps = self.params, self.params.presentation_steps
        if start is None:
            slots = torch.arange(self.parallel, device=self.stream.device) * steps
            start = self.stream[:, 1:] + slots  # (nets, P)
            self.stream = self.stream + torch.tensor([0, self.parallel * steps]).to(self.stream)
        key = self.stream[:, 0].repeat_interleave(self.parallel)
        counts = torch.zeros_like(self.exc.v)
        inputs = _Inputs(rates.reshape(key.numel(), -1), key, start.reshape(-1))
        self._run(inputs, steps, counts, learn=learn, record=record)
        if learn and p.rest_steps:
            self._run(None, p.rest_steps, counts=None, learn=learn, record=record)
        if learn and p.reset:
            self.exc = LIFState(
                *(t.zero_() + v for t, v in zip(self.exc, _rest(p.excitatory), strict=True))
            )
            self.inh = LIFState(
                *(t.zero_() + v for t, v in zip(self.inh, _rest(p.inhibitory), strict=True))
            )
            self.traces = TripletTraces(*(t.zero_() for t in self.traces))
        return counts.to(torch.int64)

    def _run(
        self,
        inputs: _Inputs | None,
        steps: int,
        counts: torch.Tensor | None,
        *,
        learn: bool,
        record: list[tuple[torch.Tensor, ...]] | None,
    ) -> None:
        if self.kernel and record is None:
            self._run_kernel(inputs, steps, counts, learn=learn)
            return
        p, batch = self.params, self.nets * self.parallel
        chunk = max(1, min(steps, 2**22 // (batch * p.n_inputs)))
        done = 0
        while done < steps:
            width = min(chunk, steps - done)
            if inputs is None:
                for _ in range(width):
                    self._step(None, None, None, counts, learn=learn, record=record)
            else:
                spikes = counter_poisson_spikes(
                    inputs.rates, width, p.dt, key=inputs.key, start=inputs.start + done
                )  # (T, nets * P, n_in)
                dtype = self.weight.dtype
                events, dense = _events(spikes, p.n_inputs, dtype), spikes.to(dtype)
                for t in range(width):
                    index, valid = events.inputs[t], events.valid[t]
                    self._step(dense[t], index, valid, counts, learn=learn, record=record)
            done += width

    def _run_kernel(
        self, inputs: _Inputs | None, steps: int, counts: torch.Tensor | None, *, learn: bool
    ) -> None:
        """The same steps as :meth:`_step`, by the compiled CPU kernel, in place."""
        fired = torch.zeros_like(self.exc.v) if counts is None else counts
        _diehl_cook_kernel.advance(
            self.params,
            self.parallel,
            (self.weight, self.theta, self.exc, self.inh, self.traces),
            None if inputs is None else tuple(inputs),
            steps,
            fired,
            learn=learn,
        )

    def _step(
        self,
        pre: torch.Tensor | None,
        index: torch.Tensor | None,
        valid: torch.Tensor | None,
        counts: torch.Tensor | None,
        *,
        learn: bool,
        record: list[tuple[torch.Tensor, ...]] | None,
    ) -> None:
        p = self.params
        dt = p.dt
        if learn:
            self.theta = self.theta * self.theta_decay
        threshold = self.theta.to(self.exc.v.dtype).unsqueeze(1)
        exc, e_spk = lif_step(self.exc, p.excitatory, dt, threshold=threshold)
        inh, i_spk = lif_step(self.inh, p.inhibitory, dt)
        e_spk, i_spk = e_spk.to(exc.v.dtype), i_spk.to(exc.v.dtype)
        # this step's spikes arrive: they act from the next step on
        inhibition = p.w_inh_exc * (i_spk.sum(-1, keepdim=True) - i_spk)
        exc_g = exc.exc
        flat = self.weight.reshape(-1, self.weight.shape[-1])  # (nets (n_in + 1), N)
        rows = None
        if index is not None:
            rows = index + self.row_offset  # (B, K)
            drive = flat[rows].cumsum(1)[:, -1]  # (B, N): ascending input index
            exc_g = exc_g + drive.reshape(exc_g.shape)
        self.exc = exc._replace(exc=exc_g, inh=exc.inh + inhibition)
        self.inh = inh._replace(exc=inh.exc + p.w_exc_inh * e_spk)
        if counts is not None:
            counts += e_spk
        if learn:
            self._plasticity(pre, index, valid, rows, e_spk)
        if record is not None:
            record.append((e_spk, i_spk, self.exc.exc.clone(), self.theta.clone()))

    def _plasticity(
        self,
        pre: torch.Tensor | None,
        index: torch.Tensor | None,
        valid: torch.Tensor | None,
        rows: torch.Tensor | None,
        post: torch.Tensor,
    ) -> None:
        p = self.params
        rule, dt, scale = p.stdp, p.dt, 1.0 / self.parallel
        n_exc = post.shape[-1]
        r1, r2, o1, o2 = self.traces
        r1 = r1 * math.exp(-dt / rule.tau_plus)
        r2 = r2 * math.exp(-dt / rule.tau_x)
        o1 = o1 * math.exp(-dt / rule.tau_minus)
        o2 = o2 * math.exp(-dt / rule.tau_y)
        bounds = (rule.w_min, rule.w_max)
        flat = self.weight.view(-1, n_exc)
        if pre is not None and index is not None and valid is not None and rows is not None:
            seen = torch.gather(r2.reshape(-1, p.n_inputs), 1, index.clamp(max=p.n_inputs - 1))
            change = triplet_depression(o1.reshape(-1, n_exc), seen, valid, rule)  # (B, N, K)
            # the change scaled first, then added (index_add_'s alpha may fuse a multiply-add)
            scaled = change.transpose(1, 2).reshape(-1, n_exc) * scale
            flat.index_add_(0, rows.reshape(-1), scaled)
            touched = rows.reshape(-1)
            flat[touched] = clip_weights(flat[touched], *bounds)
            r1 = bump_trace(r1, pre.reshape(r1.shape), rule.pairing)
            r2 = bump_trace(r2, pre.reshape(r2.shape), rule.pairing)
        post = post.reshape(o1.shape)
        if bool(post.any()):
            net, image, neuron = post.nonzero(as_tuple=True)
            gain = triplet_potentiation(
                r1[net, image],
                o2[net, image, neuron].unsqueeze(1),
                post.new_ones(net.numel(), 1),
                rule,
            )[:, 0, :]  # (E, n_in)
            inputs = torch.arange(p.n_inputs, device=post.device)
            where = (net.unsqueeze(1), inputs.unsqueeze(0), neuron.unsqueeze(1))
            self.weight.index_put_(where, gain * scale, accumulate=True)
            self.weight[where] = clip_weights(self.weight[where], *bounds)
            self.theta = self.theta + (p.theta_plus * scale) * post.sum(1).to(self.theta.dtype)
        o1 = bump_trace(o1, post, rule.pairing)
        o2 = bump_trace(o2, post, rule.pairing)
        self.traces = TripletTraces(r1, r2, o1, o2)


def _check_state(state: object, params: DiehlCookParameters) -> DiehlCookState:
    if not isinstance(params, DiehlCookParameters):
        raise TypeError(f"params must be DiehlCookParameters, got {type(params).__name__}")
    if not isinstance(state, DiehlCookState):
        raise TypeError(f"state must be a DiehlCookState, got {type(state).__name__}")
    weight = check_floating_tensor(
        "state.weight", state.weight, shape=(None, params.n_inputs, params.n_excitatory)
    )
    theta = check_floating_tensor(
        "state.theta", state.theta, shape=(len(weight), params.n_excitatory)
    )
    stream = check_int64_tensor("state.stream", state.stream, shape=(len(weight), 2))
    key, position = stream[:, 0], stream[:, 1]
    if bool(((key < 0) | (key >= 2**32) | (position < 0)).any()):
        raise ValueError(
            f"state.stream must hold keys in [0, 2^32) and positions >= 0, got {stream.tolist()}"
        )
    return state._replace(theta=theta.to(torch.float64))  # see DiehlCookState


def _check_images(
    images: object, shape: tuple[int | None, ...], like: torch.Tensor
) -> torch.Tensor:
    images = check_floating_tensor("images", images, shape=shape)
    if images.device != like.device:
        raise ValueError(
            f"images must be on the networks' device {like.device}, got {images.device}"
        )
    if bool(((images < 0) | (images > 1) | ~torch.isfinite(images)).any()):
        raise ValueError("images must hold intensities in [0, 1]")
    return images.to(like.dtype)


def _map_state(fn: Callable[..., torch.Tensor], *states: DiehlCookState) -> DiehlCookState:
    """``fn`` applied to the matching tensors of ``states``, field by field."""

    def walk(*parts: Any) -> Any:
        if isinstance(parts[0], torch.Tensor):
            return fn(*parts)
        return type(parts[0])(*(walk(*fields) for fields in zip(*parts, strict=True)))

    return cast(DiehlCookState, walk(*states))


def _select(state: DiehlCookState, nets: torch.Tensor) -> DiehlCookState:
    return _map_state(lambda t: t.index_select(0, nets.to(t.device)), state)


def _put(state: DiehlCookState, nets: torch.Tensor, part: DiehlCookState) -> DiehlCookState:
    return _map_state(lambda t, v: t.index_copy(0, nets.to(t.device), v), state, part)


def diehl_cook_train(
    state: DiehlCookState,
    images: torch.Tensor,
    params: DiehlCookParameters,
    *,
    record: list[tuple[torch.Tensor, ...]] | None = None,
) -> tuple[DiehlCookState, Presentation]:
    r"""Learn from one image per network and slot, or a sequence of them, without labels.

    The paper's protocol: before each presentation the weights are normalised
    (:func:`normalise_weights`); the inputs fire at
    ``images * (max_rate + r * rate_increment)`` for the ``r``-th repetition; STDP, the
    thresholds and the inhibition act at every step, through the presentation and the
    rest after it. An image whose presentation drew fewer than ``min_spikes`` excitatory
    spikes is presented again (only the networks with such an image run again, so a
    network's result does not depend on the others in the batch).

    With ``P > 1`` images per network (``parallel_images`` of
    :func:`diehl_cook_state`), the ``P`` images run side by side on the same weights and
    thresholds, and each step's weight and threshold changes are the mean over them:
    a deviation from the paper, which presents one image at a time. Images that already
    drew enough spikes get no input while the others repeat.

    A sequence of ``K`` images per slot is the same as ``K`` calls, one image each; on
    the CPU with ``P = 1`` the compiled kernel runs the whole sequence in one call.

    Parameters
    ----------
    state : DiehlCookState
    images : Tensor, shape (nets, P, n_inputs) or (K, nets, P, n_inputs)
        Intensities in ``[0, 1]``: one image per slot, or ``K`` in turn.
    params : DiehlCookParameters
    record : list, optional
        If given, receives one tuple per step: excitatory spikes, inhibitory spikes,
        excitatory conductances (each (nets, P, N)) and thresholds (nets, N).

    Returns
    -------
    state : DiehlCookState
    presentation : Presentation
        With a leading axis of length ``K`` for a sequence.

    Examples
    --------
    >>> params = DiehlCookParameters(n_inputs=16, n_excitatory=4, presentation=0.05,
    ...                              rest=0.01, max_rate=400.0)
    >>> state = diehl_cook_state(params, [0])
    >>> state, shown = diehl_cook_train(state, torch.ones(1, 1, 16), params)
    >>> int(shown.counts.sum()) >= params.min_spikes, shown.presentations.tolist()
    (True, [[1]])
    >>> state, shown = diehl_cook_train(state, torch.ones(3, 1, 1, 16), params)
    >>> shown.counts.shape
    torch.Size([3, 1, 1, 4])
    """
    state = _check_state(state, params)
    nets, parallel = state.excitatory.v.shape[:2]
    shape = (nets, parallel, params.n_inputs)
    sequence = isinstance(images, torch.Tensor) and images.ndim == 4
    images = _check_images(images, (None, *shape) if sequence else shape, state.weight)
    if not sequence:
        images = images.unsqueeze(0)
    if _diehl_cook_kernel.runs_on(state.weight) and parallel == 1 and record is None:
        state, shown = _train_kernel(state, images, params)
    else:
        results = []
        for batch in images:
            state, presented = _train_one(state, batch, params, record)
            results.append(presented)
        shown = Presentation(*(torch.stack(field) for field in zip(*results, strict=True)))
    if not sequence:
        shown = Presentation(shown.counts[0], shown.presentations[0])
    return state, shown


def _train_one(
    state: DiehlCookState,
    images: torch.Tensor,
    params: DiehlCookParameters,
    record: list[tuple[torch.Tensor, ...]] | None,
) -> tuple[DiehlCookState, Presentation]:
    """:func:`diehl_cook_train` of one image per slot, ``images`` (nets, P, n_in)."""
    nets, parallel = state.excitatory.v.shape[:2]
    device = state.weight.device
    pending = torch.ones(nets, parallel, dtype=torch.bool, device=device)
    counts = torch.zeros(nets, parallel, params.n_excitatory, dtype=torch.int64, device=device)
    shown = torch.zeros(nets, parallel, dtype=torch.int64, device=device)
    for repeat in range(params.max_presentations):
        active = pending.any(1).nonzero().flatten()
        if active.numel() == 0:
            break
        every = active.numel() == nets
        part = state if every else _select(state, active)
        part = part._replace(weight=normalise_weights(part.weight, params.weight_sum))
        waiting = pending[active]
        rate = params.max_rate + repeat * params.rate_increment
        rates = images[active].to(torch.float64) * rate * waiting.unsqueeze(-1)
        network = _Network(part, params)
        got = network.present(rates, learn=True, record=record)
        state = network.state() if every else _put(state, active, network.state())
        counts[active] = torch.where(waiting.unsqueeze(-1), got, counts[active])
        shown[active] += waiting.to(torch.int64)
        pending[active] = waiting & (got.sum(-1) < params.min_spikes)
    return state, Presentation(counts, shown)


def _train_kernel(
    state: DiehlCookState, images: torch.Tensor, params: DiehlCookParameters
) -> tuple[DiehlCookState, Presentation]:
    """:func:`diehl_cook_train` of ``images`` (K, nets, 1, n_in) in one kernel call."""
    network = _Network(state, params)
    tensors = (network.weight, network.theta, network.exc, network.inh, network.traces)
    counts, shown = _diehl_cook_kernel.train_sequence(
        params, images[:, :, 0], network.stream, tensors
    )
    return network.state(), Presentation(counts.unsqueeze(2), shown.unsqueeze(2))


def diehl_cook_responses(
    state: DiehlCookState,
    images: torch.Tensor,
    params: DiehlCookParameters,
    *,
    batch: int = 256,
) -> Presentation:
    r"""Spike counts of frozen networks (no plasticity, fixed thresholds) on many images.

    The paper's test protocol: learning off, :math:`\theta` fixed, each image presented
    (and repeated with more input below ``min_spikes``) as in training. Here every
    presentation starts from rest (as if the silence between images were infinitely
    long, where the paper's 150 ms leave the membrane a fraction
    :math:`e^{-1.5}` of its excursion), so the images are independent: every image is
    presented once, ``batch`` at a time; then, network by network, the images that drew
    fewer than ``min_spikes`` are presented again together, with more input, until they
    fire enough or reach ``max_presentations``. The ``r``-th presentation of image ``k``
    of ``K`` draws its inputs from its network's stream at position
    :math:`c + (rK + k) \cdot` ``presentation_steps``, ``c`` the stream's position in
    ``state`` (which is not advanced: the same call gives the same counts). So an
    image's counts depend neither on ``batch`` nor on the other networks.

    Parameters
    ----------
    state : DiehlCookState
    images : Tensor, shape (K, n_inputs)
        Intensities in ``[0, 1]``, shown to every network.
    params : DiehlCookParameters
    batch : int, default 256
        Images simulated at once.

    Returns
    -------
    Presentation
        ``counts`` of shape (nets, K, N) and ``presentations`` of shape (nets, K).

    Examples
    --------
    >>> params = DiehlCookParameters(n_inputs=16, n_excitatory=4, presentation=0.05,
    ...                              max_rate=400.0)
    >>> state = diehl_cook_state(params, [0])
    >>> diehl_cook_responses(state, torch.ones(3, 16), params).counts.shape
    torch.Size([1, 3, 4])
    """
    state = _check_state(state, params)
    images = _check_images(images, (None, params.n_inputs), state.weight)
    size = check_positive_int("batch", batch)
    nets, n_exc = state.weight.shape[0], params.n_excitatory
    counts = torch.zeros(nets, images.shape[0], n_exc, dtype=torch.int64, device=images.device)
    shown = torch.zeros(nets, images.shape[0], dtype=torch.int64, device=images.device)
    for start in range(0, images.shape[0], size):  # every image once, ``batch`` at a time
        chosen = torch.arange(start, min(start + size, images.shape[0]), device=images.device)
        got = _frozen(state, params, list(range(nets)), images, chosen, 0)
        counts[:, chosen], shown[:, chosen] = got, 1
    for repeat in range(1, params.max_presentations):  # then, per network, the too quiet
        for n in range(nets):
            quiet = (counts[n].sum(-1) < params.min_spikes).nonzero().flatten()
            for start in range(0, quiet.numel(), size):
                chosen = quiet[start : start + size]
                got = _frozen(state, params, [n], images, chosen, repeat)
                counts[n, chosen], shown[n, chosen] = got[0], shown[n, chosen] + 1
    return Presentation(counts, shown)


def _frozen(
    state: DiehlCookState,
    params: DiehlCookParameters,
    nets: list[int],
    images: torch.Tensor,
    chosen: torch.Tensor,
    repeat: int,
) -> torch.Tensor:
    """Counts (len(nets), K', N) of networks ``nets``, frozen, from rest.

    On the images ``chosen`` of ``images``, at their ``repeat``-th presentation.
    """
    index = torch.tensor(nets, device=state.weight.device)
    stream = state.stream[index]
    fresh = _at_rest(params, state.weight[index], state.theta[index], stream, chosen.numel())
    network = _Network(fresh, params)
    rate = params.max_rate + repeat * params.rate_increment
    rates = (images[chosen].to(torch.float64) * rate).expand(len(nets), -1, -1)
    slot = repeat * images.shape[0] + chosen.to(stream.device)
    start = stream[:, 1:] + slot * params.presentation_steps  # (len(nets), K')
    return network.present(rates, start, learn=False, record=None)
