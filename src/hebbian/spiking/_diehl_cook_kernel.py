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
"""

from __future__ import annotations

import numpy as np

from hebbian.spiking._numba import AVAILABLE, fast_exp_into, njit, prange

__all__ = ["AVAILABLE", "run_frozen", "run_steps"]


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
) -> None:  # pragma: no cover - compiled
    """``lif_step`` (conductance synapses) for the neurons of row ``b``, into ``spikes``.

    c: v_rest, e_exc, e_inh, -dt/tau_m, held, dt, v_reset, decay_exc, decay_inh,
    refractory after a spike, v_threshold; ``threshold`` (N,) is added to v_threshold;
    ``scratch`` is (4, N) float32. In three passes, so that the exponentials of the
    middle one run as vector instructions.
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
    fast_exp_into(argument, decay)
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


def _inputs(spikes: np.ndarray, into: np.ndarray) -> None:  # pragma: no cover - compiled
    """The indices of the spiking inputs (``spikes`` (n_in,)), ascending, then ``n_in``."""
    count = 0
    for j in range(spikes.shape[0]):
        if spikes[j]:
            into[count] = j
            count += 1
    into[count] = spikes.shape[0]


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

    ``inputs`` lists the spiking inputs (:func:`_inputs`) when ``has_input``.
    Writes the spikes into ``e_spk`` and ``i_spk`` (N,); ``acc`` is (N,) float64 scratch,
    ``scratch`` (5, N) float32 whose last row stays zero (the inhibitory thresholds).
    """
    n = e_spk.shape[0]
    n_in = weight.shape[1] - 1
    zero = np.float32(0.0)
    one = np.float32(1.0)
    _population(exc[0], exc[1], exc[2], exc[3], b, c_exc, theta[m], e_spk, scratch)
    _population(inh[0], inh[1], inh[2], inh[3], b, c_inh, scratch[4], i_spk, scratch)
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
    spikes: np.ndarray,
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
    batch = counts.shape[0]
    parallel = batch // nets
    has_input = spikes.shape[0] > 0
    for b in prange(batch):
        e_spk = np.zeros(n, dtype=np.bool_)
        i_spk = np.zeros(n, dtype=np.bool_)
        acc = np.zeros(n, dtype=np.float64)
        scratch = np.zeros((5, n), dtype=np.float32)
        inputs = np.zeros(n_rows, dtype=np.int64)
        for t in range(steps):
            if has_input:
                _inputs(spikes[t, b], inputs)
            _neurons(b, b // parallel, inputs, has_input, weight, threshold, exc, inh, counts,
                     e_spk, i_spk, acc, scratch, c_exc, c_inh, c_net)  # fmt: skip


def _run_steps(
    steps: int,
    learn: bool,
    spikes: np.ndarray,
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

    spikes : (steps, B, n_inputs) bool, the inputs' spikes; shape (0, B, n_inputs) for
        steps without input.
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
    inputs = np.zeros((batch, n_rows), dtype=np.int64)  # each step's list, see _inputs
    threshold = theta.astype(np.float32)
    one = np.float32(1.0)
    has_input = spikes.shape[0] > 0
    for t in range(steps):
        if has_input:
            for b in range(batch):
                _inputs(spikes[t, b], inputs[b])
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


run_steps, run_frozen = _run_steps, _run_frozen  # plain Python without Numba: unused
if AVAILABLE:
    _population = njit(cache=True, inline="always")(_population)
    _inputs = njit(cache=True, inline="always")(_inputs)
    _neurons = njit(cache=True, inline="always")(_neurons)
    run_steps = njit(cache=True)(_run_steps)
    run_frozen = njit(cache=True, parallel=True)(_run_frozen)
