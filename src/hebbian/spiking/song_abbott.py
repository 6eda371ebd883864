r"""The network of Song, Miller & Abbott (2000), with an exact event-driven simulator.

Many Poisson inputs project onto one conductance-based LIF neuron through synapses with
additive, all-to-all pair STDP; :func:`song_abbott_run` simulates many independent
networks at once with the trajectory of stepping
:func:`~hebbian.spiking.networks.feedforward_stdp_step` (up to rounding): on the CPU with
Numba a compiled kernel steps through the input events, elsewhere PyTorch computes whole
windows of steps between output spikes in closed form, fast enough for 10^6 steps.

Units: time in seconds, potentials in mV, rates in Hz, conductances relative to the
leak conductance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import torch

from hebbian._checks import check_floating_tensor, check_positive, check_positive_int
from hebbian.spiking import _song_abbott_kernel
from hebbian.spiking._common import check_dt, fast_exp
from hebbian.spiking.inputs import poisson_events
from hebbian.spiking.neurons import LIFParameters, Synapses
from hebbian.spiking.stdp import Bounds, Pairing, PairSTDPParameters

__all__ = [
    "WEIGHT_BINS",
    "SongAbbottParameters",
    "SongAbbottRaster",
    "SongAbbottRecord",
    "SongAbbottState",
    "WeightDistribution",
    "output_rates",
    "record_raster",
    "song_abbott_memory_bytes",
    "song_abbott_run",
    "song_abbott_state",
    "weight_distribution",
]


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

    def without_plasticity(self) -> SongAbbottParameters:
        """The same network with :math:`A_+ = A_- = 0`: frozen weights, for a rate probe.

        Examples
        --------
        >>> SongAbbottParameters().without_plasticity().stdp.a_plus
        0.0
        """
        return replace(self, stdp=replace(self.stdp, a_plus=0.0, a_minus=0.0))


def song_abbott_memory_bytes(
    params: SongAbbottParameters, rates: Sequence[float], dt: float, *, window: int = 400
) -> int:
    r"""Bytes that :func:`song_abbott_run` holds at once for one network per rate, roughly.

    Per network, with :math:`e = N r_\max dt` input events per step: about a dozen
    float64 copies of the weights and traces (:math:`12 \cdot 8 N`), twenty tensors per
    input event of a window (:math:`20 \cdot 8 e \cdot \mathrm{window}`), four per event of
    a block of 5000 steps of drawn input (:math:`4 \cdot 8 e \cdot 5000`) and ten per
    step of a window (:math:`10 \cdot 8 \cdot \mathrm{window}`). Check it with
    :func:`hebbian._checks.check_memory` before a run whose size comes from a setting.

    Examples
    --------
    >>> song_abbott_memory_bytes(SongAbbottParameters(), [15.0, 30.0], 1e-4)
    1600000
    """
    if not isinstance(params, SongAbbottParameters):
        raise TypeError(f"params must be SongAbbottParameters, got {type(params).__name__}")
    window = check_positive_int("window", window)
    per_step = params.n_inputs * max(rates) * dt  # input events per step
    per_network = (
        12 * 8 * params.n_inputs
        + 20 * 8 * per_step * window
        + 4 * 8 * per_step * 5000
        + 10 * 8 * window
    )
    return int(len(rates) * per_network)


WEIGHT_BINS = 20
"""Bins of :func:`weight_distribution`'s histogram on ``[0, w_max]``."""


class WeightDistribution(NamedTuple):
    """How B networks' weights spread over ``[0, w_max]`` (CPU tensors, float64).

    Attributes
    ----------
    histogram : Tensor, shape (B, WEIGHT_BINS)
        Fraction of the synapses in each of 20 equal bins of ``w / w_max``.
    fraction_near_zero, fraction_near_max : Tensor, shape (B,)
        Fraction with ``w / w_max < 0.1`` and ``> 0.9``.
    end_to_middle_ratio : Tensor, shape (B,)
        Mean mass per tenth of the range at the two ends over that in ``[0.1, 0.9]``:
        1 for uniform weights, above 1 for bimodal ones.
    mean_weight : Tensor, shape (B,)
        Mean of ``w / w_max``.
    """

    histogram: torch.Tensor
    fraction_near_zero: torch.Tensor
    fraction_near_max: torch.Tensor
    end_to_middle_ratio: torch.Tensor
    mean_weight: torch.Tensor


def weight_distribution(weight: torch.Tensor, w_max: float) -> WeightDistribution:
    r"""Histogram and bimodality of each network's weights (Song et al. 2000, Fig. 1).

    With :math:`u = \mathrm{clip}(w / w_\max, 0, 1)`, the histogram has 20 bins of
    width 0.05 (``u = 1`` in the last); the end-to-middle ratio is
    :math:`\tfrac12 (P(u < 0.1) + P(u > 0.9)) / (2 \bar h_{[0.1, 0.9]})` with
    :math:`\bar h` the mean bin mass over the middle sixteen bins.

    Parameters
    ----------
    weight : Tensor, shape (B, N)
    w_max : float
        The upper bound of the weights.

    Examples
    --------
    >>> summary = weight_distribution(torch.tensor([[0.0, 0.01, 0.005, 0.01]]), 0.01)
    >>> summary.fraction_near_zero.tolist(), summary.fraction_near_max.tolist()
    ([0.25], [0.5])
    """
    weight = check_floating_tensor("weight", weight, ndim=2)
    w_max = check_positive("w_max", w_max)
    scaled = (weight / w_max).clamp(0, 1)  # (B, N)
    index = (scaled * WEIGHT_BINS).long().clamp_max(WEIGHT_BINS - 1)
    hist = torch.zeros(weight.shape[0], WEIGHT_BINS, dtype=torch.float64)
    hist.scatter_add_(1, index.cpu(), torch.ones_like(scaled, dtype=torch.float64).cpu())
    hist = hist / weight.shape[1]
    low = (scaled < 0.1).double().mean(1).cpu()
    high = (scaled > 0.9).double().mean(1).cpu()
    middle = hist[:, 2:-2].mean(1) * 2  # mean mass per tenth of the range, 0.1 .. 0.9
    ratio = ((low + high) / 2) / middle.clamp_min(1e-12)
    return WeightDistribution(hist, low, high, ratio, (weight.mean(1) / w_max).cpu())


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


class _Window(NamedTuple):
    """The input events of one window, padded to E per network and sorted by synapse."""

    step: torch.Tensor  # (B, E) local step of each event, T for padding
    synapse: torch.Tensor  # (B, E) input index, 0 for padding
    valid: torch.Tensor  # (B, E) bool
    segment_start: torch.Tensor  # (B, E) position of the first event of the same synapse
    post_decay: torch.Tensor  # (B, E) q^n = e^{-n dt / tau_-} at the local step n, 0 for padding
    pre_growth: torch.Tensor  # (B, E) p^{-(n+1)} = e^{(n+1) dt / tau_+}, 0 for padding


def _window_events(
    steps: torch.Tensor,
    synapses: torch.Tensor,
    starts: torch.Tensor,
    ends: torch.Tensor,
    t0: int,
    length: int,
    n_inputs: int,
    tables: _Tables,
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
    post_decay = torch.where(valid, tables.post.take(local), 0.0)
    pre_growth = torch.where(valid, tables.pre_inverse.take(local), 0.0)
    return _Window(local, synapse, valid, segment_start, post_decay, pre_growth)


class _Tables(NamedTuple):
    """Powers of the per-step decay factors, computed once per call for windows of T steps."""

    g: torch.Tensor  # (T + 2,) d^k, d = e^{-dt/tau_e}
    g_inverse: torch.Tensor  # (T + 2,) d^{-k}
    post: torch.Tensor  # (T + 2,) q^k, q = e^{-dt/tau_-}
    post_inverse: torch.Tensor  # (T + 2,) q^{1-k}
    pre: torch.Tensor  # (T + 2,) p^k, p = e^{-dt/tau_+}
    pre_inverse: torch.Tensor  # (T + 2,) p^{-(k+1)}
    time: torch.Tensor  # (T,) 0 .. T - 1
    networks: torch.Tensor  # (B,) 0 .. B - 1


def _tables(
    window: int,
    batch: int,
    dt: float,
    neuron: LIFParameters,
    rule: PairSTDPParameters,
    device: torch.device,
) -> _Tables:
    k = torch.arange(window + 2, device=device, dtype=torch.float64)
    g = fast_exp(k * (-dt / neuron.tau_exc))
    post = fast_exp(k * (-dt / rule.tau_minus))
    return _Tables(
        g=g,
        g_inverse=fast_exp(k * (dt / neuron.tau_exc)),
        post=post,
        post_inverse=fast_exp((k - 1.0) * (dt / rule.tau_minus)),
        pre=fast_exp(k * (-dt / rule.tau_plus)),
        pre_inverse=fast_exp((k + 1.0) * (dt / rule.tau_plus)),
        time=torch.arange(window, device=device),
        networks=torch.arange(batch, device=device),
    )


_PADE_LIMIT = 1.0 / 16.0  # |x| up to which the [4/4] Pade approximant of e^x - 1 is used
_LARGEST_GROWTH = 700.0  # largest ln F_n of a window (F_n = e^{sum of the exponents})


def _expm1(x: torch.Tensor) -> torch.Tensor:
    r"""``e^x - 1`` for ``x >= 0`` with the same bits on every machine, in about 11 operations.

    The [4/4] Pade approximant of :math:`e^x` is :math:`(E + O)/(E - O)` with
    :math:`E = 1 + \tfrac{3}{28}x^2 + \tfrac{1}{1680}x^4` and
    :math:`O = \tfrac{x}{2} + \tfrac{x^3}{84}`, so :math:`e^x - 1 = 2O/(E - O)`, without
    cancellation; its relative error is below :math:`10^{-17}` for
    :math:`0 \le x \le 1/16`. Larger arguments are halved :math:`s` times (exactly) and
    doubled back with :math:`e^{2x} - 1 = (e^x - 1)(e^x + 1)`. Additions, multiplications
    and divisions only, as in :func:`~hebbian.spiking._common.fast_exp`. ``x`` is a
    segment's exponents :math:`dt (1 + g_k)/\tau_m`, shape (R, T); a ValueError is
    raised when their sum over a window could overflow :math:`F_n` (conductances
    sustained far above the leak's: a smaller window fixes it).
    """
    top = float(x.max()) if x.numel() else 0.0
    if top * x.shape[-1] > _LARGEST_GROWTH:
        raise ValueError(
            f"the membrane's decay over a window, e^(-{top * x.shape[-1]:.0f}), underflows "
            "float64 (a conductance far above the leak's): pass a smaller window"
        )
    halvings = max(0, math.ceil(math.log2(top / _PADE_LIMIT))) if top > _PADE_LIMIT else 0
    if halvings:
        x = x * 2.0**-halvings
    square = x * x
    even = square * (1.0 / 1680.0)
    even += 3.0 / 28.0
    even *= square
    even += 1.0
    twice_odd = square * (1.0 / 42.0)
    twice_odd += 1.0
    twice_odd *= x
    even -= twice_odd * 0.5
    result = twice_odd.div_(even)
    for _ in range(halvings):
        result = result * (result + 2.0)
    return result


def song_abbott_run(
    state: SongAbbottState,
    params: SongAbbottParameters,
    rates: torch.Tensor | Sequence[float] | float,
    steps: int,
    dt: float,
    *,
    window: int | None = None,
    block: int = 5000,
    record_inputs: int = 0,
    threads: int | None = None,
) -> tuple[SongAbbottState, SongAbbottRecord]:
    r"""Simulate B Song-Abbott networks for ``steps`` steps of ``dt``, event by event.

    The model, per step and in Brian2's order, is exactly that of
    :func:`~hebbian.spiking.networks.feedforward_stdp_step` with conductance-based
    synapses held constant over a step (exponential Euler):
    :math:`V \leftarrow V_\infty + (V - V_\infty) e^{-dt(1+g)/\tau_m}`,
    :math:`g \leftarrow g e^{-dt/\tau_e}`, threshold, then for every input spike
    :math:`g \mathrel{+}= w_j`, :math:`w_j \leftarrow \max(0, w_j - A_- y)`, then on an
    output spike :math:`w \leftarrow \min(w_\max, w + A_+ x)`, reset.

    On the CPU with Numba, a compiled kernel steps through each block in this order,
    with lazily decayed presynaptic traces (:mod:`hebbian.spiking._song_abbott_kernel`;
    compiled on first use and cached, a few seconds once).

    Elsewhere (CUDA, or without Numba), the time axis is cut into windows of
    ``window`` steps. Between
    two output spikes the weights only fall, by known amounts, at the input spikes, so
    for a whole window at once: the depressions are cumulative sums per synapse, the
    conductance is a linear recurrence :math:`g_{n+1} = g_n e^{-dt/\tau_e} + I_n`
    (solved with a scaled cumulative sum) and so is the membrane,
    :math:`V_{n+1} = a_n V_n + c_n` with :math:`a_n = e^{-dt (1 + g_n)/\tau_m}`, solved
    with one cumulative product of :math:`1/a_n` (from a Pade approximant of
    :math:`e^x - 1`, no exponential function) and one cumulative sum. The weights are
    read once per input event and pass, the events of a window are sorted by synapse
    once for all its passes, and the decay tables are computed once per call. The first
    threshold crossing of each network ends its segment; the
    output spike's potentiation and reset are applied and the window is resumed from
    the next step. Input spikes are drawn per network with
    :func:`~hebbian.spiking.inputs.poisson_events` in blocks of ``block`` steps from the
    network's own generator. The result equals stepping
    :func:`~hebbian.spiking.networks.feedforward_stdp_step` up to floating-point
    rounding (float64 throughout).

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
    window : int, optional
        Steps per window (speed only): by default 2000 for up to 4 networks (fewer
        windows, each looked through once per output spike in it) and 400 for more
        (in a longer window the batch waits longer for its most active network), at
        most :math:`20 \tau_m / dt`. Not used by the kernel.
    block : int
        Steps of input drawn at once per network (memory: about
        ``block * n_inputs * rate * dt`` events per network). The input stream depends
        on how ``steps`` is split into calls and blocks: resuming with the same calls
        reproduces it.
    record_inputs : int
        Also return the spikes of the first ``record_inputs`` inputs (for rasters).
    threads : int, optional
        Threads of the compiled kernel (see its ``Blocks``; speed only, the same result
        for any number), default ``torch.get_num_threads()``.

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
    block = check_positive_int("block", block)
    record_inputs = check_positive_int("record_inputs", record_inputs, minimum=0)
    threads = torch.get_num_threads() if threads is None else check_positive_int("threads", threads)
    weight = check_floating_tensor("state.weight", state.weight, shape=(None, params.n_inputs))
    batch, n_inputs = weight.shape
    device, dtype = weight.device, torch.float64
    if window is None:  # at most 20 membrane time constants, for the range of F_n
        window = min(2000 if batch <= 4 else 400, max(1, int(20 * params.neuron.tau_m / dt)))
    window = check_positive_int("window", window)
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

    v, g, y, x = (
        t.detach().clone(memory_format=torch.contiguous_format)
        for t in (state.v, state.g, state.post_trace, state.pre_trace)
    )
    weight = weight.detach().clone(memory_format=torch.contiguous_format)
    start_step = int(state.step[0])
    post_records: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    input_records: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    longest = min(window, block, steps)
    if longest * dt / min(neuron.tau_exc, rule.tau_plus, rule.tau_minus) > _LARGEST_GROWTH:
        raise ValueError(
            f"window={window} steps of dt={dt:g} s spans too many synaptic or STDP time "
            "constants for float64's decay tables: pass a smaller window"
        )
    tables = _tables(longest, batch, dt, neuron, rule, device)
    kernel = None  # the compiled kernel on the CPU (with Numba), this PyTorch path elsewhere
    if device.type == "cpu" and _song_abbott_kernel.AVAILABLE:
        kernel = _song_abbott_kernel.Blocks(
            v, g, y, weight, x, neuron, rule, dt, min(block, steps), threads
        )
    try:
        for block_start in range(0, steps, block):
            length = min(block, steps - block_start)
            offset = start_step + block_start  # global step of the block's first step
            # ---- draw this block's input events, network by network
            drawn = [
                poisson_events(rate, n_inputs, length, dt, generator=generator)
                for rate, generator in zip(rate_list, generators, strict=True)
            ]
            if record_inputs:
                for b, (s, j) in enumerate(drawn):
                    keep = j < record_inputs
                    k = int(keep.sum())
                    input_records.append((torch.full((k,), b), s[keep] + offset, j[keep]))
            if kernel is not None:
                kernel.submit(drawn, length, offset)
                continue
            width = max(1, max(len(s) for s, _ in drawn))
            block_steps = torch.full((batch, width), length + window, dtype=torch.int64)
            block_syn = torch.zeros((batch, width), dtype=torch.int64)
            for b, (s, j) in enumerate(drawn):
                block_steps[b, : len(s)] = s
                block_syn[b, : len(j)] = j
            block_steps, block_syn = block_steps.to(device), block_syn.to(device)

            for t0 in range(0, length, window):
                span = min(window, length - t0)
                bounds = torch.tensor([[t0, t0 + span]], device=device).expand(batch, 2)
                edges = torch.searchsorted(block_steps, bounds.contiguous())  # (B, 2)
                events = _window_events(
                    block_steps, block_syn, edges[:, 0], edges[:, 1], t0, span, n_inputs, tables
                )
                v, g, weight, x, y, spikes = _run_window(
                    v, g, weight, x, y, events, span, dt, neuron, rule, tables
                )
                for networks, local, fired in spikes:
                    post_records.append((networks, local + (offset + t0), fired))

        if kernel is not None:
            post_records = kernel.finish()
    finally:
        if kernel is not None:
            kernel.close()
    rng = torch.stack([generator.get_state() for generator in generators])
    new_state = SongAbbottState(v, g, weight, x, y, rng, state.step + steps)
    return new_state, _record(post_records, input_records, device)


def _rates(rates: torch.Tensor | Sequence[float] | float, batch: int, dt: float) -> list[float]:
    if isinstance(rates, bool):
        raise TypeError("rates must be a number, a sequence of numbers or a tensor, got bool")
    if isinstance(rates, (int, float)):
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
    post: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
    inputs: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
    device: torch.device,
) -> SongAbbottRecord:
    empty = torch.zeros(0, dtype=torch.int64, device=device)
    post_network, post_step = empty, empty.clone()
    if post:  # (networks, steps, fired) of every pass, in time order per network
        fired = torch.cat([f for _, _, f in post])
        post_network = torch.cat([b for b, _, _ in post])[fired]
        post_step = torch.cat([s for _, s, _ in post])[fired]
        order = torch.sort(post_network, stable=True).indices  # by network, time order kept
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
    tables: _Tables,
) -> tuple[
    torch.Tensor,
    torch.Tensor,
    torch.Tensor,
    torch.Tensor,
    torch.Tensor,
    list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
]:
    """Advance every network through one window of ``length`` steps (see song_abbott_run).

    Returns ``v, g, weight, x, y`` at the end of the window and the output spikes as a
    list of ``(network indices, local steps, fired)`` triples, one per pass (a network's
    spike is its local step where ``fired`` holds). Each pass computes, for the
    networks still inside the window, their trajectory from where they are up to the
    window's end, and keeps it up to their first output spike; the networks that fired
    go round again from the step after it.
    """
    batch = weight.shape[0]
    device = weight.device
    offset = torch.zeros(batch, dtype=torch.int64, device=device)  # first step not yet done
    spikes: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
    sub: torch.Tensor | None = None  # the networks still inside the window (None: all)
    everyone = tables.networks[:batch]
    while True:
        if sub is None:
            part = _segment(v, g, y, weight, x, offset, events, length, dt, neuron, rule, tables)
            v, g, y, weight, offset, fired, first = part
            networks = everyone
        else:
            rows = _Window(*(t.index_select(0, sub) for t in events))
            v_s, g_s, y_s, w_s, x_s, o_s = (
                t.index_select(0, sub) for t in (v, g, y, weight, x, offset)
            )
            part = _segment(v_s, g_s, y_s, w_s, x_s, o_s, rows, length, dt, neuron, rule, tables)
            for target, value in zip((v, g, y, weight, offset), part[:5], strict=True):
                target.index_copy_(0, sub, value)
            fired, first, networks = part[5], part[6], sub
        spikes.append((networks, first, fired))
        going = fired & (first < length - 1)  # fired with steps left in the window
        count = int(going.sum())
        if count == 0:
            break
        sub = None if count == batch else networks[going]

    # presynaptic traces at the end: x p^T + sum_e p^{T - 1 - n_e} = p^T (x + sum_e p^{-(n_e+1)})
    x = x.scatter_add(1, events.synapse, events.pre_growth).mul_(tables.pre[length])
    return v, g, weight, x, y, spikes


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
    tables: _Tables,
) -> tuple[torch.Tensor, ...]:
    r"""From step ``offset`` of the window to the first output spike (or the window's end).

    All tensors hold the rows of the networks concerned: ``v, g, y, offset`` (R,),
    ``weight, x_start`` (R, N) (``x_start``: traces at the window's start), events
    (R, E). Returns the new ``v, g, y, weight, offset`` and, per row, whether it fired
    and at which local step.

    The membrane is solved with :math:`F_n = \prod_{o \le k < n} (1 + m_k)`,
    :math:`m_k = e^{dt (1 + g_k)/\tau_m} - 1`: from
    :math:`V_{k+1} = V_{\infty,k} + (V_k - V_{\infty,k})/(1 + m_k)` follows
    :math:`F_{k+1} V_{k+1} = F_k V_k + F_k m_k V_{\infty,k}`, so
    :math:`F_n V_n = V_o + \sum_{o \le k < n} F_k m_k V_{\infty,k}` (two cumulative
    operations) and the threshold test :math:`V_n \ge V_{th}` reads
    :math:`F_n V_n \ge F_n V_{th}`.
    """
    ev_step, ev_syn, _, seg_start, ev_post, ev_pre = events
    rows = weight.shape[0]
    dtype, device = weight.dtype, weight.device
    start = offset.unsqueeze(1)  # (R, 1)
    live = (ev_step >= start).to(dtype)  # (R, E), 1 for the events of this segment
    # depression at each event before any new output spike, negative:
    # -A_- y e^{-(n - o + 1) dt/tau_-} = -A_- y q^{1 - o} q^n (padding: q^n = 0)
    scale = (y * tables.post_inverse.index_select(0, offset)).mul_(-rule.a_minus)
    depression = (ev_post * scale.unsqueeze(1)).mul_(live)
    # depression of the same synapse by its earlier events in this segment
    before = torch.cumsum(depression, dim=1).sub_(depression)
    before -= before.gather(1, seg_start)
    w_before = (weight.gather(1, ev_syn) + before).clamp_min_(0.0)  # (R, E), weight at the event
    drive = torch.zeros(rows, length + 1, dtype=dtype, device=device)  # padding lands at T
    drive.scatter_add_(1, ev_step, w_before.mul_(live))  # sum_j w_j s_j(n)

    # conductance: g_n = d^n (g_o d^{-o} + sum_{m < n} I_m d^{-(m+1)}), I_m = 0 for m < o
    g_path = torch.zeros(rows, length + 1, dtype=dtype, device=device)
    torch.cumsum(drive[:, :length] * tables.g_inverse[1 : length + 1], dim=1, out=g_path[:, 1:])
    g_path += (g * tables.g_inverse.index_select(0, offset)).unsqueeze(1)
    g_path *= tables.g[: length + 1]

    # membrane, with F_n and m_k as in the docstring (m_k = 0 before the segment)
    g_steps = g_path[:, :length]
    total = g_steps + 1.0
    after = tables.time[:length] >= start  # (R, T), steps of the segment
    growth = _expm1((total * (dt / neuron.tau_m)).mul_(after))
    scaled_v = torch.ones(rows, length + 1, dtype=dtype, device=device)
    torch.cumprod(growth + 1.0, dim=1, out=scaled_v[:, 1:])  # F_n
    v_inf = (g_steps * neuron.e_exc).add_(neuron.v_rest).div_(total)
    summed = torch.zeros(rows, length + 1, dtype=dtype, device=device)
    torch.cumsum(v_inf.mul_(growth).mul_(scaled_v[:, :length]), dim=1, out=summed[:, 1:])
    summed += v.unsqueeze(1)  # F_n V_n

    # V_n >= V_th, first crossing per row (F_n V_n = V_o < V_th up to the segment's start)
    crossing = summed[:, 1:] >= scaled_v[:, 1:] * neuron.v_threshold  # (R, T)
    fired, first = crossing.max(dim=1)
    last = torch.where(fired, first, length - 1)  # last step of this segment
    seen = (ev_step <= last.unsqueeze(1)).to(dtype)  # events up to the segment's end

    # weights after the segment's depressions: max(0, w - total depression)
    weight = weight.scatter_add(1, ev_syn, depression.mul_(seen)).clamp_min_(0.0)
    g_end = g_path.gather(1, (last + 1).unsqueeze(1)).squeeze(1)
    v_end = torch.where(fired, neuron.v_reset, summed[:, length] / scaled_v[:, length])
    y_end = y * tables.post.index_select(0, last - offset + 1) + fired
    count = int(fired.sum())
    if count:
        # presynaptic traces at the spike s, from those at the window's start:
        # x_start p^{s+1} + sum_{n_e <= s} p^{s - n_e} = p^{s+1} (x_start + sum p^{-(n_e+1)})
        x_spike = x_start.scatter_add(1, ev_syn, seen.mul_(ev_pre))
        x_spike *= (tables.pre.index_select(0, last + 1) * rule.a_plus).unsqueeze(1)
        potentiated = x_spike.add_(weight).clamp_max_(rule.w_max)
        weight = (
            potentiated if count == rows else torch.where(fired.unsqueeze(1), potentiated, weight)
        )
    return v_end, g_end, y_end, weight, last + 1, fired, last


def output_rates(record: SongAbbottRecord, batch: int, seconds: float) -> torch.Tensor:
    """Output rate of each of ``batch`` networks (Hz): its spikes in ``record`` / ``seconds``.

    Parameters
    ----------
    record : SongAbbottRecord
        The spikes of one :func:`song_abbott_run` call.
    batch : int
        Networks simulated, B.
    seconds : float
        Time the call simulated (steps times dt).

    Returns
    -------
    Tensor of float64, shape (B,), on the CPU

    Examples
    --------
    >>> empty = torch.zeros(0, dtype=torch.int64)
    >>> record = SongAbbottRecord(torch.tensor([0, 0, 1]), torch.tensor([3, 9, 4]),
    ...                           empty, empty, empty)
    >>> output_rates(record, 3, 0.5).tolist()
    [4.0, 2.0, 0.0]
    """
    batch = check_positive_int("batch", batch)
    seconds = check_positive("seconds", seconds)
    counts = torch.bincount(record.post_network.cpu(), minlength=batch)
    return counts.double() / seconds


class SongAbbottRaster(NamedTuple):
    """Spikes of one network in a stretch of steps, counted from the stretch's start.

    Attributes
    ----------
    input_step, input_index : Tensor of int64, shape (M,)
        Step and input index of every recorded input spike.
    post_step : Tensor of int64, shape (K,)
        Step of every output spike.
    """

    input_step: torch.Tensor
    input_index: torch.Tensor
    post_step: torch.Tensor


def record_raster(
    record: SongAbbottRecord, start: int, steps: int, *, network: int = 0
) -> SongAbbottRaster:
    """The spikes of ``network`` in ``record`` during the steps ``start .. start + steps - 1``.

    The input spikes are those the run recorded (``record_inputs`` inputs); steps are
    given relative to ``start``, so a raster plots against ``step * dt`` seconds.

    Examples
    --------
    >>> record = SongAbbottRecord(torch.tensor([0, 0, 1]), torch.tensor([12, 30, 11]),
    ...                           torch.tensor([0, 0, 1]), torch.tensor([10, 25, 10]),
    ...                           torch.tensor([3, 1, 2]))
    >>> [r.tolist() for r in record_raster(record, 10, 10)]
    [[0], [3], [2]]
    """
    end = start + check_positive_int("steps", steps)
    take = (record.input_network == network) & (record.input_step >= start)
    take &= record.input_step < end
    post = (record.post_network == network) & (record.post_step >= start)
    post &= record.post_step < end
    return SongAbbottRaster(
        record.input_step[take] - start, record.input_index[take], record.post_step[post] - start
    )
