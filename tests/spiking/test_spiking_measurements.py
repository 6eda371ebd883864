"""Hodgkin-Huxley current steps in segments, and the Song-Abbott rates and rasters."""

from __future__ import annotations

from functools import partial

import pytest
import torch

from hebbian.spiking.networks import simulate
from hebbian.spiking.neurons import HHParameters, hh_state, hh_step
from hebbian.spiking.protocols import hh_current_steps, hh_current_steps_bytes
from hebbian.spiking.song_abbott import (
    SongAbbottParameters,
    output_rates,
    record_raster,
    song_abbott_run,
    song_abbott_state,
)


def test_current_steps_in_segments_equal_one_long_step() -> None:
    params, currents = HHParameters(), [0.0, 10.0, 20.0]
    start = hh_state(1, 3, params)
    whole = hh_current_steps(start, params, currents, 2000, 1e-5, trace_steps=50)
    first = hh_current_steps(start, params, currents, 1000, 1e-5, trace_steps=50)
    second = hh_current_steps(first.state, params, currents, 1000, 1e-5, first_step=1000)
    assert torch.equal(whole.state.v, second.state.v)
    joined = [a + b for a, b in zip(first.spike_steps, second.spike_steps, strict=True)]
    assert joined == whole.spike_steps
    assert whole.spike_steps[0] == [] and len(whole.spike_steps[2]) >= 2
    assert first.trace == whole.trace and second.trace == {}
    # the trace is the last neuron's, step by step
    drive = torch.tensor([currents], dtype=torch.float64)
    _, rec = simulate(partial(hh_step, params=params, dt=1e-5, current=drive), start, 50,
                      record=("v",))  # fmt: skip
    assert whole.trace["v"] == rec.values["v"][:, 0, -1].tolist()


def test_current_steps_refuse_a_diverging_dt_and_bad_shapes() -> None:
    params = HHParameters()
    with pytest.raises(ValueError, match=r"dt = 0.0002 s is too large: RK4 diverged at the cur"):
        hh_current_steps(hh_state(1, 1, params), params, [10.0], 2000, 2e-4)
    with pytest.raises(ValueError, match=r"shape \(1, C\) with C = 2"):
        hh_current_steps(hh_state(1, 1, params), params, [0.0, 1.0], 10, 1e-5)
    with pytest.raises(ValueError, match="trace_steps"):
        hh_current_steps(hh_state(1, 1, params), params, [0.0], 10, 1e-5, trace_steps=11)
    assert hh_current_steps_bytes(20, 100) < hh_current_steps_bytes(20, 100, 10)


def test_song_abbott_rates_and_raster_come_from_the_record() -> None:
    params = SongAbbottParameters()  # 1000 inputs, all at g_max: the neurons fire
    state = song_abbott_state(params, torch.full((2, 1000), params.stdp.w_max), [1, 2])
    state, record = song_abbott_run(state, params, [20.0, 20.0], 3000, 1e-4, record_inputs=10)
    rates = output_rates(record, 2, 0.3)
    assert rates.dtype == torch.float64 and rates.shape == (2,)
    assert rates.tolist() == [(record.post_network == b).sum().item() / 0.3 for b in range(2)]
    assert rates[0] > 0
    raster = record_raster(record, 1000, 1000, network=0)
    mine = record.post_step[record.post_network == 0]
    assert raster.post_step.tolist() == (mine[(mine >= 1000) & (mine < 2000)] - 1000).tolist()
    assert raster.input_step.min() >= 0 and raster.input_step.max() < 1000
    assert set(raster.input_index.tolist()) <= set(range(10))
    assert len(raster.input_step) == len(raster.input_index) > 0
