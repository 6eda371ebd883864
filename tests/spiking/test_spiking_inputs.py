"""Poisson inputs: rates, reproducibility, and the event form against the dense form."""

from __future__ import annotations

import math

import pytest
import torch

from hebbian.spiking.inputs import poisson_events, poisson_spikes


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
