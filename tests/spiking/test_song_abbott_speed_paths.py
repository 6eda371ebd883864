"""The fast paths of the event-driven Song-Abbott simulator, each tied to a reference."""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import pytest
import torch

from hebbian.spiking.networks import (
    FeedforwardState,
    SongAbbottParameters,
    feedforward_stdp_step,
    simulate,
    song_abbott_run,
    song_abbott_state,
)
from hebbian.spiking.neurons import LIFState
from hebbian.spiking.song_abbott import _expm1
from hebbian.spiking.stdp import PairTraces


def test_expm1_matches_the_c_library_within_rounding() -> None:
    # the Pade branch (x <= 1/16) to 2 ulps, with halvings (largest x 3: 6 of them) to 8
    for top, bound in ((1 / 16, 4.5e-16), (3.0, 2e-15)):
        x = torch.linspace(0.0, top, 4001, dtype=torch.float64).unsqueeze(1)  # one per row
        got = _expm1(x)[:, 0]
        want = torch.tensor([math.expm1(v) for v in x[:, 0].tolist()], dtype=torch.float64)
        assert bool(((got - want).abs() <= bound * want).all()), top
    with pytest.raises(ValueError, match="pass a smaller window"):
        _expm1(torch.full((1, 1000), 1.0, dtype=torch.float64))


@pytest.mark.parametrize(("dt", "window"), [(1e-3, None), (1e-4, 1500), (1e-4, 7)])
def test_long_and_short_windows_and_large_steps_equal_stepping(
    dt: float, window: int | None
) -> None:
    """Default (long) windows, windows across blocks, and dt = 1 ms (halved exponents)."""
    default = SongAbbottParameters()
    g_max = 0.1 if dt < 1e-3 else 1.0  # at 1 ms strong inputs drive g above 5 (x > 1/16)
    rule = replace(default.stdp, w_max=g_max, a_plus=0.01 * g_max, a_minus=0.0105 * g_max)
    params = SongAbbottParameters(n_inputs=100, neuron=default.neuron, stdp=rule)
    batch, steps = 2, 3000 if dt < 1e-3 else 600
    weight = torch.rand(batch, 100, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    weight = weight * g_max
    state = song_abbott_state(params, weight, seeds=[8, 9])
    fast, record = song_abbott_run(
        state, params, [30.0, 60.0], steps, dt, window=window, block=1200, record_inputs=100
    )
    pre = torch.zeros(steps, batch, 100, dtype=torch.bool)
    pre[record.input_step, record.input_network, record.input_index] = True
    zeros = torch.zeros(batch, 1, dtype=torch.float64)
    start = FeedforwardState(
        LIFState(state.v.unsqueeze(1), zeros, zeros, zeros),
        weight.unsqueeze(1),
        PairTraces(torch.zeros(batch, 100, dtype=torch.float64), zeros),
    )
    step = partial(feedforward_stdp_step, neuron=params.neuron, stdp=params.stdp, dt=dt)
    slow, rec = simulate(step, start, steps, inputs={"pre_spikes": pre})
    when, network = rec.spikes[:, :, 0].nonzero(as_tuple=True)
    expected = sorted(zip(network.tolist(), when.tolist(), strict=True))
    got = sorted(zip(record.post_network.tolist(), record.post_step.tolist(), strict=True))
    assert len(expected) > 20 and got == expected
    torch.testing.assert_close(fast.weight, slow.weight[:, 0], rtol=0, atol=1e-12 * g_max / 0.1)
    torch.testing.assert_close(fast.v, slow.neuron.v[:, 0], rtol=0, atol=1e-9)
    torch.testing.assert_close(fast.g, slow.neuron.exc[:, 0], rtol=0, atol=1e-11)
    torch.testing.assert_close(fast.pre_trace, slow.traces.pre, rtol=0, atol=1e-12)
    torch.testing.assert_close(fast.post_trace, slow.traces.post[:, 0], rtol=0, atol=1e-12)


def test_a_window_too_long_for_float64_is_refused() -> None:
    params = SongAbbottParameters(n_inputs=10)
    state = song_abbott_state(params, torch.full((1, 10), 0.005, dtype=torch.float64), [1])
    with pytest.raises(ValueError, match="pass a smaller window"):
        song_abbott_run(state, params, 10.0, 10**6, 1e-4, window=10**6, block=10**6)
