"""The CPU kernel of :mod:`hebbian.spiking.diehl_cook`: its step loop, compiled by Numba.

It performs, step by step and in the same order, the float32 operations of the PyTorch
path (``lif_step`` for both populations, the input drive summed in float64 in ascending
input index, the event-wise triplet STDP, the thresholds), so the two give the same
bits; ``tests/spiking/test_diehl_cook.py`` ties them. The PyTorch path remains the
reference and serves every other device, and the CPU when Numba is not installed.

Every scalar is passed in as ``numpy.float32`` so that the arithmetic stays in float32
where PyTorch's does; the exponentials are :func:`hebbian.spiking._common.fast_exp`'s
(float64 inside, rounded once to float32), a population at a time so that they run as
vector instructions. Where the order of the operations is free (each weight changes at
most once per step and image), the loops run along rows, the order of memory.

The inputs are drawn inside the step loop, as
:func:`~hebbian.spiking.inputs.counter_poisson_spikes` draws them: ``thresholds``
(B, n_inputs) int64 holds each row's :func:`~hebbian.spiking.inputs.spike_thresholds`
(shape (0, n_inputs) for steps without input), ``key`` and ``start`` (B,) int64 each
row's stream key and the position of its first step. Only the inputs with a threshold
above zero are hashed.

The last part of the module is the host side: :func:`advance` and
:func:`train_sequence` hand the network's tensors to the compiled loops as NumPy views,
which they change in place.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch

from hebbian.spiking._numba import (
    AVAILABLE,
    fast_exp_into,
    input_words,
    mix32,
    njit,
    prange,
    set_threads,
    stream_word,
)
from hebbian.spiking.inputs import spike_thresholds
from hebbian.spiking.neurons import HELD_FRACTION, LIFParameters
from hebbian.spiking.stdp import Pairing

if TYPE_CHECKING:
    from hebbian.spiking.diehl_cook import DiehlCookParameters

__all__ = [
    "AVAILABLE",
    "advance",
    "constants",
    "run_frozen",
    "run_steps",
    "runs_on",
    "train_images",
    "train_sequence",
]

# the network's tensors, in this order: weight (nets, n_in + 1, N) with the padding
# row, theta (nets, N) float64, the excitatory and inhibitory LIFStates and the
# TripletTraces, each field (nets, P, ...)
Tensors = tuple[torch.Tensor, torch.Tensor, tuple[torch.Tensor, ...], tuple[torch.Tensor, ...],
                tuple[torch.Tensor, ...]]  # fmt: skip


def _population(
    v: np.ndarray,
    ge: np.ndarray,
    gi: np.ndarray,
    ref: np.ndarray,
    b: int,
    c: np.ndarray,
    threshold: np.ndarray,
    spikes: np.ndarray,
    scratch: np.ndarray,
    work: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """``lif_step`` (conductance synapses) for the neurons of row ``b``, into ``spikes``.

    c: v_rest, e_exc, e_inh, -dt/tau_m, held, dt, v_reset, decay_exc, decay_inh,
    refractory after a spike, v_threshold; ``threshold`` (N,) is added to v_threshold;
    ``scratch`` is (4, N) float32 and ``work`` (N,) float64. In three passes, so that
    the exponentials of the middle one run as vector instructions.
    """
    n = spikes.shape[0]
    v_inf, gap, argument, decay = scratch[0], scratch[1], scratch[2], scratch[3]
    for i in range(n):
        g_e, g_i = ge[b, i], gi[b, i]
        total = (np.float32(1.0) + g_e) + g_i
        drive = (c[0] + g_e * c[1]) + g_i * c[2]
        v_inf[i] = drive / total
        gap[i] = v[b, i] - v_inf[i]
        argument[i] = total * c[3]
    fast_exp_into(argument, decay, work)
    for i in range(n):
        # a neuron at its fixed point stays there: v_inf + 0 * e^x, whatever e^x (finite)
        free = v_inf[i] if gap[i] == np.float32(0.0) else v_inf[i] + gap[i] * decay[i]
        held = ref[b, i] >= c[4]
        v_new = c[6] if held else free
        left = ref[b, i] - c[5]
        ref[b, i] = left if left > np.float32(0.0) else np.float32(0.0)
        ge[b, i] = ge[b, i] * c[7]
        gi[b, i] = gi[b, i] * c[8]
        spike = v_new >= c[10] + threshold[i]
        if spike:
            v_new = c[6]
            ref[b, i] = c[9]
        v[b, i] = v_new
        spikes[i] = spike


def _prepare(
    thresholds: np.ndarray,
    words: np.ndarray,
    index: np.ndarray,
    word: np.ndarray,
    limit: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """How many inputs of a row can spike (threshold > 0); they go to the arrays, ascending.

    ``index`` receives the inputs, ``word`` their
    :func:`~hebbian.spiking._numba.input_words`, ``limit`` their threshold - 1 (so that
    "hash <= limit" fits in uint32).
    """
    count = 0
    for j in range(thresholds.shape[0]):
        if thresholds[j] > 0:
            index[count] = j
            word[count] = words[j]
            limit[count] = np.uint32(thresholds[j] - 1)
            count += 1
    return count


def _draw(
    step_word: np.uint32,
    count: int,
    index: np.ndarray,
    word: np.ndarray,
    limit: np.ndarray,
    flags: np.ndarray,
    into: np.ndarray,
    n_in: int,
) -> None:  # pragma: no cover - compiled
    """Write a step's spiking inputs into ``into``, ascending, then ``n_in``.

    As :func:`~hebbian.spiking.inputs.counter_poisson_spikes` draws them: the hashes
    first (a loop of vector instructions), then the spiking inputs gathered. ``into``
    holds ``n_in + 1`` entries.
    """
    for k in range(count):
        flags[k] = mix32(np.uint32(step_word ^ word[k])) <= limit[k]
    spikes = 0
    for k in range(count):  # without a branch: every input is written, a spike kept
        into[spikes] = index[k]
        spikes += np.int64(flags[k])
    into[spikes] = n_in


def _neurons(
    b: int,
    m: int,
    inputs: np.ndarray,
    has_input: bool,
    weight: np.ndarray,
    theta: np.ndarray,
    exc: tuple[np.ndarray, ...],
    inh: tuple[np.ndarray, ...],
    counts: np.ndarray,
    e_spk: np.ndarray,
    i_spk: np.ndarray,
    acc: np.ndarray,
    scratch: np.ndarray,
    c_exc: np.ndarray,
    c_inh: np.ndarray,
    c_net: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """A step of image ``b`` (network ``m``): both populations, then this step's input.

    ``inputs`` lists the spiking inputs (:func:`_draw`) when ``has_input``.
    Writes the spikes into ``e_spk`` and ``i_spk`` (N,); ``acc`` is (N,) float64 scratch
    (for the exponentials, then the drive), ``scratch`` (5, N) float32 whose last row
    stays zero (the inhibitory thresholds).
    """
    n = e_spk.shape[0]
    n_in = weight.shape[1] - 1
    zero = np.float32(0.0)
    one = np.float32(1.0)
    _population(exc[0], exc[1], exc[2], exc[3], b, c_exc, theta[m], e_spk, scratch, acc)
    _population(inh[0], inh[1], inh[2], inh[3], b, c_inh, scratch[4], i_spk, scratch, acc)
    inhibitory = np.float32(0.0)
    for i in range(n):
        if i_spk[i]:
            inhibitory += one
    for i in range(n):
        others = inhibitory - (one if i_spk[i] else zero)
        exc[2][b, i] = exc[2][b, i] + c_net[0] * others
        if e_spk[i]:
            inh[1][b, i] = inh[1][b, i] + c_net[1]
            counts[b, i] += one
    if has_input:  # per neuron, the inputs in ascending order, in float64
        for i in range(n):
            acc[i] = 0.0
        for k in range(n_in):
            j = inputs[k]
            if j >= n_in:
                break
            for i in range(n):
                acc[i] += np.float64(weight[m, j, i])
        for i in range(n):
            exc[1][b, i] = exc[1][b, i] + np.float32(acc[i])


def _run_frozen(
    steps: int,
    thresholds: np.ndarray,
    key: np.ndarray,
    start: np.ndarray,
    weight: np.ndarray,
    threshold: np.ndarray,
    exc: tuple[np.ndarray, ...],
    inh: tuple[np.ndarray, ...],
    counts: np.ndarray,
    c_exc: np.ndarray,
    c_inh: np.ndarray,
    c_net: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """:func:`_run_steps` without plasticity: the images are independent, in parallel.

    ``threshold`` (nets, N) float32 holds the fixed thresholds theta.

    Each image's arithmetic is the same whatever the thread that runs it, so the result
    does not depend on the number of threads.
    """
    nets, n_rows, n = weight.shape
    n_in = n_rows - 1
    batch = counts.shape[0]
    parallel = batch // nets
    has_input = thresholds.shape[0] > 0
    words = input_words(n_in)
    for b in prange(batch):
        e_spk = np.zeros(n, dtype=np.bool_)
        i_spk = np.zeros(n, dtype=np.bool_)
        acc = np.zeros(n, dtype=np.float64)
        scratch = np.zeros((5, n), dtype=np.float32)
        inputs = np.zeros(n_rows, dtype=np.int64)
        index = np.zeros(n_in, dtype=np.int64)
        word = np.zeros(n_in, dtype=np.uint32)
        limit = np.zeros(n_in, dtype=np.uint32)
        flags = np.zeros(n_in, dtype=np.bool_)
        count = _prepare(thresholds[b], words, index, word, limit) if has_input else 0
        row_key = np.uint32(key[b])
        for t in range(steps):
            if has_input:
                step = stream_word(row_key, start[b] + t)
                _draw(step, count, index, word, limit, flags, inputs, n_in)
            _neurons(b, b // parallel, inputs, has_input, weight, threshold, exc, inh, counts,
                     e_spk, i_spk, acc, scratch, c_exc, c_inh, c_net)  # fmt: skip


def _run_steps(
    steps: int,
    learn: bool,
    thresholds: np.ndarray,
    key: np.ndarray,
    start: np.ndarray,
    weight: np.ndarray,
    theta: np.ndarray,
    exc: tuple[np.ndarray, ...],
    inh: tuple[np.ndarray, ...],
    traces: tuple[np.ndarray, ...],
    counts: np.ndarray,
    c_exc: np.ndarray,
    c_inh: np.ndarray,
    c_net: np.ndarray,
    c_theta: np.ndarray,
    all_to_all: bool,
) -> None:  # pragma: no cover - compiled
    """Advance every network ``steps`` steps in place (see the module docstring).

    thresholds, key, start : the inputs (see the module docstring).
    theta : (nets, N) float64, the thresholds (in float64: their per-step decay is
        below float32's resolution); the neurons compare against a float32 copy.
    c_net : float32: w_inh_exc, w_exc_inh, decays of r1, r2, o1, o2, a2-, a3-, a2+,
        a3+, 1/P, w_min, w_max.
    c_theta : float64: theta's decay per step, theta_plus/P.
    """
    nets, n_rows, n = weight.shape
    n_in = n_rows - 1
    batch = counts.shape[0]
    parallel = batch // nets
    r1, r2, o1, o2 = traces
    e_spk = np.zeros((batch, n), dtype=np.bool_)
    i_spk = np.zeros((batch, n), dtype=np.bool_)
    acc = np.zeros(n, dtype=np.float64)
    scratch = np.zeros((5, n), dtype=np.float32)
    fired_list = np.zeros(n, dtype=np.int64)
    per_post = np.zeros(n, dtype=np.float32)
    inputs = np.zeros((batch, n_rows), dtype=np.int64)  # each step's list, see _draw
    threshold = theta.astype(np.float32)
    one = np.float32(1.0)
    has_input = thresholds.shape[0] > 0
    words = input_words(n_in)
    index = np.zeros((batch, n_in), dtype=np.int64)
    word = np.zeros((batch, n_in), dtype=np.uint32)
    limit = np.zeros((batch, n_in), dtype=np.uint32)
    flags = np.zeros(n_in, dtype=np.bool_)
    count = np.zeros(batch, dtype=np.int64)
    if has_input:
        for b in range(batch):
            count[b] = _prepare(thresholds[b], words, index[b], word[b], limit[b])
    # with one image per network a weight is clipped whenever it changes, so a row within
    # the bounds stays within them: where its input's trace is 0, potentiation skips it
    skippable = np.zeros((nets, n_in), dtype=np.bool_)
    if learn and parallel == 1:
        for m in range(nets):
            for j in range(n_in):
                inside = True
                for i in range(n):
                    w = weight[m, j, i]
                    inside = inside and c_net[11] <= w and w <= c_net[12]
                skippable[m, j] = inside
    for t in range(steps):
        if has_input:
            for b in range(batch):
                step = stream_word(np.uint32(key[b]), start[b] + t)
                _draw(step, count[b], index[b], word[b], limit[b], flags, inputs[b], n_in)
        if learn:
            for m in range(nets):
                for i in range(n):
                    theta[m, i] = theta[m, i] * c_theta[0]
                    threshold[m, i] = np.float32(theta[m, i])
        for b in range(batch):
            _neurons(b, b // parallel, inputs[b], has_input, weight, threshold, exc, inh, counts,
                     e_spk[b], i_spk[b], acc, scratch, c_exc, c_inh, c_net)  # fmt: skip
        if not learn:
            continue
        for b in range(batch):
            for j in range(n_in):
                r1[b, j] = r1[b, j] * c_net[2]
                r2[b, j] = r2[b, j] * c_net[3]
            for i in range(n):
                o1[b, i] = o1[b, i] * c_net[4]
                o2[b, i] = o2[b, i] * c_net[5]
        if has_input:  # depression at the inputs' spikes, then clipping, then the bumps
            for b in range(batch):
                m = b // parallel
                for k in range(n_rows):
                    j = inputs[b, k]
                    if j >= n_in:
                        break
                    per_pre = (c_net[6] + c_net[7] * r2[b, j]) * one
                    if parallel == 1:  # a row is touched once a step: clip it now
                        for i in range(n):
                            w = weight[m, j, i] + c_net[10] * ((-o1[b, i]) * per_pre)
                            weight[m, j, i] = min(max(w, c_net[11]), c_net[12])
                    else:
                        for i in range(n):
                            weight[m, j, i] = weight[m, j, i] + c_net[10] * ((-o1[b, i]) * per_pre)
            for b in range(batch):
                m = b // parallel
                for k in range(n_rows):
                    j = inputs[b, k]
                    if j >= n_in:
                        break
                    if parallel > 1:  # images may share a row: clip after every change
                        for i in range(n):
                            weight[m, j, i] = min(max(weight[m, j, i], c_net[11]), c_net[12])
                    if all_to_all:
                        r1[b, j] = r1[b, j] + one
                        r2[b, j] = r2[b, j] + one
                    else:
                        r1[b, j] = one
                        r2[b, j] = one
        fired = False
        for b in range(batch):
            for i in range(n):
                if e_spk[b, i]:
                    fired = True
        if fired:  # potentiation at the neurons' spikes, clipping, thresholds
            for b in range(batch):
                m = b // parallel
                fired_count = 0
                for i in range(n):
                    if e_spk[b, i]:
                        fired_list[fired_count] = i
                        per_post[fired_count] = (c_net[8] + c_net[9] * o2[b, i]) * one
                        fired_count += 1
                # row by row (each weight changes once, so the order is free): the
                # fired columns of a row are near each other in memory
                for j in range(n_in):
                    rj = r1[b, j]
                    if rj == np.float32(0.0) and skippable[m, j]:
                        continue  # w + 0 = w, within the bounds: clipping keeps it
                    for q in range(fired_count):
                        i = fired_list[q]
                        w = weight[m, j, i] + (per_post[q] * rj) * c_net[10]
                        if parallel == 1:  # a column is touched once a step
                            w = min(max(w, c_net[11]), c_net[12])
                        weight[m, j, i] = w
            if parallel > 1:
                for b in range(batch):
                    m = b // parallel
                    for i in range(n):
                        if e_spk[b, i]:
                            for j in range(n_in):
                                w = weight[m, j, i]
                                weight[m, j, i] = min(max(w, c_net[11]), c_net[12])
            for m in range(nets):
                for i in range(n):
                    fired_here = 0.0
                    for p in range(parallel):
                        if e_spk[m * parallel + p, i]:
                            fired_here += 1.0
                    theta[m, i] = theta[m, i] + c_theta[1] * fired_here
        for b in range(batch):
            for i in range(n):
                if e_spk[b, i]:
                    if all_to_all:
                        o1[b, i] = o1[b, i] + one
                        o2[b, i] = o2[b, i] + one
                    else:
                        o1[b, i] = one
                        o2[b, i] = one


def _normalise(weight: np.ndarray, weight_sum: float) -> None:  # pragma: no cover - compiled
    """:func:`hebbian.spiking.diehl_cook.normalise_weights` of one network, in place.

    ``weight`` (n_inputs + 1, N), its last row the padding input (left alone).
    """
    n_rows, n = weight.shape
    total = np.zeros(n, dtype=np.float64)
    for j in range(n_rows - 1):
        for i in range(n):
            total[i] += np.float64(weight[j, i])
    scale = np.ones(n, dtype=np.float32)
    for i in range(n):
        if total[i] > 0.0:
            scale[i] = np.float32(weight_sum / total[i])
    for j in range(n_rows - 1):
        for i in range(n):
            weight[j, i] = weight[j, i] * scale[i]


def _train_images(
    images: np.ndarray,
    rates: np.ndarray,
    dt: float,
    stream: np.ndarray,
    weight: np.ndarray,
    theta: np.ndarray,
    exc: tuple[np.ndarray, ...],
    inh: tuple[np.ndarray, ...],
    traces: tuple[np.ndarray, ...],
    counts: np.ndarray,
    shown: np.ndarray,
    c_exc: np.ndarray,
    c_inh: np.ndarray,
    c_net: np.ndarray,
    c_theta: np.ndarray,
    all_to_all: bool,
    protocol: np.ndarray,
    weight_sum: float,
) -> None:  # pragma: no cover - compiled
    """``diehl_cook_train`` of ``K`` images per network, one image at a time, in place.

    images : (nets, K, n_inputs) float32, intensities; rates : (R,) float64, the rate of
    each presentation of an image (the R-th is the last allowed). stream : (nets, 2)
    int64, each network's key and position (advanced by the presentations' steps).
    counts : (nets, K, N) int64 and shown : (nets, K) int64 receive what
    :class:`~hebbian.spiking.diehl_cook.Presentation` holds. protocol : int64,
    presentation steps, rest steps, reset (0 or 1), min_spikes. Every other state is
    (nets, ...) as :func:`_run_steps` takes it (one image per network); the networks
    are independent, so each runs all its images before the next starts.
    """
    nets, n_rows, n = weight.shape
    n_in = n_rows - 1
    steps, rest, reset, min_spikes = protocol[0], protocol[1], protocol[2], protocol[3]
    got = np.zeros((1, n), dtype=np.float32)
    quiet = np.zeros((1, n), dtype=np.float32)
    thresholds = np.zeros((1, n_in), dtype=np.int64)
    silent = np.zeros((0, n_in), dtype=np.int64)
    start = np.zeros(1, dtype=np.int64)
    for m in range(nets):
        w, th, key = weight[m : m + 1], theta[m : m + 1], stream[m : m + 1, 0]
        e = (exc[0][m : m + 1], exc[1][m : m + 1], exc[2][m : m + 1], exc[3][m : m + 1])
        q = (inh[0][m : m + 1], inh[1][m : m + 1], inh[2][m : m + 1], inh[3][m : m + 1])
        tr = (traces[0][m : m + 1], traces[1][m : m + 1], traces[2][m : m + 1],
              traces[3][m : m + 1])  # fmt: skip
        for k in range(images.shape[1]):
            for r in range(rates.shape[0]):
                _normalise(weight[m], weight_sum)
                for j in range(n_in):
                    rate = np.float64(images[m, k, j]) * rates[r]
                    thresholds[0, j] = np.int64(np.floor(rate * dt * 4294967296.0))
                got[0, :] = 0.0
                start[0] = stream[m, 1]
                _run_steps(steps, True, thresholds, key, start, w, th, e, q, tr, got,
                           c_exc, c_inh, c_net, c_theta, all_to_all)  # fmt: skip
                stream[m, 1] += steps
                if rest > 0:
                    _run_steps(rest, True, silent, key, start, w, th, e, q, tr, quiet,
                               c_exc, c_inh, c_net, c_theta, all_to_all)  # fmt: skip
                if reset:
                    for x, value in ((e, c_exc[0]), (q, c_inh[0])):
                        x[0][0, :] = value
                        x[1][0, :] = 0.0
                        x[2][0, :] = 0.0
                        x[3][0, :] = 0.0
                    for trace in tr:
                        trace[0, :] = 0.0
                fired = 0.0
                for i in range(n):
                    counts[m, k, i] = np.int64(got[0, i])
                    fired += got[0, i]
                shown[m, k] = r + 1
                if fired >= min_spikes:
                    break


def runs_on(weight: torch.Tensor) -> bool:
    """Whether the compiled kernel simulates networks of these weights (CPU, float32)."""
    return AVAILABLE and weight.device.type == "cpu" and weight.dtype == torch.float32


def constants(
    p: DiehlCookParameters, parallel: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The kernels' constants: each population's, the network's, the thresholds'.

    See :func:`_run_steps` (``c_exc``, ``c_inh``, ``c_net``, ``c_theta``).
    """

    def neuron(q: LIFParameters) -> np.ndarray:
        dt = p.dt
        values = [q.v_rest, q.e_exc, q.e_inh, -dt / q.tau_m, HELD_FRACTION * dt, dt, q.v_reset]
        values += [math.exp(-dt / q.tau_exc), math.exp(-dt / q.tau_inh)]
        return np.array([*values, max(q.refractory - dt, 0.0), q.v_threshold], np.float32)

    rule, scale = p.stdp, 1.0 / parallel
    taus = (rule.tau_plus, rule.tau_x, rule.tau_minus, rule.tau_y)
    decays = [math.exp(-p.dt / tau) for tau in taus]
    amplitudes = [rule.a2_minus, rule.a3_minus, rule.a2_plus, rule.a3_plus]
    bounds = [rule.w_min, rule.w_max]
    network = np.array(
        [p.w_inh_exc, p.w_exc_inh, *decays, *amplitudes, scale, *bounds], dtype=np.float32
    )
    adaptation = np.array([math.exp(-p.dt / p.tau_theta), p.theta_plus * scale], np.float64)
    return neuron(p.excitatory), neuron(p.inhibitory), network, adaptation


def _views(state: tuple[torch.Tensor, ...], batch: int) -> tuple[np.ndarray, ...]:
    """The fields of a state as (batch, -1) NumPy views, for a kernel to change in place."""
    return tuple(t.numpy().reshape(batch, -1) for t in state)


def advance(
    p: DiehlCookParameters,
    parallel: int,
    tensors: Tensors,
    inputs: tuple[torch.Tensor, ...] | None,
    steps: int,
    counts: torch.Tensor,
    *,
    learn: bool,
) -> None:
    """``steps`` steps of the networks (:data:`Tensors`) in place, and the spike counts.

    ``inputs``: each image's rates (B, n_in) float64, stream keys and start positions
    (B,), or None for steps without input; ``counts`` (nets, P, N) float32 receives the
    excitatory spikes. Without learning the images run in parallel on PyTorch's thread
    count (:func:`_run_frozen`, the same bits on any count).
    """
    weight, theta, exc, inh, traces = tensors
    batch = counts[..., 0].numel()
    if inputs is None:
        silent = np.zeros(batch, np.int64)
        drawn = (np.zeros((0, p.n_inputs), np.int64), silent, silent)
    else:
        rates, key, start = inputs
        drawn = (spike_thresholds(rates, p.dt).numpy(), key.numpy(), start.numpy())
    c_exc, c_inh, c_net, c_theta = constants(p, parallel)
    fired = counts.view(batch, -1).numpy()
    views = (weight.numpy(), _views(exc, batch), _views(inh, batch))
    if not learn:
        set_threads(torch.get_num_threads())
        threshold = theta.numpy().astype(np.float32)
        run_frozen(steps, *drawn, views[0], threshold, *views[1:], fired, c_exc, c_inh, c_net)
        return
    all_to_all = p.stdp.pairing is Pairing.ALL_TO_ALL
    run_steps(steps, learn, *drawn, views[0], theta.numpy(), *views[1:],
              _views(traces, batch), fired, c_exc, c_inh, c_net, c_theta, all_to_all)  # fmt: skip


def train_sequence(
    p: DiehlCookParameters, images: torch.Tensor, stream: torch.Tensor, tensors: Tensors
) -> tuple[torch.Tensor, torch.Tensor]:
    """Train networks of one image each on ``images`` (K, nets, n_in) in turn, in place.

    ``stream`` (nets, 2) and the :data:`Tensors` are changed in place. Returns the
    counts (K, nets, N) and presentations (K, nets) of
    :class:`~hebbian.spiking.diehl_cook.Presentation` (:func:`_train_images`).
    """
    weight, theta, exc, inh, traces = tensors
    count, nets = images.shape[:2]
    counts = torch.zeros(nets, count, p.n_excitatory, dtype=torch.int64)
    shown = torch.zeros(nets, count, dtype=torch.int64)
    rates = [p.max_rate + r * p.rate_increment for r in range(p.max_presentations)]
    protocol = [p.presentation_steps, p.rest_steps, p.reset, p.min_spikes]
    train_images(
        images.transpose(0, 1).contiguous().numpy(),
        np.array(rates, dtype=np.float64),
        p.dt,
        stream.numpy(),
        weight.numpy(),
        theta.numpy(),
        _views(exc, nets),
        _views(inh, nets),
        _views(traces, nets),
        counts.numpy(),
        shown.numpy(),
        *constants(p, 1),
        p.stdp.pairing is Pairing.ALL_TO_ALL,
        np.array(protocol, dtype=np.int64),
        p.weight_sum,
    )
    return counts.transpose(0, 1), shown.transpose(0, 1)


run_steps, run_frozen = _run_steps, _run_frozen  # plain Python without Numba: unused
train_images = _train_images
if AVAILABLE:
    _population = njit(cache=True, inline="always")(_population)
    _prepare = njit(cache=True, inline="always")(_prepare)
    _draw = njit(cache=True, inline="always")(_draw)
    _neurons = njit(cache=True, inline="always")(_neurons)
    _normalise = njit(cache=True, inline="always")(_normalise)
    run_steps = _run_steps = njit(cache=True)(_run_steps)
    train_images = njit(cache=True)(_train_images)
    run_frozen = njit(cache=True, parallel=True)(_run_frozen)
