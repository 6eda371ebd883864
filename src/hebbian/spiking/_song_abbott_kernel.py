"""The CPU kernel of :func:`hebbian.spiking.song_abbott.song_abbott_run`, compiled by Numba.

It steps every network through one block of drawn input events, one time step after
the other, with the operations of
:func:`~hebbian.spiking.networks.feedforward_stdp_step` in their order: the membrane
(exponential Euler with :func:`~hebbian.spiking._common.fast_exp`, written out here for
one number), the conductance's decay plus the input drive (the weights of the step's
input spikes summed in ascending order of value, as the step reference sums them), the
threshold and reset, the decay of the postsynaptic trace, depression at the input
spikes, the presynaptic traces' jumps, and potentiation of every synapse at an output
spike. Only the presynaptic traces are kept lazily: each synapse's trace is stored with
the step it was last updated at and decayed by a power :math:`p^k` of its per-step
factor from a table (:func:`fast_exp` of ``-k dt / tau_+``, computed once per call) when
it is next read, at its next input spike, at an output spike, or at the end of the
block. Per step the cost is one exponential and a division; per input spike a few
operations; per output spike one pass over the synapses.

Everything is additions, multiplications, divisions and comparisons in float64, without
fused multiply-adds (Numba's default ``fastmath=False``) and without a C library
function, so the result is the same on every CPU; it equals the step reference up to
the rounding of the traces' decays (``tests/spiking/test_song_abbott_speed_paths.py``
ties the kernel to the reference and to the PyTorch path). The networks are independent
and run in parallel over ``numba.prange``, each in one thread, so the result does not
depend on the number of threads. The PyTorch path of ``song_abbott_run`` remains the
reference implementation of the event-driven algorithm and serves every other device,
and the CPU when Numba is not installed.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial

import numpy as np
import torch

from hebbian.spiking._common import fast_exp
from hebbian.spiking._numba import (
    AVAILABLE,
    fast_exp_scalar,
    most_threads,
    njit,
    prange,
    set_threads,
)
from hebbian.spiking.neurons import LIFParameters
from hebbian.spiking.stdp import PairSTDPParameters

__all__ = ["AVAILABLE", "CONSTANTS", "Blocks", "run_block"]

CONSTANTS = (
    "-dt/tau_m",
    "v_rest",
    "e_exc",
    "v_threshold",
    "v_reset",
    "conductance decay",
    "post trace decay",
    "-a_minus",
    "a_plus",
    "w_max",
)
"""The order of the constants in ``run_block``'s array ``c``."""


def _network(
    b: int,
    length: int,
    ev_step: np.ndarray,
    ev_syn: np.ndarray,
    v: np.ndarray,
    g: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    x: np.ndarray,
    out: np.ndarray,
    c: np.ndarray,
    decay_pre: np.ndarray,
) -> int:  # pragma: no cover - compiled
    """Network ``b`` through ``length`` steps; returns its number of output spikes.

    ``ev_step, ev_syn``: its input events, sorted by step (local, ``0 .. length - 1``);
    ``w, x``: its weights and presynaptic traces (N,), in place; ``out``: the local steps
    of its output spikes are written here; ``decay_pre[k] = p^k`` for ``k <= length``.
    """
    c_m, v_rest, e_exc, v_th, v_reset = c[0], c[1], c[2], c[3], c[4]
    d_g, d_post, neg_a_minus, a_plus, w_max = c[5], c[6], c[7], c[8], c[9]
    n = w.shape[0]
    last = np.full(n, -1, dtype=np.int64)  # step after which x[j] holds; -1: block start
    weights = np.empty(n, dtype=np.float64)  # this step's input weights, sorted
    vb, gb, yb = v[b], g[b], y[b]
    events = ev_step.shape[0]
    e = 0
    count = 0
    for t in range(length):
        # the membrane with the conductance of the step's start (lif_step)
        total = 1.0 + gb
        v_inf = (v_rest + gb * e_exc) / total
        vb = v_inf + (vb - v_inf) * fast_exp_scalar(total * c_m)
        # the drive: this step's input weights in ascending order (insertion sort)
        first = e
        while e < events and ev_step[e] == t:
            value = w[ev_syn[e]]
            p = e - first
            while p > 0 and weights[p - 1] > value:
                weights[p] = weights[p - 1]
                p -= 1
            weights[p] = value
            e += 1
        drive = 0.0
        for p in range(e - first):
            drive += weights[p]
        gb = gb * d_g + drive
        fired = vb >= v_th
        if fired:
            vb = v_reset
        # pair STDP: depression at the input spikes, their traces' jumps, potentiation
        yb = yb * d_post
        change = neg_a_minus * yb
        for i in range(first, e):
            j = ev_syn[i]
            w[j] = min(max(w[j] + change, 0.0), w_max)
            x[j] = x[j] * decay_pre[t - last[j]] + 1.0
            last[j] = t
        if fired:
            for j in range(n):
                trace = x[j] * decay_pre[t - last[j]]
                w[j] = min(max(w[j] + a_plus * trace, 0.0), w_max)
            yb = yb + 1.0
            out[count] = t
            count += 1
    for j in range(n):  # every trace at the block's last step
        x[j] = x[j] * decay_pre[length - 1 - last[j]]
    v[b], g[b], y[b] = vb, gb, yb
    return count


def _run_block_serial(
    length: int,
    offsets: np.ndarray,
    ev_step: np.ndarray,
    ev_syn: np.ndarray,
    v: np.ndarray,
    g: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    x: np.ndarray,
    out: np.ndarray,
    counts: np.ndarray,
    c: np.ndarray,
    decay_pre: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """:func:`run_block` with the networks one after the other, in this thread."""
    batch = weight.shape[0]
    for b in range(batch):
        lo, hi = offsets[b], offsets[b + 1]
        counts[b] = _network(
            b, length, ev_step[lo:hi], ev_syn[lo:hi], v, g, y, weight[b], x[b], out[b], c,
            decay_pre,
        )  # fmt: skip


def _run_block_parallel(
    length: int,
    offsets: np.ndarray,
    ev_step: np.ndarray,
    ev_syn: np.ndarray,
    v: np.ndarray,
    g: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    x: np.ndarray,
    out: np.ndarray,
    counts: np.ndarray,
    c: np.ndarray,
    decay_pre: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """:func:`_run_block_serial` with the networks spread over Numba's threads."""
    batch = weight.shape[0]
    for b in prange(batch):
        lo, hi = offsets[b], offsets[b + 1]
        counts[b] = _network(
            b, length, ev_step[lo:hi], ev_syn[lo:hi], v, g, y, weight[b], x[b], out[b], c,
            decay_pre,
        )  # fmt: skip


def run_block(
    length: int,
    offsets: np.ndarray,
    ev_step: np.ndarray,
    ev_syn: np.ndarray,
    v: np.ndarray,
    g: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    x: np.ndarray,
    out: np.ndarray,
    counts: np.ndarray,
    c: np.ndarray,
    decay_pre: np.ndarray,
    *,
    threads: int = 1,
) -> None:
    """Advance B networks ``length`` steps in place, on up to ``threads`` threads.

    offsets : (B + 1,) int64, network ``b``'s events are ``offsets[b] .. offsets[b+1] - 1``
        of ``ev_step`` (local steps, sorted) and ``ev_syn`` (input indices).
    v, g, y : (B,) float64; weight, x : (B, N) float64 (C-contiguous), all in place.
    out : (B, >= length) int64, the local steps of each network's output spikes;
        counts : (B,) int64, how many.
    c : (10,) float64, see :data:`CONSTANTS`; decay_pre : (>= length + 1,) float64.

    Each network runs in one thread, so the result does not depend on ``threads``. One
    thread (or one network) takes the serial variant, which starts no thread pool.
    """
    args = (length, offsets, ev_step, ev_syn, v, g, y, weight, x, out, counts, c, decay_pre)
    threads = min(threads, weight.shape[0], most_threads())
    if threads <= 1:
        _run_block_serial(*args)
        return
    set_threads(threads)
    _run_block_parallel(*args)


class Blocks:
    """The kernel's side of ``song_abbott_run``: whole blocks of drawn inputs, in place.

    ``v, g, y, weight, x`` are the run's own contiguous CPU tensors; the kernel updates
    them through numpy views. ``block`` is the longest block of the call. With
    ``threads >= 2`` each block runs in a worker thread (the kernel releases the GIL)
    while the caller draws the next block's inputs, and with ``threads >= 3`` the
    networks of a block are spread over ``threads - 1`` of Numba's threads. Blocks run
    one after the other and each network in one thread, so the result is the same for
    every ``threads``.
    """

    def __init__(
        self,
        v: torch.Tensor,
        g: torch.Tensor,
        y: torch.Tensor,
        weight: torch.Tensor,
        x: torch.Tensor,
        neuron: LIFParameters,
        rule: PairSTDPParameters,
        dt: float,
        block: int,
        threads: int,
    ) -> None:
        self.arrays = tuple(t.numpy() for t in (v, g, y, weight, x))
        batch = weight.shape[0]
        decays = fast_exp(
            torch.tensor([-dt / neuron.tau_exc, -dt / rule.tau_minus], dtype=torch.float64)
        )
        values = [-dt / neuron.tau_m, neuron.v_rest, neuron.e_exc, neuron.v_threshold]
        values += [neuron.v_reset, *decays.tolist(), -rule.a_minus, rule.a_plus, rule.w_max]
        self.constants = np.array(values, dtype=np.float64)
        # p^k = e^{-k dt / tau_+}, k = 0 .. block: a trace's decay since its last update
        k = torch.arange(block + 1, dtype=torch.float64)
        self.decay_pre = fast_exp(k * (-dt / rule.tau_plus)).numpy()
        self.out = np.empty((batch, block), dtype=np.int64)
        self.counts = np.zeros(batch, dtype=np.int64)
        self.kernel_threads = max(1, threads - 1)
        self.worker = ThreadPoolExecutor(1) if threads >= 2 else None
        self.pending: tuple[Future[None] | None, int] | None = None  # (run, offset)
        self.records: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []

    def submit(
        self, drawn: list[tuple[torch.Tensor, torch.Tensor]], length: int, offset: int
    ) -> None:
        """Run one block of ``length`` steps, whose first step is ``offset``, after the last."""
        sizes = np.array([len(s) for s, _ in drawn], dtype=np.int64)
        offsets = np.zeros(len(drawn) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        ev_step = torch.cat([s for s, _ in drawn]).numpy()
        ev_syn = torch.cat([j for _, j in drawn]).numpy()
        v, g, y, weight, x = self.arrays
        self.wait()
        args = (length, offsets, ev_step, ev_syn, v, g, y, weight, x, self.out, self.counts)
        run = partial(run_block, *args, self.constants, self.decay_pre, threads=self.kernel_threads)
        if self.worker is None:
            run()
            self.pending = None, offset
            self.wait()
        else:
            self.pending = self.worker.submit(run), offset

    def wait(self) -> None:
        """Wait for the block in progress and record its output spikes."""
        if self.pending is None:
            return
        running, offset = self.pending
        self.pending = None
        if running is not None:
            running.result()
        counts = self.counts.tolist()
        steps = np.concatenate([self.out[b, :c] for b, c in enumerate(counts)])
        networks = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
        self.records.append(
            (
                torch.from_numpy(networks),
                torch.from_numpy(steps + offset),
                torch.ones(len(steps), dtype=torch.bool),
            )
        )

    def finish(self) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Wait for the last block; the output spikes of every block, in order."""
        self.wait()
        return self.records

    def close(self) -> None:
        """Stop the worker thread (after :meth:`finish`, or on an error)."""
        if self.worker is not None:
            self.worker.shutdown()


if AVAILABLE:
    _network = njit(cache=True, nogil=True)(_network)
    _run_block_serial = njit(cache=True, nogil=True)(_run_block_serial)
    _run_block_parallel = njit(cache=True, nogil=True, parallel=True)(_run_block_parallel)
