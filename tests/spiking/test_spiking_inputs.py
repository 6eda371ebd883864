"""Poisson inputs: rates, reproducibility, the event form, and the counter-based form."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hebbian._random import INPUT_OFFSET, counter_words, mix32
from hebbian.spiking import _numba
from hebbian.spiking.inputs import (
    counter_poisson_spikes,
    poisson_events,
    poisson_spikes,
    spike_thresholds,
)


def test_dense_trains_have_the_asked_rates_and_are_reproducible() -> None:
    rates = torch.tensor([[5.0, 50.0], [100.0, 0.0]], dtype=torch.float64)
    spikes = poisson_spikes(rates, 20000, 1e-3, generator=torch.Generator().manual_seed(3))
    again = poisson_spikes(rates, 20000, 1e-3, generator=torch.Generator().manual_seed(3))
    assert torch.equal(spikes, again)
    measured = spikes.double().mean(dim=0) / 1e-3  # (2, 2) Hz over 20 s
    # binomial standard error of a count n p over n = 20000 bins
    error = torch.sqrt(rates * 1e-3 * (1 - rates * 1e-3) * 20000) / 20000 / 1e-3
    assert bool(((measured - rates).abs() <= 4 * error + 1e-12).all())
    assert spikes[:, 1, 1].sum() == 0


def test_events_have_the_asked_rate_and_uniform_inputs_and_steps() -> None:
    rate, n, steps, dt = 20.0, 200, 20000, 1e-4
    step, which = poisson_events(rate, n, steps, dt, generator=torch.Generator().manual_seed(0))
    expected = rate * dt * n * steps  # 8000 spikes
    assert abs(len(step) - expected) < 4 * math.sqrt(expected)
    assert bool((step >= 0).all() and (step < steps).all())
    assert bool((which >= 0).all() and (which < n).all())
    # sorted by step, then input, and no bin twice
    flat = step * n + which
    assert bool((flat[1:] > flat[:-1]).all())
    # counts per input: binomial(steps, p), so their variance is close to their mean
    counts = torch.bincount(which, minlength=n).double()
    assert counts.var().item() == pytest.approx(counts.mean().item(), rel=0.25)
    # inter-spike intervals of one input are geometric: mean 1/p steps
    gaps = torch.cat([torch.diff(step[which == j]) for j in range(n)]).double()
    assert gaps.mean().item() == pytest.approx(1 / (rate * dt), rel=0.05)


def test_events_are_reproducible_and_edge_rates_work() -> None:
    first = poisson_events(15.0, 50, 1000, 1e-4, generator=torch.Generator().manual_seed(9))
    second = poisson_events(15.0, 50, 1000, 1e-4, generator=torch.Generator().manual_seed(9))
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    step, which = poisson_events(0.0, 10, 100, 1e-3)
    assert len(step) == len(which) == 0
    step, which = poisson_events(1000.0, 3, 4, 1e-3)  # p = 1: every bin
    assert step.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert which.tolist() == [0, 1, 2] * 4


def test_inputs_refuse_impossible_rates() -> None:
    with pytest.raises(ValueError, match="rate must be <= 1/dt"):
        poisson_events(2000.0, 3, 10, 1e-3)
    with pytest.raises(ValueError, match="rates must be finite and >= 0"):
        poisson_spikes(torch.tensor([-1.0]), 10, 1e-3)
    with pytest.raises(TypeError, match=r"generator must be a torch\.Generator"):
        poisson_events(10.0, 3, 10, 1e-3, generator=0)  # type: ignore[arg-type]


def lowbias32(h: int) -> int:
    """Wellons' lowbias32 in Python integers: the specification of ``mix32``."""
    h ^= h >> 16
    h = (h * 0x7FEB352D) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x846CA68B) & 0xFFFFFFFF
    return h ^ (h >> 16)


def test_the_hash_is_lowbias32_in_pytorch_and_in_the_kernels() -> None:
    values = [0, 1, 2, 0xFFFF, 0x10000, 2**31 - 1, 2**31, 2**32 - 1]
    values += torch.randint(2**32, (2000,), generator=torch.Generator().manual_seed(0)).tolist()
    expected = [lowbias32(v) for v in values]
    assert mix32(torch.tensor(values)).tolist() == expected
    positions = [0, 1, 2**32 - 1, 2**32, 2**40 + 5] * 2
    keys = [0, 0, 7, 7, 2**32 - 1, 3, 3, 3, 3, 3]
    words = [lowbias32(lowbias32(lowbias32(c & 0xFFFFFFFF) ^ (c >> 32)) ^ k)
             for k, c in zip(keys, positions, strict=True)]  # fmt: skip
    assert counter_words(torch.tensor(keys), torch.tensor(positions)).tolist() == words
    if not _numba.AVAILABLE:
        pytest.skip("numba is not installed: the PyTorch functions are the only ones")
    assert [int(_numba.mix32(np.uint32(v))) for v in values] == expected
    pairs = zip(keys, positions, strict=True)
    assert [int(_numba.stream_word(np.uint32(k), np.int64(c))) for k, c in pairs] == words
    assert _numba.input_words(5).tolist() == [lowbias32(i + INPUT_OFFSET) for i in range(5)]


def test_counter_trains_have_the_asked_rates_and_no_correlations() -> None:
    rates = torch.tensor([[5.0, 50.0, 100.0, 0.0], [1000.0, 100.0, 100.0, 100.0]])
    key, start = torch.tensor([11, 12]), torch.tensor([0, 2**33])
    spikes = counter_poisson_spikes(rates, 20000, 1e-3, key=key, start=start)
    assert spikes.shape == (20000, 2, 4) and spikes.dtype == torch.bool
    measured = spikes.double().mean(dim=0) / 1e-3  # Hz over 20 s
    p = rates.double() * 1e-3
    error = torch.sqrt(p * (1 - p) * 20000) / 20000 / 1e-3  # binomial standard error
    assert bool(((measured - rates).abs() <= 4 * error + 1e-12).all())
    assert int(spikes[:, 0, 3].sum()) == 0 and bool(spikes[:, 1, 0].all())  # p = 0 and p = 1
    # neighbouring inputs, neighbouring steps and the two streams are uncorrelated
    x = spikes.double()
    pairs = [(x[:, 1, 1], x[:, 1, 2]), (x[1:, 1, 2], x[:-1, 1, 2]), (x[:, 0, 2], x[:, 1, 2])]
    for a, b in pairs:
        correlation = float(torch.corrcoef(torch.stack([a, b]))[0, 1])
        assert abs(correlation) < 4 / math.sqrt(20000)


def test_a_counter_stream_is_the_same_drawn_in_pieces_or_at_once() -> None:
    rates, key = torch.full((3, 50), 80.0), torch.tensor([1, 2, 2**32 - 1])
    whole = counter_poisson_spikes(rates, 300, 1e-3, key=key, start=torch.tensor([0, 5, 9]))
    pieces = [
        counter_poisson_spikes(rates, 100, 1e-3, key=key, start=torch.tensor([t, t + 5, t + 9]))
        for t in (0, 100, 200)
    ]
    assert torch.equal(torch.cat(pieces), whole)
    other = counter_poisson_spikes(rates, 300, 1e-3, key=key ^ 1, start=torch.tensor([0, 5, 9]))
    assert not torch.equal(other, whole)  # another key, another train
    assert spike_thresholds(torch.tensor([0.0, 1.0, 1000.0]), 1e-3).tolist() == [
        0,
        math.floor(1e-3 * 2**32),
        2**32,
    ]


def test_counter_trains_refuse_bad_arguments_in_one_line() -> None:
    rates, good = torch.ones(2, 3), torch.zeros(2, dtype=torch.int64)
    with pytest.raises(ValueError, match="key must have shape"):
        counter_poisson_spikes(rates, 5, 1e-3, key=torch.zeros(3).long(), start=good)
    with pytest.raises(TypeError, match="start must be an int64 tensor"):
        counter_poisson_spikes(rates, 5, 1e-3, key=good, start=torch.zeros(2))
    with pytest.raises(ValueError, match=r"key must lie in \[0, 2\^32\)"):
        counter_poisson_spikes(rates, 5, 1e-3, key=good - 1, start=good)
    with pytest.raises(ValueError, match="the largest rate"):
        counter_poisson_spikes(rates * 2000, 5, 1e-3, key=good, start=good)
