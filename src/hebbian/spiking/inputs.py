r"""Poisson spike trains in discrete time, reproducible with a ``torch.Generator``.

An input of rate :math:`r` (Hz) spikes in each time bin of width :math:`dt`
independently with probability :math:`p = r\,dt` (the Bernoulli approximation of a
Poisson process, exact as :math:`p \to 0`, and what Brian2's ``PoissonGroup`` does).
Two equivalent ways to draw it:

* :func:`poisson_spikes`: a dense ``(steps, *shape)`` bool tensor, one uniform number
  per bin, for short runs and step-by-step simulation;
* :func:`poisson_events`: only the bins that hold a spike, as sorted ``(step, input)``
  index pairs, drawn by skipping from one spike to the next with geometric gaps (the
  number of empty bins before the next spike is geometric with parameter :math:`p`).
  It costs one random number per spike instead of one per bin, which is what makes
  1000 inputs x 10^6 steps cheap.
* :func:`counter_poisson_spikes`: dense trains whose bin ``(t, i)`` is decided by a
  hash of a key, the step's position in the stream and the input, with no generator
  state: any stretch of steps can be drawn on its own, in any order or chunking, on any
  device, with the same bits (what a compiled kernel draws inside its step loop).

Random numbers are drawn on the generator's device (the CPU when it is ``None``) and
the result is moved to ``device``; no global seed is ever set.
"""

from __future__ import annotations

import math

import torch

from hebbian._checks import check_int64_tensor, check_positive, check_positive_int
from hebbian._random import counter_bits, draw_device, uniform
from hebbian.spiking._common import check_dt

__all__ = ["counter_poisson_spikes", "poisson_events", "poisson_spikes", "spike_thresholds"]

_PIECE = 2**14  # geometric gaps drawn at once


def _probability(rate: float, dt: float, name: str = "rate") -> float:
    probability = rate * dt
    if probability > 1.0:
        raise ValueError(
            f"{name} * dt = {rate:g} Hz * {dt:g} s = {probability:g} > 1: a bin holds at most "
            f"one spike, so the rate must be <= 1/dt = {1.0 / dt:g} Hz; lower dt or the rate"
        )
    return probability


def poisson_spikes(
    rates: torch.Tensor | float,
    steps: int,
    dt: float,
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    r"""Draw dense Poisson spike trains: one bool per input per time step.

    Input :math:`i` spikes at step :math:`t` when :math:`u_{t,i} < r_i\,dt`, with
    :math:`u_{t,i}` uniform on :math:`[0, 1)`, drawn in float64 on the generator's device
    (the CPU without one), one number per bin in time-major order. This is the library's
    one dense Poisson generator; :func:`hebbian.data.poisson_spike_trains` calls it.

    Parameters
    ----------
    rates : Tensor of any shape S, or float
        Firing rates (Hz), each in ``[0, 1/dt]``.
    steps : int
        Number of time steps.
    dt : float
        Step width (s).
    generator : torch.Generator, optional
        Source of randomness; draws happen on its device.
    device : torch.device or str, optional
        Device of the result (default: that of ``rates`` if a tensor, else the draw
        device).

    Returns
    -------
    Tensor of bool, shape (steps, *S)

    Raises
    ------
    ValueError
        If a rate is negative or not finite, or ``rate * dt > 1`` (the message names the
        first such rate's index).

    Examples
    --------
    >>> spikes = poisson_spikes(torch.full((2, 3), 20.0), 1000, 1e-3,
    ...                         generator=torch.Generator().manual_seed(0))
    >>> spikes.shape, spikes.dtype
    (torch.Size([1000, 2, 3]), torch.bool)
    """
    steps = check_positive_int("steps", steps)
    dt = check_dt(dt)
    draw = draw_device(generator)  # the CPU without a generator, whatever ``device`` is
    if isinstance(rates, torch.Tensor):
        if not rates.is_floating_point():
            raise TypeError(f"rates must be a floating-point tensor, got {rates.dtype}")
        device = rates.device if device is None else device
        rate = rates.detach().to(device=draw, dtype=torch.float64)
    else:
        rate = torch.tensor(check_positive("rates", rates, allow_zero=True), dtype=torch.float64)
        rate = rate.to(draw)
    if not bool(torch.isfinite(rate).all()) or bool((rate < 0).any()):
        raise ValueError("rates must be finite and >= 0 Hz")
    if rate.numel():
        worst = int(rate.argmax())
        index = ", ".join(str(int(i)) for i in torch.unravel_index(torch.tensor(worst), rate.shape))
        _probability(float(rate.flatten()[worst]), dt, f"rates[{index}]" if index else "rates")
    draws = uniform((steps, *rate.shape), generator, device=draw)  # float64, on the draw device
    return (draws < rate * dt).to(device)  # (steps, *S)


def poisson_events(
    rate: float,
    n_inputs: int,
    steps: int,
    dt: float,
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Draw the spikes of ``n_inputs`` Poisson inputs of one rate as sorted index pairs.

    The ``steps x n_inputs`` bins are read in time-major order (all inputs of step 0,
    then of step 1, ...). In a Bernoulli process with spike probability
    :math:`p = r\,dt` per bin, the distance from one spike to the next is geometric,
    :math:`P(G = k) = (1 - p)^{k-1} p` for :math:`k \ge 1`, so the spiking bins are the
    partial sums of independent geometric draws (Devroye 1986, ch. X). The result has
    the same distribution as ``poisson_spikes(...).nonzero()`` but costs one random
    number per spike.

    Parameters
    ----------
    rate : float
        Rate of every input (Hz), in ``[0, 1/dt]``.
    n_inputs, steps : int
        Number of inputs and of time steps.
    dt : float
        Step width (s).
    generator : torch.Generator, optional
        Source of randomness; draws happen on its device.
    device : torch.device or str, optional
        Device of the result (default: the draw device).

    Returns
    -------
    step, input : Tensor of int64, shape (K,)
        The step and the input of each of the K spikes, sorted by step, then input.

    Examples
    --------
    >>> step, which = poisson_events(15.0, 1000, 10000, 1e-4,
    ...                              generator=torch.Generator().manual_seed(0))
    >>> round(len(step) / 1000 / (10000 * 1e-4), 1)  # spikes per input per second
    15.2
    >>> bool((step[1:] >= step[:-1]).all())
    True
    """
    rate = check_positive("rate", rate, allow_zero=True)
    n_inputs = check_positive_int("n_inputs", n_inputs)
    steps = check_positive_int("steps", steps)
    dt = check_dt(dt)
    probability = _probability(rate, dt)
    draw = draw_device(generator)
    cells = n_inputs * steps
    if probability == 0.0:
        empty = torch.zeros(0, dtype=torch.int64, device=device or draw)
        return empty, empty.clone()
    if probability == 1.0:  # every bin spikes (geometric_ needs p < 1)
        flat = torch.arange(cells, device=device or draw)
        return torch.div(flat, n_inputs, rounding_mode="floor"), flat % n_inputs
    found = []
    position = -1  # index of the last spiking bin so far
    expected = cells * probability
    while position < cells:
        # pieces of at most 2^14 draws stay below ATen's threshold for multithreading
        count = min(int(expected + 5.0 * math.sqrt(expected) + 16), _PIECE)
        gaps = torch.empty(count, dtype=torch.float64, device=draw)
        gaps.geometric_(probability, generator=generator)  # values in {1, 2, ...}
        positions = position + torch.cumsum(gaps.to(torch.int64), 0)
        found.append(positions)
        position = int(positions[-1])
        expected = max((cells - position) * probability, 1.0)
    flat = torch.cat(found)  # strictly increasing: the bins below ``cells`` come first
    flat = flat[: int(torch.searchsorted(flat, cells))]
    flat = flat.to(device or draw)
    return torch.div(flat, n_inputs, rounding_mode="floor"), flat % n_inputs


def spike_thresholds(rates: torch.Tensor, dt: float) -> torch.Tensor:
    r"""The thresholds of :func:`counter_poisson_spikes`, :math:`\lfloor r\,dt\,2^{32}\rfloor`.

    Computed in float64 (``rates`` rounded to float64 first), so an input of
    probability :math:`p = r\,dt` spikes with probability :math:`\lfloor p\,2^{32}
    \rfloor / 2^{32}`, within :math:`2^{-32}` of :math:`p`.

    >>> spike_thresholds(torch.tensor([0.0, 250.0, 1000.0]), 1e-3).tolist()
    [0, 1073741824, 4294967296]
    """
    dt = check_dt(dt)
    rate = rates.detach().to(torch.float64)
    if not bool(torch.isfinite(rate).all()) or bool((rate < 0).any()):
        raise ValueError("rates must be finite and >= 0 Hz")
    if rate.numel():
        _probability(float(rate.max()), dt, "the largest rate")
    return torch.floor(rate * dt * 2.0**32).to(torch.int64)


def counter_poisson_spikes(
    rates: torch.Tensor,
    steps: int,
    dt: float,
    *,
    key: torch.Tensor,
    start: torch.Tensor,
) -> torch.Tensor:
    r"""Dense Poisson spike trains from a counter-based hash: no generator state.

    Row ``b`` of ``rates`` (the last axis holds its ``n`` inputs) is a stream with key
    ``key[b]``; its step ``t`` sits at position :math:`c = \mathrm{start}_b + t`. Input
    ``i`` spikes there when

    .. math::

        \mathrm{mix32}(s_c \oplus \mathrm{mix32}(i + \texttt{0x9e3779b9})) <
        \lfloor r_{b,i}\,dt\,2^{32} \rfloor,

    with :math:`s_c` the word of the key and position and :math:`\mathrm{mix32}` the
    ``lowbias32`` hash (:func:`hebbian._random.counter_bits`): a Bernoulli draw of probability
    :math:`r\,dt` (to :math:`2^{-32}`, :func:`spike_thresholds`). Positions that
    differ give independent-looking draws, so a stream drawn a stretch at a time is the
    stream drawn at once; :mod:`hebbian.spiking._diehl_cook_kernel` draws the same bits.

    Parameters
    ----------
    rates : Tensor, shape ``(*L, n)``
        Firing rates (Hz), each in ``[0, 1/dt]``.
    steps : int
        Steps to draw.
    dt : float
        Step width (s).
    key, start : Tensor of int64, shape L
        Each row's key (in ``[0, 2^32)``) and the position of its first step (>= 0).

    Returns
    -------
    Tensor of bool, shape (steps, *L, n), on the rates' device

    Examples
    --------
    >>> rates, key = torch.full((2, 1000), 100.0), torch.tensor([1, 2])
    >>> spikes = counter_poisson_spikes(rates, 500, 1e-3, key=key, start=torch.zeros(2).long())
    >>> round(float(spikes.float().mean()), 2)  # the probability 100 Hz * 1 ms
    0.1
    >>> later = counter_poisson_spikes(rates, 200, 1e-3, key=key, start=torch.tensor([300, 300]))
    >>> torch.equal(later, spikes[300:])  # a stretch drawn alone is the same stretch
    True
    """
    steps = check_positive_int("steps", steps)
    if not isinstance(rates, torch.Tensor) or not rates.is_floating_point() or rates.ndim < 1:
        raise TypeError("rates must be a floating-point tensor with the inputs on its last axis")
    leading = rates.shape[:-1]
    key = check_int64_tensor("key", key, shape=leading)
    start = check_int64_tensor("start", start, shape=leading)
    if bool(((key < 0) | (key >= 2**32)).any()) or bool((start < 0).any()):
        raise ValueError("key must lie in [0, 2^32) and start must be >= 0")
    device = rates.device
    thresholds = spike_thresholds(rates, dt)  # (*L, n)
    offsets = torch.arange(steps, device=device).view(steps, *([1] * len(leading)))
    positions = start.to(device) + offsets  # (steps, *L)
    inputs = torch.arange(rates.shape[-1], device=device)
    return counter_bits(key.to(device), positions, inputs) < thresholds
