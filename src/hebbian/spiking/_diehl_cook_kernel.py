"""The CPU kernel of :mod:`hebbian.spiking.diehl_cook`: its step loop, compiled by Numba.

It performs, step by step and in the same order, the float32 operations of the PyTorch
path (``lif_step`` for both populations, the input drive summed in float64 in ascending
input index, the event-wise triplet STDP, the thresholds), so the two give the same
bits; ``tests/spiking/test_diehl_cook.py`` ties them. The PyTorch path remains the
reference and serves every other device, and the CPU when Numba is not installed.

Every scalar is passed in as ``numpy.float32`` so that the arithmetic stays in float32
where PyTorch's does; ``fast_exp`` is :func:`hebbian.spiking._common.fast_exp` written
out for one number (float64 inside, rounded once to float32).
"""

from __future__ import annotations

import numpy as np

from hebbian.spiking._numba import AVAILABLE, fast_exp_scalar, njit, prange

__all__ = ["AVAILABLE", "run_frozen", "run_steps"]


def _fast_exp(x32: np.float32) -> np.float32:  # pragma: no cover - compiled
    return np.float32(fast_exp_scalar(np.float64(x32)))


def _lif(
    v: np.ndarray,
    ge: np.ndarray,
    gi: np.ndarray,
    ref: np.ndarray,
    b: int,
    i: int,
    c: np.ndarray,
    threshold: np.float32,
) -> bool:  # pragma: no cover - compiled
    """``lif_step`` (conductance synapses) for neuron ``(b, i)``; ``c`` holds its constants.

    c: v_rest, e_exc, e_inh, -dt/tau_m, held, dt, v_reset, decay_exc, decay_inh,
    refractory after a spike, v_threshold.
    """
    g_e, g_i = ge[b, i], gi[b, i]
    total = (np.float32(1.0) + g_e) + g_i
    drive = (c[0] + g_e * c[1]) + g_i * c[2]
    v_inf = drive / total
    gap = v[b, i] - v_inf
    # a neuron at its fixed point stays there: v_inf + 0 * e^x, whatever e^x (finite)
    free = v_inf if gap == np.float32(0.0) else v_inf + gap * _fast_exp(total * c[3])
    held = ref[b, i] >= c[4]
    v_new = c[6] if held else free
    left = ref[b, i] - c[5]
    ref[b, i] = left if left > np.float32(0.0) else np.float32(0.0)
    ge[b, i] = g_e * c[7]
    gi[b, i] = g_i * c[8]
    spike = v_new >= c[10] + threshold
    if spike:
        v_new = c[6]
        ref[b, i] = c[9]
    v[b, i] = v_new
    return spike


def _neurons(
    t: int,
    b: int,
    m: int,
    events: np.ndarray,
    weight: np.ndarray,
    theta: np.ndarray,
    exc: tuple[np.ndarray, ...],
    inh: tuple[np.ndarray, ...],
    counts: np.ndarray,
    e_spk: np.ndarray,
    i_spk: np.ndarray,
    acc: np.ndarray,
    c_exc: np.ndarray,
    c_inh: np.ndarray,
    c_net: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Step ``t`` of image ``b`` (network ``m``): both populations, then this step's input.

    Writes the spikes into ``e_spk`` and ``i_spk`` (N,); ``acc`` is (N,) float64 scratch.
    """
    n = e_spk.shape[0]
    n_in = weight.shape[1] - 1
    zero = np.float32(0.0)
    one = np.float32(1.0)
    inhibitory = np.float32(0.0)
    for i in range(n):
        e_spk[i] = _lif(exc[0], exc[1], exc[2], exc[3], b, i, c_exc, theta[m, i])
        i_spk[i] = _lif(inh[0], inh[1], inh[2], inh[3], b, i, c_inh, zero)
        if i_spk[i]:
            inhibitory += one
    for i in range(n):
        others = inhibitory - (one if i_spk[i] else zero)
        exc[2][b, i] = exc[2][b, i] + c_net[0] * others
        if e_spk[i]:
            inh[1][b, i] = inh[1][b, i] + c_net[1]
            counts[b, i] += one
    if events.shape[0] > 0:  # per neuron, the inputs in ascending order, in float64
        for i in range(n):
            acc[i] = 0.0
        for k in range(events.shape[2]):
            j = events[t, b, k]
            if j >= n_in:
                break
            for i in range(n):
                acc[i] += np.float64(weight[m, j, i])
        for i in range(n):
            exc[1][b, i] = exc[1][b, i] + np.float32(acc[i])


def _run_frozen(
    steps: int,
    events: np.ndarray,
    weight: np.ndarray,
    theta: np.ndarray,
    exc: tuple[np.ndarray, ...],
    inh: tuple[np.ndarray, ...],
    counts: np.ndarray,
    c_exc: np.ndarray,
    c_inh: np.ndarray,
    c_net: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """:func:`_run_steps` without plasticity: the images are independent, in parallel.

    Each image's arithmetic is the same whatever the thread that runs it, so the result
    does not depend on the number of threads.
    """
    nets, _, n = weight.shape
    batch = counts.shape[0]
    parallel = batch // nets
    for b in prange(batch):
        e_spk = np.zeros(n, dtype=np.bool_)
        i_spk = np.zeros(n, dtype=np.bool_)
        acc = np.zeros(n, dtype=np.float64)
        for t in range(steps):
            _neurons(t, b, b // parallel, events, weight, theta, exc, inh, counts, e_spk,
                     i_spk, acc, c_exc, c_inh, c_net)  # fmt: skip


def _run_steps(
    steps: int,
    learn: bool,
    events: np.ndarray,
    weight: np.ndarray,
    theta: np.ndarray,
    exc: tuple[np.ndarray, ...],
    inh: tuple[np.ndarray, ...],
    traces: tuple[np.ndarray, ...],
    counts: np.ndarray,
    c_exc: np.ndarray,
    c_inh: np.ndarray,
    c_net: np.ndarray,
    all_to_all: bool,
) -> None:  # pragma: no cover - compiled
    """Advance every network ``steps`` steps in place (see the module docstring).

    events : (steps, B, K) int64, this step's spiking inputs in ascending order, padded
        with ``n_inputs``; shape (0, B, 1) for steps without input.
    c_net : w_inh_exc, w_exc_inh, theta decay, decays of r1, r2, o1, o2, a2-, a3-, a2+,
        a3+, 1/P, theta_plus/P, w_min, w_max.
    """
    nets, n_rows, n = weight.shape
    n_in = n_rows - 1
    batch = counts.shape[0]
    parallel = batch // nets
    r1, r2, o1, o2 = traces
    e_spk = np.zeros((batch, n), dtype=np.bool_)
    i_spk = np.zeros((batch, n), dtype=np.bool_)
    acc = np.zeros(n, dtype=np.float64)
    one = np.float32(1.0)
    has_input = events.shape[0] > 0
    for t in range(steps):
        if learn:
            for m in range(nets):
                for i in range(n):
                    theta[m, i] = theta[m, i] * c_net[2]
        for b in range(batch):
            _neurons(t, b, b // parallel, events, weight, theta, exc, inh, counts, e_spk[b],
                     i_spk[b], acc, c_exc, c_inh, c_net)  # fmt: skip
        if not learn:
            continue
        for b in range(batch):
            for j in range(n_in):
                r1[b, j] = r1[b, j] * c_net[3]
                r2[b, j] = r2[b, j] * c_net[4]
            for i in range(n):
                o1[b, i] = o1[b, i] * c_net[5]
                o2[b, i] = o2[b, i] * c_net[6]
        if has_input:  # depression at the inputs' spikes, then clipping, then the bumps
            for b in range(batch):
                m = b // parallel
                for k in range(events.shape[2]):
                    j = events[t, b, k]
                    if j >= n_in:
                        break
                    per_pre = (c_net[7] + c_net[8] * r2[b, j]) * one
                    for i in range(n):
                        w = weight[m, j, i] + c_net[11] * ((-o1[b, i]) * per_pre)
                        if parallel == 1:  # a row is touched once a step: clip it now
                            w = min(max(w, c_net[13]), c_net[14])
                        weight[m, j, i] = w
            for b in range(batch):
                m = b // parallel
                for k in range(events.shape[2]):
                    j = events[t, b, k]
                    if j >= n_in:
                        break
                    if parallel > 1:  # images may share a row: clip after every change
                        for i in range(n):
                            weight[m, j, i] = min(max(weight[m, j, i], c_net[13]), c_net[14])
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
                for i in range(n):
                    if e_spk[b, i]:
                        per_post = (c_net[9] + c_net[10] * o2[b, i]) * one
                        for j in range(n_in):
                            w = weight[m, j, i] + (per_post * r1[b, j]) * c_net[11]
                            if parallel == 1:  # a column is touched once a step
                                w = min(max(w, c_net[13]), c_net[14])
                            weight[m, j, i] = w
            if parallel > 1:
                for b in range(batch):
                    m = b // parallel
                    for i in range(n):
                        if e_spk[b, i]:
                            for j in range(n_in):
                                w = weight[m, j, i]
                                weight[m, j, i] = min(max(w, c_net[13]), c_net[14])
            for m in range(nets):
                for i in range(n):
                    fired_here = np.float32(0.0)
                    for p in range(parallel):
                        if e_spk[m * parallel + p, i]:
                            fired_here += one
                    theta[m, i] = theta[m, i] + c_net[12] * fired_here
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
    _fast_exp = njit(cache=True, inline="always")(_fast_exp)
    _lif = njit(cache=True, inline="always")(_lif)
    _neurons = njit(cache=True, inline="always")(_neurons)
    run_steps = njit(cache=True)(_run_steps)
    run_frozen = njit(cache=True, parallel=True)(_run_frozen)
