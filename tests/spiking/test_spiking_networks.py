"""The time loop, the feed-forward STDP layer and the event-driven Song-Abbott simulator."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import pytest
import torch

from hebbian.spiking.networks import (
    FeedforwardState,
    SongAbbottParameters,
    SongAbbottState,
    feedforward_stdp_step,
    simulate,
    song_abbott_run,
    song_abbott_state,
)
from hebbian.spiking.neurons import LIFParameters, LIFState, lif_state, lif_step
from hebbian.spiking.stdp import PairSTDPParameters, PairTraces, pair_traces

DT = 1e-4


def small_song_abbott(n_inputs: int = 100, g_max: float = 0.1) -> SongAbbottParameters:
    """Fewer, stronger inputs than Brian2's example, so that a short run spikes often."""
    default = SongAbbottParameters()
    rule = replace(default.stdp, w_max=g_max, a_plus=0.01 * g_max, a_minus=0.0105 * g_max)
    return SongAbbottParameters(n_inputs=n_inputs, neuron=default.neuron, stdp=rule)


def test_simulate_records_spikes_every_step_and_fields_every_kth() -> None:
    params = LIFParameters(refractory=0.0)
    drive = torch.full((300, 2, 3), 20.0, dtype=torch.float64)
    drive[:, 1] = 0.0  # the second network gets no input
    state, record = simulate(
        partial(lif_step, params=params, dt=DT),
        lif_state(2, 3, params),
        300,
        inputs={"current": drive},
        record=("v", "exc"),
        every=3,
    )
    assert record.spikes.shape == (300, 2, 3)
    assert record.values["v"].shape == (100, 2, 3)
    assert torch.equal(record.values["v"][-1], state.v)
    assert record.spikes[:, 0].any() and not record.spikes[:, 1].any()
    with pytest.raises(ValueError, match="at least steps=300 time slices"):
        simulate(
            partial(lif_step, params=params, dt=DT),
            lif_state(2, 3, params),
            300,
            inputs={"current": drive[:10]},
        )
    with pytest.raises(ValueError, match="record names unknown state field"):
        simulate(
            partial(lif_step, params=params, dt=DT), lif_state(2, 3, params), 3, record=("voltage",)
        )


def test_feedforward_layer_batched_equals_each_network_alone() -> None:
    neuron = LIFParameters(refractory=1e-3)
    rule = PairSTDPParameters(a_plus=0.5, a_minus=0.55, w_max=10.0)
    generator = torch.Generator().manual_seed(0)
    pre = torch.rand(400, 3, 20, generator=generator) < 0.05  # (T, B, N_pre)
    weight = torch.rand(3, 2, 20, generator=generator, dtype=torch.float64) * 10
    step = partial(feedforward_stdp_step, neuron=neuron, stdp=rule, dt=DT)

    def start(w: torch.Tensor) -> FeedforwardState:
        return FeedforwardState(lif_state(w.shape[0], 2, neuron), w, pair_traces(w.shape[0], 20, 2))

    batched, rec = simulate(step, start(weight), 400, inputs={"pre_spikes": pre})
    assert rec.spikes.sum() > 5  # the networks do fire
    for b in range(3):
        alone, rec_b = simulate(
            step, start(weight[b : b + 1]), 400, inputs={"pre_spikes": pre[:, b : b + 1]}
        )
        assert torch.equal(rec_b.spikes[:, 0], rec.spikes[:, b])
        torch.testing.assert_close(alone.weight[0], batched.weight[b], rtol=0, atol=0)
        torch.testing.assert_close(alone.neuron.v[0], batched.neuron.v[b], rtol=0, atol=0)


def test_song_abbott_event_driven_equals_stepping_the_feedforward_layer() -> None:
    params = small_song_abbott()
    batch, steps = 3, 4000
    weight = (
        torch.rand(batch, 100, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
        * 0.1
    )
    rates = [15.0, 30.0, 60.0]
    state = song_abbott_state(params, weight, seeds=[5, 6, 7])
    fast, record = song_abbott_run(
        state, params, rates, steps, DT, window=300, block=1500, record_inputs=100
    )
    # the same input spikes, stepped one time step at a time
    pre = torch.zeros(steps, batch, 100, dtype=torch.bool)
    pre[record.input_step, record.input_network, record.input_index] = True
    zeros = torch.zeros(batch, 1, dtype=torch.float64)
    start = FeedforwardState(
        LIFState(state.v.unsqueeze(1), zeros, zeros, zeros),
        weight.unsqueeze(1),
        PairTraces(torch.zeros(batch, 100, dtype=torch.float64), zeros),
    )
    step = partial(feedforward_stdp_step, neuron=params.neuron, stdp=params.stdp, dt=DT)
    slow, rec = simulate(step, start, steps, inputs={"pre_spikes": pre})
    network, when = (
        rec.spikes[:, :, 0].nonzero(as_tuple=True)[1],
        rec.spikes[:, :, 0].nonzero(as_tuple=True)[0],
    )
    expected = sorted(zip(network.tolist(), when.tolist(), strict=True))
    got = sorted(zip(record.post_network.tolist(), record.post_step.tolist(), strict=True))
    assert len(expected) > 50 and got == expected
    torch.testing.assert_close(fast.weight, slow.weight[:, 0], rtol=0, atol=1e-12)
    torch.testing.assert_close(fast.v, slow.neuron.v[:, 0], rtol=0, atol=1e-9)
    torch.testing.assert_close(fast.g, slow.neuron.exc[:, 0], rtol=0, atol=1e-12)
    torch.testing.assert_close(fast.pre_trace, slow.traces.pre, rtol=0, atol=1e-12)
    torch.testing.assert_close(fast.post_trace, slow.traces.post[:, 0], rtol=0, atol=1e-12)
    assert fast.step.tolist() == [steps] * batch


def test_song_abbott_batched_equals_each_network_alone() -> None:
    params = small_song_abbott()
    weight = (
        torch.rand(3, 100, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 0.1
    )
    rates = [20.0, 40.0, 10.0]
    batched, record = song_abbott_run(
        song_abbott_state(params, weight, [11, 12, 13]),
        params,
        rates,
        3000,
        DT,
        window=250,
        block=1000,
    )
    for b in range(3):
        alone, rec = song_abbott_run(
            song_abbott_state(params, weight[b : b + 1], [11 + b]),
            params,
            [rates[b]],
            3000,
            DT,
            window=250,
            block=1000,
        )
        assert rec.post_step.tolist() == record.post_step[record.post_network == b].tolist()
        torch.testing.assert_close(alone.weight[0], batched.weight[b], rtol=0, atol=1e-15)
        assert torch.equal(alone.rng[0], batched.rng[b])


def test_song_abbott_resumes_exactly_from_its_state() -> None:
    params = small_song_abbott()
    weight = torch.full((2, 100), 0.05, dtype=torch.float64)
    start = song_abbott_state(params, weight, [3, 4])
    once, _ = song_abbott_run(start, params, 30.0, 1000, DT, block=1000)
    twice, _ = song_abbott_run(once, params, 30.0, 1000, DT, block=1000)
    state = SongAbbottState(*(t.clone() for t in once))  # e.g. restored from a checkpoint
    again, _ = song_abbott_run(state, params, 30.0, 1000, DT, block=1000)
    assert all(torch.equal(a, b) for a, b in zip(twice, again, strict=True))
    assert twice.step.tolist() == [2000, 2000]


def test_song_abbott_arguments_are_checked() -> None:
    params = small_song_abbott()
    weight = torch.full((2, 100), 0.05, dtype=torch.float64)
    with pytest.raises(ValueError, match="conductance-based with refractory=0"):
        SongAbbottParameters(neuron=LIFParameters())
    with pytest.raises(ValueError, match="seeds must hold one seed per network"):
        song_abbott_state(params, weight, [1])
    with pytest.raises(ValueError, match="weight must lie in"):
        song_abbott_state(params, weight + 1.0, [1, 2])
    state = song_abbott_state(params, weight, [1, 2])
    with pytest.raises(ValueError, match="rates must lie in"):
        song_abbott_run(state, params, [10.0, 20000.0], 10, DT)
    with pytest.raises(ValueError, match="rates must hold one rate per network"):
        song_abbott_run(state, params, [10.0], 10, DT)


@pytest.mark.cuda
def test_song_abbott_on_cuda_equals_cpu() -> None:
    params = small_song_abbott()
    weight = torch.rand(2, 100, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    weight = weight * 0.1
    cpu, rec_cpu = song_abbott_run(
        song_abbott_state(params, weight, [1, 2]), params, 30.0, 2000, DT
    )
    gpu, rec_gpu = song_abbott_run(
        song_abbott_state(params, weight.cuda(), [1, 2]), params, 30.0, 2000, DT
    )
    assert gpu.weight.device.type == "cuda"
    assert rec_gpu.post_step.cpu().tolist() == rec_cpu.post_step.tolist()
    torch.testing.assert_close(gpu.weight.cpu(), cpu.weight, rtol=0, atol=1e-9)
